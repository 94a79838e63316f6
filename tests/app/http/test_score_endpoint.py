"""POST /score: the exact response shape, the real captured sample, tool use through trace_id, 422s."""

from __future__ import annotations

import pytest

from rftkit.wire import sample_from_text
from tests.support import make_app

REF = "JKT-URB-009"
TOOLS = [{"type": "function", "function": {"name": "search_catalog", "parameters": {"type": "object"}}}]


def service_item(reference: str | None = REF, tools: list | None = TOOLS) -> dict:
    item = {"messages": [{"role": "developer", "content": "Call search_catalog first.", "name": None},
                         {"role": "user", "content": "Cheapest warm jacket under $200?", "name": None}],
            "tools": tools, "parallel_tool_calls": True, "id": "train-0001"}
    if reference is not None:
        item["reference_answer"] = reference
    return item


def call_tool(client, trace_id: str, call_id: str) -> None:
    body = {"type": "function_call", "id": f"fc_{call_id}", "call_id": call_id, "name": "search_catalog",
            "arguments": '{"query":"puffer"}', "trace_id": trace_id, "item": {}}
    assert client.post("/tool/search_catalog", json=body).status_code == 200


def test_seed_readme_request_scores_one(client):
    body = {"sample": {"output_text": REF}, "item": {"reference_answer": REF}, "trace_id": "trace_test"}
    response = client.post("/score", json=body)
    assert response.status_code == 200 and response.json() == {"score": 1.0}
    assert response.text == '{"score":1.0}'


@pytest.mark.parametrize("text,expected", [
    (REF, 1.0), ("jkt-urb-009", 1.0), (f"  `{REF}`.\n", 1.0), (f"The answer is {REF}.", 0.3),
    (f"{REF}, JKT-ALP-001", 0.0), ("JKT-URB-008", 0.0), ("", 0.0),
])
def test_real_sample_shape_with_tool_call(client, text, expected):
    call_tool(client, "trace_one", "call_1")
    body = {"sample": sample_from_text(text), "item": service_item(), "trace_id": "trace_one"}
    assert client.post("/score", json=body).json() == {"score": expected}


def test_captured_empty_sample_from_azure(client):
    body = {"sample": sample_from_text(""), "item": service_item(), "trace_id": "trace_empty"}
    assert client.post("/score", json=body).json() == {"score": 0.0}


def test_output_json_fallback(client):
    sample = {**sample_from_text(""), "output_json": {"sku": REF}}
    body = {"sample": sample, "item": service_item(tools=None), "trace_id": "t"}
    assert client.post("/score", json=body).json() == {"score": 1.0}


def test_no_tool_call_earns_less_and_extra_calls_cost(client):
    def score(trace):
        body = {"sample": sample_from_text(REF), "item": service_item(), "trace_id": trace}
        return client.post("/score?explain=true", json=body).json()

    none = score("trace_none")
    for i in range(2):
        call_tool(client, "trace_two", f"call_{i}")
    for i in range(6):
        call_tool(client, "trace_six", f"call_{i}")
    two, six = score("trace_two"), score("trace_six")
    assert none["details"]["tool_calls"] == 0 and two["details"]["tool_calls"] == 2
    assert six["details"]["tool_calls"] == 6
    assert two["score"] == 1.0 > six["score"] > none["score"] > 0


def test_explain_details(client):
    call_tool(client, "trace_x", "call_1")
    call_tool(client, "trace_x", "call_1")  # a retried call counts once
    body = {"sample": sample_from_text(f"It is {REF}."), "item": service_item(), "trace_id": "trace_x"}
    out = client.post("/score?explain=true", json=body).json()
    assert out["score"] == 0.3
    assert out["details"] == {"answer": f"It is {REF}", "answer_source": "output_text", "verdict": "embedded",
                              "reference": REF, "components": {"answer": 0.3, "tool_use": 1.0},
                              "tool_calls": 1, "tool_offered": True}


@pytest.mark.parametrize("item", [{}, {"reference_answer": ""}, {"reference_answer": None},
                                  {"reference_answer": ["JKT"]}])
def test_missing_reference_is_422(client, item):
    response = client.post("/score", json={"sample": {"output_text": REF}, "item": item, "trace_id": "t"})
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "missing_reference_answer"
    assert "reference_answer" in response.json()["error"]["message"]


@pytest.mark.parametrize("body,field", [
    ({"item": {"reference_answer": REF}}, "sample"),
    ({"sample": "JKT", "item": {"reference_answer": REF}}, "sample"),
    ({"sample": {}, "item": [1]}, "item"),
])
def test_malformed_grader_requests_are_422(client, body, field):
    response = client.post("/score", json=body)
    assert response.status_code == 422 and response.json()["error"]["details"][0]["field"] == field


def test_trace_id_must_be_a_string(client):
    body = {"sample": {}, "item": {"reference_answer": REF}, "trace_id": 7}
    assert client.post("/score", json=body).status_code == 422


def test_weights_come_from_settings():
    from fastapi.testclient import TestClient

    with TestClient(make_app(grader_prose_credit=0.0, grader_no_tool_factor=0.2)) as c:
        body = {"sample": sample_from_text(REF), "item": service_item(), "trace_id": "trace_w"}
        assert c.post("/score", json=body).json() == {"score": 0.2}
