"""Fuzzing: schemathesis against the app's own OpenAPI (auth off and on), hypothesis properties of the
grader's answer extraction and the tool's argument parsing, and hostile JSON (deep nesting, huge numbers, NaN,
invalid UTF-8, lone surrogates, duplicate keys) inside otherwise valid requests, through the ASGI app and the
Azure Functions adapter: never a 5xx; a hostile body is a 400 naming the problem, hostile tool arguments an
error output the model can read."""

from __future__ import annotations

import asyncio
import json
import math

import azure.functions as func
import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis.checks import (
    content_type_conformance,
    negative_data_rejection,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from catalog_tools.grading import grade
from catalog_tools.jsonfast import MAX_DEPTH, MAX_INT_DIGITS
from catalog_tools.tools import SearchArguments, run_search
from tests.support import make_app, shipped_catalog

KEY = "fuzz-key-0123456789"
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance,
          negative_data_rejection]
FUZZ = settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)

open_schema = schemathesis.openapi.from_asgi("/openapi.json", make_app())
secured_schema = schemathesis.openapi.from_asgi(
    "/openapi.json", make_app(tool_auth_disabled=False, score_auth_disabled=False, tool_api_key=KEY,
                              score_api_key=KEY))


@open_schema.parametrize()
@FUZZ
@pytest.mark.slow
def test_api_with_auth_off(case):
    case.call_and_validate(checks=CHECKS)


@secured_schema.parametrize()
@FUZZ
@pytest.mark.slow
def test_api_with_auth_on_and_the_key(case):
    case.call_and_validate(headers={"X-Functions-Key": KEY}, checks=CHECKS)


@secured_schema.parametrize()
@settings(max_examples=15, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
@pytest.mark.slow
def test_api_with_auth_on_and_no_key(case):
    response = case.call(headers={"api-key": "wrong"})
    assert response.status_code < 500
    # 405 comes from the coverage phase trying other methods; 404 from paths a route cannot match.
    if case.path in ("/score", "/tool/search_catalog", "/traces/{trace_id}") and response.status_code not in (404, 405):
        assert response.status_code == 401 and response.json()["error"]["code"] == "unauthorized"


json_values = st.recursive(st.none() | st.booleans() | st.floats(allow_nan=False) | st.integers() | st.text(),
                           lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
                           max_leaves=20)
samples = st.fixed_dictionaries({}, optional={
    "output_text": st.none() | st.text(), "output_json": json_values,
    "choices": st.lists(st.fixed_dictionaries({"message": st.fixed_dictionaries({"content": json_values})})),
    "output_tools": json_values})


@given(sample=samples, reference=st.text(min_size=1).filter(lambda s: s.strip()),
       calls=st.integers(min_value=0, max_value=10_000), offered=st.booleans())
@settings(max_examples=300, deadline=None)
@pytest.mark.slow
def test_any_sample_scores_in_unit_interval(sample, reference, calls, offered):
    result = grade(sample, reference, calls, offered)
    assert 0.0 <= result.score <= 1.0 and not math.isnan(result.score)


@given(text=st.text())
@settings(max_examples=300, deadline=None)
def test_any_answer_text_scores_in_unit_interval(text):
    assert 0.0 <= grade({"output_text": text}, "JKT-URB-009", 1, True).score <= 1.0


arguments = st.one_of(st.text(), json_values, st.dictionaries(
    st.sampled_from(list(SearchArguments.model_fields) + ["colour", "limit"]), json_values, max_size=6))


@given(raw=arguments)
@settings(max_examples=300, deadline=None)
def test_any_tool_arguments_give_a_json_output(raw):
    output, ok = run_search(raw, shipped_catalog(), 16_000, time_budget=5.0)
    parsed = json.loads(output)
    assert isinstance(parsed, dict) and len(output) <= 16_000
    assert ok == ("error" not in parsed)


# Hostile JSON: (the code the app must name, or None for look-alikes it must accept, the raw JSON value).
def _nested(depth: int, shape: str, closed: bool) -> bytes:
    opener, closer = {"array": (b"[", b"]"), "object": (b'{"k":', b"}"), "mixed": (b'[{"k":', b"}]")}[shape]
    return opener * depth + b"0" + (closer * depth if closed else b"")


too_deep = st.builds(_nested, st.integers(MAX_DEPTH + 1, 3000), st.sampled_from(["array", "object", "mixed"]),
                     st.booleans()).map(lambda raw: ("json_too_deep", raw))
brackets_in_a_string = st.builds(lambda n, c: b'"' + c * n + b'"', st.integers(MAX_DEPTH + 1, 3000),
                                 st.sampled_from([b"[", b"{", b"[{"])).map(lambda raw: (None, raw))
huge_int = st.builds(lambda sign, digit, n: sign + digit * n, st.sampled_from([b"", b"-"]),
                     st.sampled_from([b"1", b"7", b"9"]), st.integers(MAX_INT_DIGITS + 1, 8000)
                     ).map(lambda raw: ("json_number_too_large", raw))
longest_int = st.just((None, b"9" * MAX_INT_DIGITS))
huge_float = st.one_of(st.integers(309, 10**6).map(lambda e: f"1e{e}".encode()),
                       st.integers(310, 2000).map(lambda n: b"-" + b"9" * n + b".5")
                       ).map(lambda raw: ("json_number_too_large", raw))
non_finite = st.sampled_from([b"NaN", b"Infinity", b"-Infinity"]).map(lambda raw: ("json_non_finite_number", raw))
lone_surrogate = st.builds(lambda c, upper, after: (f"\\u{c:04X}" if upper else f"\\u{c:04x}").encode() + after,
                           st.integers(0xD800, 0xDFFF), st.booleans(), st.sampled_from([b"", b"x", b"\\u0041"])
                           ).map(lambda esc: ("json_lone_surrogate", b'"' + esc + b'"'))
surrogate_pair = st.just((None, b'"\\ud83d\\ude00"'))
duplicate_key = st.one_of(
    st.text(max_size=8).map(lambda k: json.dumps(k).encode()).map(lambda key: b"{" + key + b":1,\n" + key + b":[2]}"),
    st.just(b'{"a":1,"a":2,"b":"\\u003a"}'),  # an escaped colon balances the dropped pair's in a colon count
).map(lambda raw: ("json_duplicate_key", raw))
invalid_utf8 = st.sampled_from([b"\xff", b"\xfe\xff", b"\xc3", b"\xed\xa0\x80", b"\xc0\xaf", b"\x80",
                                b"\xf8\x88\x80\x80"]).map(lambda bad: ("json_invalid_utf8", b'"a' + bad + b'b"'))
# What JSON text can carry inside a string (the `arguments`): everything but raw invalid UTF-8.
hostile_text_values = st.one_of(too_deep, brackets_in_a_string, huge_int, longest_int, huge_float, non_finite,
                                lone_surrogate, surrogate_pair, duplicate_key)
hostile_values = hostile_text_values | invalid_utf8
# Ordinary values around the hostile one (finite floats: Infinity would be a second problem).
filler = st.recursive(st.none() | st.booleans() | st.floats(allow_nan=False, allow_infinity=False) | st.integers()
                      | st.text(max_size=20), lambda inner: st.lists(inner, max_size=3)
                      | st.dictionaries(st.text(max_size=8), inner, max_size=3), max_leaves=8
                      ).map(lambda v: json.dumps(v).encode())

TOOL_BODIES = [  # @@ is the hostile value, ## the filler
    b'{"type":"function_call","id":"fc_1","call_id":"call_1","name":"search_catalog",'
    b'"arguments":"{\\"query\\":\\"puffer\\"}","trace_id":"trace_h","item":@@,"filler":##}',
    b'{"filler":##,"type":"function_call","call_id":"call_1","arguments":{"query":"x"},"extra":[1,{"v":@@}]}',
    b'{"query":"puffer","top_k":@@,"filler":##}',
]
SCORE_BODIES = [
    b'{"sample":{"output_text":@@},"item":{"reference_answer":"JKT-URB-009"},"filler":##}',
    b'{"filler":##,"sample":{"output_text":"JKT-URB-009"},"item":{"reference_answer":"JKT-URB-009","tools":@@},'
    b'"trace_id":"trace_h"}',
    b'{"sample":{"choices":[{"message":{"content":[{"text":@@}]}}]},"item":{"reference_answer":"X-1","f":##}}',
]
ARGUMENTS = ['{"query":"x","top_k":@@}', '{"query":@@}', '{"query":"","category":"jackets","extra":[@@]}', "@@"]
HOSTILE = settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)


def _fill(template: bytes, value: bytes, filler_value: bytes) -> bytes:
    return template.replace(b"@@", value).replace(b"##", filler_value)


@pytest.fixture(scope="module")
def asgi_client():
    with TestClient(make_app()) as client:
        yield client


def _post(transport, path: str, body: bytes) -> tuple[int, bytes]:
    """POST through the ASGI app (a TestClient) or the Functions adapter (an azure.functions function)."""
    if isinstance(transport, TestClient):
        response = transport.post(path, content=body, headers={"Content-Type": "application/json"})
        return response.status_code, response.content
    request = func.HttpRequest("POST", f"http://localhost{path}", headers={"Content-Type": "application/json"},
                               body=body)
    response = asyncio.run(transport.get_user_function()(request, None))
    return response.status_code, response.get_body()


def _check_body_answer(status: int, content: bytes, code: str | None) -> None:
    assert status < 500, content[:300]
    answer = json.loads(content)
    if code is None:
        assert status == 200, content[:300]
    else:
        assert status == 400 and answer["error"]["code"] == code, content[:300]
        assert answer["error"]["message"]


def _check_arguments_answer(status: int, content: bytes, code: str | None) -> None:
    assert status == 200, content[:300]
    answer = json.loads(content)
    assert answer["type"] == "function_call_output" and answer["call_id"] == "call_1"
    output = json.loads(answer["output"])
    if code is not None:
        assert output["error"] == "invalid_arguments" and output["problems"] == [{"field": "arguments",
                                                                                 "problem": code}]
        assert output["message"] and output["hint"]


@pytest.mark.parametrize("via", ["asgi", "functions"])
@pytest.mark.parametrize(("path", "templates"), [("/tool/search_catalog", TOOL_BODIES), ("/score", SCORE_BODIES)],
                         ids=["tool", "grader"])
@given(data=st.data(), hostile=hostile_values, around=filler)
@HOSTILE
def test_hostile_bodies_get_a_400_naming_the_problem(via, path, templates, data, hostile, around, request):
    transport = request.getfixturevalue("asgi_client" if via == "asgi" else "http_function")
    code, value = hostile
    body = _fill(data.draw(st.sampled_from(templates)), value, around)
    _check_body_answer(*_post(transport, path, body), code)


@pytest.mark.parametrize("via", ["asgi", "functions"])
@given(data=st.data(), hostile=hostile_text_values, around=filler)
@HOSTILE
def test_hostile_tool_arguments_get_an_error_output(via, data, hostile, around, request):
    transport = request.getfixturevalue("asgi_client" if via == "asgi" else "http_function")
    code, value = hostile
    arguments = data.draw(st.sampled_from(ARGUMENTS)).replace("@@", value.decode())
    body = json.dumps({"type": "function_call", "id": "fc_1", "call_id": "call_1", "name": "search_catalog",
                       "arguments": arguments, "trace_id": "trace_h", "item": json.loads(around)}).encode()
    _check_arguments_answer(*_post(transport, "/tool/search_catalog", body), code)
