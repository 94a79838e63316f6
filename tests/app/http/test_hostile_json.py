"""Hostile JSON, one example per problem: the loader (catalog_tools.jsonfast) names it, a request body carrying it
is a 400 with that code (test client and uvicorn), tool arguments carrying it get an error output; and the rest of
the request surface that used to answer 5xx (huge Content-Length, odd /traces paths, non-UTF-8 URL paths through
the Functions adapter). The randomized versions are in test_fuzz.py."""

from __future__ import annotations

import asyncio
import json
import urllib.error
import urllib.request

import azure.functions as func
import pytest

from catalog_tools import jsonfast
from catalog_tools.errors import error_content
from catalog_tools.jsonfast import MAX_DEPTH, MAX_INT_DIGITS, JsonError
from tests.support import make_app, serve

TOOL, SCORE = "/tool/search_catalog", "/score"

REFUSED = [  # (code, JSON text)
    ("json_too_deep", b"[" * (MAX_DEPTH + 1) + b"]" * (MAX_DEPTH + 1)),
    ("json_too_deep", b'{"a":' * 5000 + b"1" + b"}" * 5000),
    ("json_too_deep", b"[" * 1_000_000),  # unclosed: a parser would recurse before noticing
    ("json_too_deep", b'["a \\" [[[", ' + b"[" * 100 + b"]" * 100 + b"]"),  # an escaped quote ends no string
    ("json_number_too_large", b"[" + b"1" * (MAX_INT_DIGITS + 1) + b"]"),
    ("json_number_too_large", b'{"n": -' + b"9" * 10_000 + b"}"),
    ("json_number_too_large", b"[1e999]"),
    ("json_number_too_large", b"[-1.5E+400]"),
    ("json_number_too_large", b"[" + b"9" * 400 + b".0]"),
    ("json_non_finite_number", b"[NaN]"),
    ("json_non_finite_number", b'{"x": Infinity}'),
    ("json_non_finite_number", b'{"x": -Infinity}'),
    ("json_invalid_utf8", b'["\xff"]'),
    ("json_invalid_utf8", b'["\xc3"]'),  # truncated sequence
    ("json_invalid_utf8", b'["\xed\xa0\x80"]'),  # a surrogate encoded as UTF-8 (CESU)
    ("json_invalid_utf8", b'["\xc0\xaf"]'),  # overlong
    ("json_invalid_utf8", '{"a": 1}'.encode("utf-16")),
    ("json_lone_surrogate", b'["\\ud800"]'),
    ("json_lone_surrogate", b'{"k": "x\\uDFFFy"}'),
    ("json_lone_surrogate", b'{"\\ud83d": 1}'),  # in a key
    ("json_lone_surrogate", b'["\\ud83d\\u0041"]'),  # a high surrogate followed by something else
    ("json_duplicate_key", b'{"a": 1, "a": 2}'),
    ("json_duplicate_key", b'{"outer": [{"b": 1, "c": {}, "b": 1}]}'),
    ("json_duplicate_key", b'{"a:": 1, "a\\u003a": 2}'),  # the same key once escaped
    ("json_duplicate_key", b'{"a": 1, "a": 2, "b": "\\u003a"}'),  # an escaped colon hides the dropped pair's
    ("json_duplicate_key", b'{"k": "x:y:z", "k": "w"}'),
    ("invalid_json", b"{not json"),
    ("invalid_json", b'["' + b"[" * 1000),  # an unterminated string: its brackets are text, not nesting
    ("invalid_json", b""),
]
ACCEPTED = [  # (JSON text, value): look-alikes the loader must read
    (b"[" * MAX_DEPTH + b"]" * MAX_DEPTH, json.loads("[" * MAX_DEPTH + "]" * MAX_DEPTH)),
    (b'{"q": "' + b"[{" * 500 + b'"}', {"q": "[{" * 500}),
    (b'["\\"' + b"[" * 100 + b'", 1]', ['"' + "[" * 100, 1]),
    (b"[" + b"9" * MAX_INT_DIGITS + b"]", [int("9" * MAX_INT_DIGITS)]),
    (b"[12345678901234567890123, 1e308, -1e308, 1e-999]", [12345678901234567890123, 1e308, -1e308, 0.0]),
    (b'["\\ud83d\\ude00", "\\\\ud800"]', ["\U0001F600", "\\ud800"]),
    (b'\xef\xbb\xbf{"bom": true}', {"bom": True}),
    (b'{"a": "x\\u003ay", "b": "\\u003a"}', {"a": "x:y", "b": ":"}),
    (b'{"a": {"k": 1}, "b": {"k": 2}}', {"a": {"k": 1}, "b": {"k": 2}}),
    ('{"caf\u00e9": "\u00e9t\u00e9 \U0001F600"}'.encode(), {"caf\u00e9": "\u00e9t\u00e9 \U0001F600"}),
]


@pytest.mark.parametrize("code,text", REFUSED, ids=lambda v: v if isinstance(v, str) else None)
def test_loader_names_the_problem(code, text):
    with pytest.raises(JsonError) as raised:
        jsonfast.loads(text)
    assert raised.value.code == code and raised.value.message
    if code != "json_invalid_utf8":  # the same text handed in as a str (tool arguments) gets the same answer
        with pytest.raises(JsonError) as again:
            jsonfast.loads(text.decode("utf-8-sig"))
        assert again.value.code == code


@pytest.mark.parametrize("text,value", ACCEPTED)
def test_loader_reads_look_alikes(text, value):
    assert jsonfast.loads(text) == value


def test_loader_without_orjson_answers_the_same(monkeypatch):
    monkeypatch.setattr(jsonfast, "orjson", None)
    for code, text in REFUSED:
        with pytest.raises(JsonError) as raised:
            jsonfast.loads(text)
        assert raised.value.code == code, text[:60]
    for text, value in ACCEPTED:
        assert jsonfast.loads(text) == value


def test_writer_never_fails_on_text():
    assert jsonfast.dumps({"a": "x\ud800y", "b": "\u00e9"}) == '{"a":"x\ufffdy","b":"\u00e9"}'.encode()
    with pytest.raises(ValueError):
        jsonfast.dumps({"score": float("nan")})  # JSON has no NaN: that must never be written


def _wrapper(arguments: str) -> dict:
    return {"type": "function_call", "id": "fc_1", "call_id": "call_1", "name": "search_catalog",
            "arguments": arguments, "trace_id": "trace_hostile", "item": {}}


BODIES = [  # (path, body, code): one per problem, at different places of real requests
    (TOOL, b'{"arguments": "{}", "item": ' + b"[" * 200 + b"]" * 200 + b"}", "json_too_deep"),
    (TOOL, b'{"query": "x", "top_k": ' + b"1" * 5000 + b"}", "json_number_too_large"),
    (TOOL, b'{"arguments": "{}", "item": {"p": 1e400}}', "json_number_too_large"),
    (TOOL, b'{"query": "x", "max_price": NaN}', "json_non_finite_number"),
    (TOOL, b'{"arguments": "{}", "trace_id": "t\xff"}', "json_invalid_utf8"),
    (TOOL, b'{"arguments": "{}", "trace_id": "\\udc00"}', "json_lone_surrogate"),
    (TOOL, b'{"arguments": "{\\"query\\": \\"x\\"}", "arguments": "{}"}', "json_duplicate_key"),
    (SCORE, b'{"sample": ' + b'{"a":' * 3000 + b"0" + b"}" * 3000 + b', "item": {}}', "json_too_deep"),
    (SCORE, b'{"sample": {}, "item": {"reference_answer": "A-1"}, "trace_id": ' + b"7" * 4301 + b"}",
     "json_number_too_large"),
    (SCORE, b'{"sample": {"output_json": {"x": -Infinity}}, "item": {"reference_answer": "A-1"}}',
     "json_non_finite_number"),
    (SCORE, b'{"sample": {"output_text": "\xed\xa0\x80"}, "item": {"reference_answer": "A-1"}}', "json_invalid_utf8"),
    (SCORE + "?explain=true", b'{"sample": {"output_text": "\\ud800"}, "item": {"reference_answer": "\\ud800"}}',
     "json_lone_surrogate"),
    (SCORE, b'{"sample": {"output_text": "A-1"}, "item": {"reference_answer": "A-1", "reference_answer": "B-2"}}',
     "json_duplicate_key"),
]
ARGUMENTS = [  # (arguments string, code)
    ('{"query": ' + "[" * 100 + "]" * 100 + "}", "json_too_deep"),
    ('{"query": "x", "top_k": ' + "9" * 4400 + "}", "json_number_too_large"),
    ('{"query": "x", "max_price": 1e309}', "json_number_too_large"),
    ('{"query": "x", "min_rating": NaN}', "json_non_finite_number"),
    ('{"query": "x", "max_price": Infinity}', "json_non_finite_number"),
    ('{"query": "\\ud800"}', "json_lone_surrogate"),
    ('{"query": "puffer", "query": "tent"}', "json_duplicate_key"),
    ('{"query": "x", "top_k": 3', "invalid_json"),
]


@pytest.fixture(scope="module")
def client():
    from fastapi.testclient import TestClient

    with TestClient(make_app()) as c:
        yield c


@pytest.mark.parametrize("path,body,code", BODIES, ids=[f"{p}-{c}" for p, _, c in BODIES])
def test_hostile_body_is_a_400_naming_the_problem(client, path, body, code):
    response = client.post(path, content=body, headers={"Content-Type": "application/json"})
    assert response.status_code == 400, response.text
    assert response.json() == error_content(code, response.json()["error"]["message"])
    assert "the request body is refused" in response.json()["error"]["message"]


@pytest.mark.parametrize("arguments,code", ARGUMENTS, ids=[c for _, c in ARGUMENTS])
def test_hostile_arguments_get_an_error_output(client, arguments, code):
    response = client.post(TOOL, json=_wrapper(arguments))
    assert response.status_code == 200
    output = json.loads(response.json()["output"])
    assert output["error"] == "invalid_arguments" and output["problems"] == [{"field": "arguments", "problem": code}]
    assert output["message"].startswith("arguments are") and output["hint"]
    recorded = asyncio.run(client.app.state.store.calls("trace_hostile"))
    assert recorded[-1].ok is False  # the failed call is still counted for the grader


def test_hostile_requests_over_uvicorn():
    """A real server: the same answers over HTTP (the 500s were first seen here)."""
    with serve(make_app()) as url:
        for path, body, code in BODIES[:2] + BODIES[7:9]:
            request = urllib.request.Request(url + path, data=body, headers={"Content-Type": "application/json"})
            with pytest.raises(urllib.error.HTTPError) as refused:
                urllib.request.urlopen(request, timeout=30)
            assert refused.value.code == 400 and json.loads(refused.value.read())["error"]["code"] == code
        body = json.dumps(_wrapper(ARGUMENTS[0][0])).encode()
        request = urllib.request.Request(url + TOOL, data=body, headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=30) as answered:
            output = json.loads(json.loads(answered.read())["output"])
        assert output["problems"][0]["problem"] == "json_too_deep"


def test_score_trace_id_longer_than_any_tool_call_is_422(client):
    body = {"sample": {"output_text": "JKT-URB-009"}, "item": {"reference_answer": "JKT-URB-009"}}
    assert client.post(SCORE, json={**body, "trace_id": "t" * 256}).status_code == 200
    response = client.post(SCORE, json={**body, "trace_id": "t" * 257})
    assert response.status_code == 422 and response.json()["error"]["code"] == "invalid_grader_request"


def test_trace_paths_that_cannot_name_a_trace_are_404(client):
    client.post(TOOL, json={**_wrapper('{"query": "puffer"}'), "trace_id": "x"})
    assert len(client.get("/traces/x").json()["calls"]) == 1
    for path in ("/traces/x%0A", "/traces/"):  # "$" in the route's pattern matches before a final newline
        response = client.get(path)
        assert response.status_code == 404 and response.json()["error"]["code"] == "not_found"
    odd = client.get("/traces/%FF%FE")  # not UTF-8: the server decodes it with replacement characters
    assert odd.status_code == 200 and odd.json() == {"trace_id": "\ufffd\ufffd", "calls": []}


def test_absurd_content_length_is_413_not_500(client):
    # TestClient recomputes Content-Length, so the middleware is called the way a server would.
    app = client.app
    sent: list[dict] = []

    async def receive() -> dict:
        return {"type": "http.request", "body": b"{}", "more_body": False}

    async def send(message: dict) -> None:
        sent.append(message)

    scope = {"type": "http", "method": "POST", "path": TOOL, "raw_path": TOOL.encode(), "query_string": b"",
             "headers": [(b"content-type", b"application/json"), (b"content-length", b"9" * 5000)],
             "http_version": "1.1", "scheme": "http", "server": ("127.0.0.1", 80), "client": None, "root_path": ""}
    asyncio.run(app(scope, receive, send))
    assert sent[0]["status"] == 413
    assert json.loads(sent[1]["body"]) == error_content("body_too_large", json.loads(sent[1]["body"])["error"]
                                                        ["message"])


@pytest.mark.parametrize("path", ["/traces/%FF%FE", "/traces/%ED%A0%80", "/score%C3"])
def test_functions_adapter_answers_a_non_utf8_path_with_400(http_function, path):
    request = func.HttpRequest("GET", f"http://localhost{path}", headers={}, body=b"")
    response = asyncio.run(http_function.get_user_function()(request, None))
    assert response.status_code == 400 and json.loads(response.get_body())["error"]["code"] == "invalid_path"


def test_functions_adapter_refuses_hostile_bodies(http_function):
    for path, body, code in BODIES:
        request = func.HttpRequest("POST", f"http://localhost{path}", headers={"Content-Type": "application/json"},
                                   body=body)
        response = asyncio.run(http_function.get_user_function()(request, None))
        assert response.status_code == 400 and json.loads(response.get_body())["error"]["code"] == code
