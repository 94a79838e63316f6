"""The fast path (catalog_tools.http.fast_path) answers exactly as the FastAPI routes: same status, headers and body
for the service's requests and for every kind of mistake, on every tool route, `/tools` and `/score`, with auth off
and on. Each request is sent to the app as built, then again with the fast path switched off (every request handed
to the routes). With the fast path on, the routes see only what it does not serve (a query string): a client
error is answered once, not handed over and run again."""

from __future__ import annotations

import json
import re

import pytest
from fastapi.testclient import TestClient

from catalog_tools.http import fast_path
from catalog_tools.http.routes import grader, tools
from tests.support import make_app

TOOL, SCORE, PRODUCT, TOOLS = "/tool/search_catalog", "/score", "/tool/get_product", "/tools"
ROW = {"messages": [{"role": "user", "content": "warm jacket?", "name": None}], "parallel_tool_calls": False,
       "tools": [{"type": "function", "function": {"name": "search_catalog"}}], "reference_answer": "JKT-URB-009"}
SAMPLE = {"choices": [{"index": 0, "message": {"role": "assistant", "content": "", "tool_calls": []},
                       "finish_reason": "stop"}], "output_text": "JKT-URB-009", "output_json": None, "output_tools": [],
          "output_reasoning_summary": None}


def _wrapper(arguments: object, name: str = "search_catalog", **extra: object) -> bytes:
    body = {"type": "function_call", "id": "fc_1", "call_id": "call_1", "name": name,
            "arguments": arguments, "trace_id": "trace_fp", "item": ROW}
    return json.dumps({**body, **extra}).encode()


CASES = [
    (TOOL, _wrapper(json.dumps({"query": "Urban Puffer", "top_k": 3})), "application/json"),
    (TOOL, _wrapper({"query": "warm jacket", "max_price": 200, "sort": "price_asc"}), "application/json"),
    (TOOL, _wrapper(json.dumps({"query": "", "category": "jackets", "color": "navy", "size": "M"})), "text/plain"),
    (TOOL, _wrapper(json.dumps({"query": "jaket", "top_k": 20})), "application/json"),
    (TOOL, _wrapper(json.dumps({"query": "café puffer"})), "application/json"),
    (TOOL, _wrapper(json.dumps({"query": "x", "color": "mauve"})), "application/json"),
    (TOOL, _wrapper("{not json"), "application/json"),
    (TOOL, _wrapper(json.dumps({"query": "x", "top_k": 18446744073709551616})), "application/json"),
    (TOOL, _wrapper("{}", name="other_tool"), "application/json"),
    (TOOL, _wrapper("{}", call_id=5), "application/json"),
    (TOOL, b'{"query": "Urban Puffer", "top_k": 1}', "application/json"),
    (TOOL, b'{"query": NaN}', "application/json"),
    (TOOL, b'\xef\xbb\xbf{"query": "puffer"}', "application/json"),
    (TOOL, b"[1, 2]", "application/json"),
    (TOOL, b"", "application/json"),
    (TOOL, b"\xff\xfe", "application/json"),
    (TOOL, b'{"query": "puffer"}', "text/html"),
    (TOOL, b'{"query": "puffer"}', "application/json; charset=utf-8"),
    (TOOL + "?x=1", b'{"query": "puffer"}', "application/json"),
    (SCORE, json.dumps({"sample": SAMPLE, "item": ROW, "trace_id": "trace_fp"}).encode(), "application/json"),
    (SCORE, json.dumps({"sample": {**SAMPLE, "output_text": "It is JKT-URB-009."}, "item": ROW}).encode(),
     "application/json"),
    (SCORE, json.dumps({"sample": SAMPLE, "item": {**ROW, "reference_answer": ""}}).encode(), "application/json"),
    (SCORE, json.dumps({"sample": [], "item": ROW}).encode(), "application/json"),
    (SCORE, json.dumps({"sample": SAMPLE, "item": ROW, "trace_id": 7}).encode(), "application/json"),
    (SCORE + "?explain=true", json.dumps({"sample": SAMPLE, "item": ROW, "trace_id": "trace_fp"}).encode(),
     "application/json"),
    (SCORE, b"{", "application/json"),
    (SCORE, b"{}", "application/xml"),
    # Hostile JSON: the body refused with the same 400, the arguments answered with the same error output.
    (TOOL, b'{"query": ' + b"[" * 5000 + b"]" * 5000 + b"}", "application/json"),
    (TOOL, b'{"query": "x", "top_k": ' + b"9" * 5000 + b"}", "application/json"),
    (TOOL, b'{"query": "x", "query": "y"}', "application/json"),
    (TOOL, b'{"query": "\\udbff"}', "application/json"),
    (TOOL, b'{"query": "\xed\xa0\x80"}', "application/json"),
    (TOOL, _wrapper('{"query": ' + "[" * 5000 + "]" * 5000 + "}"), "application/json"),
    (TOOL, _wrapper('{"query": "x", "top_k": ' + "9" * 5000 + "}"), "application/json"),
    (TOOL, _wrapper('{"query": "x", "max_price": -Infinity}'), "application/json"),
    (TOOL, _wrapper('{"query": "x", "max_price": 1e999}'), "application/json"),
    (TOOL, _wrapper('{"query": "\\ud800"}'), "application/json"),
    (TOOL, _wrapper('{"query": "x", "query": "y"}'), "application/json"),
    (SCORE, json.dumps({"sample": SAMPLE, "item": ROW}).encode()[:-1] + b', "x": ' + b"{" * 70 + b"}" * 70 + b"}",
     "application/json"),
    (SCORE, b'{"sample": {"output_text": NaN}, "item": {"reference_answer": "A-1"}}', "application/json"),
    (SCORE + "?explain=true", b'{"sample": {"output_text": "\\ud800"}, "item": {"reference_answer": "A-1"}}',
     "application/json"),
    (SCORE, b'{"sample": {}, "item": {"reference_answer": "A-1"}, "trace_id": "' + b"t" * 300 + b'"}',
     "application/json"),
    # get_product and the shared /tools: answers, model mistakes in `output`, client errors.
    (PRODUCT, _wrapper('{"sku": "JKT-URB-009"}', name="get_product"), "application/json"),
    (PRODUCT, _wrapper('{"sku": "JKT-URB-010"}', name="get_product"), "application/json"),
    (PRODUCT, _wrapper('{"sku": "Urban Puffer"}', name="get_product"), "application/json"),
    (PRODUCT, _wrapper('{"sku": 5}', name="get_product"), "application/json"),
    (PRODUCT, _wrapper('{"sku": "JKT-URB-009"}'), "application/json"),
    (PRODUCT, b'{"sku": "jkt-urb-009"}', "application/json"),
    (PRODUCT, b'{"sku": "JKT-URB-009"}', "text/html"),
    (PRODUCT, b"[]", "application/json"),
    (PRODUCT + "?x=1", b'{"sku": "JKT-URB-009"}', "application/json"),
    (TOOLS, _wrapper('{"query": "Urban Puffer", "top_k": 2}'), "application/json"),
    (TOOLS, _wrapper('{"sku": "JKT-URB-009"}', name="get_product"), "application/json"),
    (TOOLS, _wrapper('{"sku": "JKT-URB-009"}', name="no_such_tool"), "application/json"),
    (TOOLS, json.dumps({"type": "function_call", "call_id": "call_9", "arguments": "{}"}).encode(),
     "application/json"),
    (TOOLS, b'{"query": "puffer"}', "application/json"),
    (TOOLS, _wrapper("{}", id=["not", "a", "string"]), "application/json"),
    (TOOLS, b"{", "application/json"),
    (TOOLS, b"", "text/plain"),
]


def _answers(monkeypatch: pytest.MonkeyPatch, fast: bool, headers: dict[str, str], served: list[str],
             routed: list[str], **settings: object) -> list:
    if fast:  # count what the fast path answered itself, so the comparison cannot pass by always handing over
        def counted(path: str, handler: fast_path.Handler) -> fast_path.Handler:
            async def handle(*args: object) -> object:
                try:
                    return await handler(*args)
                finally:
                    served.append(path)  # an answer or a client error (ApiError), both sent by the fast path
            return handle
        made = fast_path.handlers
        monkeypatch.setattr(fast_path, "handlers",
                            lambda registry: {p: counted(p, h) for p, h in made(registry).items()})
    else:
        monkeypatch.setattr(fast_path, "handlers", lambda registry: {})
    for module in (tools, grader):  # every request a route handles reads its body once
        def reading(request: object, read=module.read_json_object) -> object:
            routed.append(request.url.path)
            return read(request)
        monkeypatch.setattr(module, "read_json_object", reading)
    out = []
    with TestClient(make_app(**settings)) as client:
        for path, body, content_type in CASES:
            response = client.post(path, content=body, headers={"Content-Type": content_type, **headers})
            text = re.sub(r"(fc|call)_[0-9a-f]{32}", r"\1_X", response.text)  # ids made for the direct form
            out.append((path, response.status_code, response.headers.get("content-type"),
                        response.headers.get("www-authenticate"), text))
    monkeypatch.undo()
    return out


@pytest.mark.parametrize("auth", ["off", "on, right key", "on, wrong key"])
def test_fast_path_answers_like_the_routes(monkeypatch, auth):
    settings: dict[str, object] = {}
    headers: dict[str, str] = {}
    if auth != "off":
        settings = {"tool_auth_disabled": False, "score_auth_disabled": False, "tool_api_key": "k",
                    "score_api_key": "k"}
        headers = {"X-Functions-Key": "k" if auth == "on, right key" else "nope"}
    served: list[str] = []
    routed: list[str] = []
    fast = _answers(monkeypatch, True, headers, served, routed, **settings)
    routed_only = _answers(monkeypatch, False, headers, [], [], **settings)
    assert fast == routed_only
    plain = [path for path, _, _ in CASES if "?" not in path]
    # Every plain POST is answered by the fast path exactly once, client errors included; the routes see only the
    # query-string requests (the wrong key is refused before the body is read, there as well).
    assert served == plain
    with_query = [path.split("?")[0] for path, _, _ in CASES if "?" in path]
    assert routed == ([] if auth == "on, wrong key" else with_query)
    if auth == "on, wrong key":
        assert all(status == 401 for _, status, *_ in fast)
    else:
        statuses = {status for _, status, *_ in fast}
        assert {200, 400, 415, 422} <= statuses
