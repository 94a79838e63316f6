"""The endpoint grader against real HTTP servers on loopback: the project's /score, and a misbehaving server."""

from __future__ import annotations

import asyncio
import json
import uuid

import httpx
import pytest
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, PlainTextResponse

from rftkit.graders import arun_grader, run_grader, sample_from_text
from rftkit.graders.presets import endpoint_grader, job_a_grader
from tests.support import free_port, make_app, serve

TOOLS = [{"type": "function", "function": {"name": "search_catalog", "description": "search",
                                            "parameters": {"type": "object", "properties": {}}}}]
PLAIN_ROW = {"id": "valid-0001", "messages": [{"role": "user", "content": "Urban Puffer SKU?", "name": None}],
             "tools": None, "reference_answer": "JKT-URB-009"}
TOOL_ROW = {**PLAIN_ROW, "tools": TOOLS}


@pytest.fixture(scope="module")
def app_url():
    with serve(make_app()) as url:
        yield url


def misbehaving_app(seen: list[dict]) -> FastAPI:
    app = FastAPI()

    @app.post("/echo")
    async def echo(request: Request) -> JSONResponse:
        seen.append({"body": await request.json(), "headers": dict(request.headers)})
        return JSONResponse({"score": 0.75})

    @app.post("/status/{code}")
    async def status(code: int) -> JSONResponse:
        return JSONResponse({"error": "boom"}, status_code=code)

    @app.post("/text")
    async def text() -> PlainTextResponse:
        return PlainTextResponse("fine")

    @app.post("/score-is/{value}")
    async def score_is(value: str) -> JSONResponse:
        return JSONResponse({"score": json.loads(value)})

    @app.post("/slow")
    async def slow() -> JSONResponse:
        await asyncio.sleep(2)
        return JSONResponse({"score": 1.0})

    return app


@pytest.fixture(scope="module")
def odd():
    seen: list[dict] = []
    with serve(misbehaving_app(seen)) as url:
        yield url, seen


@pytest.mark.parametrize(("answer", "expected"), [
    ("JKT-URB-009", 1.0),
    ("jkt-urb-009", 1.0),                                # /score ignores case
    ("The best match is JKT-URB-009.", 0.3),             # a single SKU in prose
    ("JKT-URB-009 or JKT-URB-008", 0.0),                 # hedging
    ("JKT-URB-008", 0.0),
    ("", 0.0),
])
def test_project_score_endpoint(app_url, answer, expected):
    result = run_grader(endpoint_grader(f"{app_url}/score"), sample_from_text(answer), PLAIN_ROW)
    assert result["metadata"]["error_messages"] == []
    assert result["reward"] == pytest.approx(expected)
    assert result["metadata"]["type"] == "endpoint" and result["metadata"]["name"] == "catalog_grader"


def test_trace_id_reaches_the_grader(app_url):
    grader = endpoint_grader(f"{app_url}/score")
    trace_id = f"trace_{uuid.uuid4().hex}"
    without_tool = run_grader(grader, sample_from_text("JKT-URB-009"), TOOL_ROW, trace_id=trace_id)
    assert without_tool["reward"] == pytest.approx(0.5)  # the row offers a tool and none was called
    call = {"type": "function_call", "id": "fc_1", "call_id": "call_1", "name": "search_catalog",
            "arguments": json.dumps({"query": "Urban Puffer"}), "trace_id": trace_id, "item": TOOL_ROW}
    assert httpx.post(f"{app_url}/tool/search_catalog", json=call).status_code == 200
    with_tool = run_grader(grader, sample_from_text("JKT-URB-009"), TOOL_ROW, trace_id=trace_id)
    assert with_tool["reward"] == pytest.approx(1.0)
    other_trace = run_grader(grader, sample_from_text("JKT-URB-009"), TOOL_ROW)
    assert other_trace["reward"] == pytest.approx(0.5)


def test_request_shape_and_headers(odd):
    url, seen = odd
    grader = {**endpoint_grader(f"{url}/echo"), "headers": {"X-Functions-Key": "secret"}}
    sample = sample_from_text("JKT-URB-009")
    result = run_grader(grader, sample, PLAIN_ROW, trace_id="trace_abc")
    assert result["reward"] == 0.75
    request = seen[-1]
    assert request["body"] == {"sample": sample, "item": PLAIN_ROW, "trace_id": "trace_abc"}
    assert request["headers"]["x-functions-key"] == "secret"
    assert request["headers"]["content-type"] == "application/json"


@pytest.mark.parametrize(("path", "flag", "fragment"), [
    ("/status/500", "other_error", "HTTP 500"),
    ("/status/401", "other_error", "HTTP 401"),
    ("/text", "other_error", "not JSON"),
    ("/score-is/%22high%22", "other_error", "no numeric `score`"),
    ("/score-is/true", "other_error", "no numeric `score`"),
    ("/slow", "unresponsive_reward_error", "no answer in time"),
])
def test_endpoint_failures_are_reported_not_raised(odd, path, flag, fragment):
    url, _ = odd
    with httpx.Client(timeout=0.5) as client:
        result = run_grader(endpoint_grader(f"{url}{path}"), sample_from_text("x"), PLAIN_ROW, http_client=client)
    assert result["reward"] == 0.0
    assert result["metadata"]["errors"][flag] is True
    assert fragment in result["metadata"]["error_messages"][0]
    assert result["metadata"]["error_messages"][0].startswith(f"{url}{path}: ")


def test_unreachable_endpoint_is_reported():
    url = f"http://127.0.0.1:{free_port()}/score"
    result = run_grader(endpoint_grader(url), sample_from_text("x"), PLAIN_ROW)
    assert result["metadata"]["errors"]["unresponsive_reward_error"] is True
    assert "cannot reach it" in result["metadata"]["error_messages"][0]
    async_result = asyncio.run(arun_grader(endpoint_grader(url), sample_from_text("x"), PLAIN_ROW))
    assert async_result["metadata"]["errors"]["unresponsive_reward_error"] is True


def test_endpoint_inside_a_multi_grader(app_url):
    grader = job_a_grader()
    grader["graders"]["ep"] = endpoint_grader(f"{app_url}/score")
    grader["calculate_output"] = "0.5 * ep + 0.5 * exact"
    lower = run_grader(grader, sample_from_text("jkt-urb-009"), PLAIN_ROW)
    assert lower["sub_rewards"]["ep"] == 1.0 and lower["sub_rewards"]["exact"] == 0.0
    assert lower["reward"] == pytest.approx(0.5)
    grader["graders"]["ep"]["url"] = f"http://127.0.0.1:{free_port()}/score"
    down = run_grader(grader, sample_from_text("JKT-URB-009"), PLAIN_ROW)
    assert down["reward"] == 0.0 and down["metadata"]["errors"]["unresponsive_reward_error"] is True
    assert down["metadata"]["error_messages"][0].startswith("graders.ep: ")


def test_a_score_on_the_endpoints_own_scale_is_used_as_is(odd):
    """Azure's sample endpoint grader scores 0-5 and is combined in a multi grader as (python + endpoint) / 2."""
    url, _ = odd
    assert run_grader(endpoint_grader(f"{url}/score-is/4"), sample_from_text("x"), PLAIN_ROW)["reward"] == 4.0
    grader = {"type": "multi", "name": "m", "calculate_output": "(ep + exact) / 2",
              "graders": {"ep": {"type": "endpoint", "url": f"{url}/score-is/5"},  # no name: it is optional
                          "exact": job_a_grader()["graders"]["exact"]}}
    result = run_grader(grader, sample_from_text("JKT-URB-009"), PLAIN_ROW)
    assert result["sub_rewards"] == {"ep": 5.0, "exact": 1.0} and result["reward"] == 3.0
    assert not any(result["metadata"]["errors"][flag] for flag in ("other_error", "formula_parse_error"))


@pytest.mark.slow
def test_many_concurrent_async_gradings(app_url):
    grader = endpoint_grader(f"{app_url}/score")
    answers = ["JKT-URB-009", "The best match is JKT-URB-009.", "JKT-URB-008"] * 40

    async def grade_all() -> list[dict]:
        async with httpx.AsyncClient(timeout=30) as client:
            return await asyncio.gather(*(arun_grader(grader, sample_from_text(a), PLAIN_ROW, http_client=client)
                                          for a in answers))

    results = asyncio.run(grade_all())
    assert [r["reward"] for r in results] == pytest.approx([1.0, 0.3, 0.0] * 40)
    assert not any(r["metadata"]["error_messages"] for r in results)
