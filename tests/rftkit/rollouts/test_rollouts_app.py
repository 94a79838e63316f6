"""Dry runs against the real app on uvicorn (loopback): wire shapes, trace ids, parallel calls, concurrency."""

from __future__ import annotations

import asyncio
import json
import re

import pytest

from rftkit.rollouts import ScriptedPolicy, run_rollouts
from tests.rollouts_support import (
    REQUESTS,
    Recorder,
    endpoint_grader,
    make_row,
    misbehaving_app,
    sample_rows,
    tool_entry,
)
from tests.support import make_app, serve

TRACE_ID = re.compile(r"^trace_[0-9a-f]{32}$")


@pytest.fixture(scope="module")
def policy(catalog) -> ScriptedPolicy:
    return ScriptedPolicy(catalog=catalog)


@pytest.fixture()
def served():
    """The real app (auth off) behind a request recorder, on a free loopback port."""
    app = make_app()
    recorder = Recorder(app)
    with serve(recorder) as url:
        yield app, recorder, url


def run(rows, url, policy, **options):
    options.setdefault("time_limit", 60)
    return asyncio.run(run_rollouts(rows, tools=[tool_entry(url)], grader=endpoint_grader(url), policy=policy,
                                    **options))


def test_every_call_reaches_the_app_with_the_service_wrapper_and_one_trace_id_per_rollout(served, policy):
    app, recorder, url = served
    rows = sample_rows()
    report = run(rows, url, policy, samples_per_row=3)

    assert report.exit_code == 0 and report.status_counts()["graded"] == 9
    assert [e.reward for e in report.episodes] == [1.0] * 9
    trace_ids = [e.trace_id for e in report.episodes]
    assert len(set(trace_ids)) == 9 and all(TRACE_ID.match(t) for t in trace_ids)

    tool_bodies = recorder.bodies("/tool/search_catalog")
    assert len(tool_bodies) == sum(len(e.tool_calls) for e in report.episodes) == 12  # the comparison runs 2 calls
    by_call = {b["call_id"]: b for b in tool_bodies}
    for episode in report.episodes:
        stored = asyncio.run(app.state.store.calls(episode.trace_id))
        assert sorted(c.call_id for c in stored) == sorted(c.call_id for c in episode.tool_calls)
        for call in episode.tool_calls:
            body = by_call[call.call_id]
            assert set(body) == {"type", "id", "call_id", "name", "arguments", "trace_id", "item"}
            assert body["type"] == "function_call" and body["name"] == "search_catalog"
            assert isinstance(body["arguments"], str) and json.loads(body["arguments"]) == json.loads(call.arguments)
            assert body["trace_id"] == episode.trace_id
            assert body["id"].startswith("fc_") and body["call_id"].startswith("call_")
            assert body["item"]["id"] == episode.row_id


def test_the_cheapest_warm_jacket_request_is_searched_with_filters_and_answered_right(served, policy):
    _, recorder, url = served
    report = run([sample_rows()[0]], url, policy)

    (episode,) = report.episodes
    (call,) = episode.tool_calls
    assert json.loads(call.arguments) == {"query": "", "category": "jackets", "max_price": 200, "min_warmth": "warm",
                                          "sort": "price_asc"}
    assert json.loads(call.output)["items"][0]["sku"] == "JKT-URB-009"
    assert episode.final_answer == "JKT-URB-009" and episode.reward == 1.0


def test_the_grader_gets_the_services_request_shape(served, policy):
    _, recorder, url = served
    row = make_row("row-x", "What is the SKU of the Urban Puffer?", "JKT-URB-009", shelf="A3")
    report = run([row], url, policy)

    (body,) = recorder.bodies("/score")
    (episode,) = report.episodes
    assert set(body) == {"sample", "item", "trace_id"} and body["trace_id"] == episode.trace_id
    sample = body["sample"]
    assert sample == {
        "choices": [{"index": 0, "message": {"role": "assistant", "content": "JKT-URB-009", "tool_calls": []},
                     "finish_reason": "stop"}],
        "output_text": "JKT-URB-009", "output_json": None, "output_tools": [], "output_reasoning_summary": None}
    item = body["item"]
    assert [m["name"] for m in item["messages"]] == [None, None]
    assert [m["role"] for m in item["messages"]] == ["developer", "user"]
    assert item["tools"] == row["tools"] and item["parallel_tool_calls"] is True
    assert {k: item[k] for k in ("reference_answer", "id", "metadata", "shelf")} == {
        k: row[k] for k in ("reference_answer", "id", "metadata", "shelf")}


def test_explain_is_a_separate_call_and_sees_the_tool_calls_of_its_trace(served, policy):
    _, recorder, url = served
    report = run(sample_rows(), url, policy, explain=True)

    assert len(recorder.bodies("/score")) == 3  # the scored requests: plain /score, no query string
    def by_trace(bodies):
        return sorted(bodies, key=lambda b: b["trace_id"])

    # The same body, sent again for the details only.
    assert by_trace(recorder.bodies("/score", "explain=true")) == by_trace(recorder.bodies("/score"))
    for episode in report.episodes:
        assert episode.grader.details_source == "explain_call"
        assert episode.grader.details["tool_calls"] == len(episode.tool_calls)
        assert episode.grader.details["verdict"] == "exact"
    compare = next(e for e in report.episodes if e.row_id == "row-compare")
    assert compare.grader.details["tool_calls"] == 2


def test_a_comparison_issues_its_two_calls_in_parallel_in_one_turn(served, policy):
    app, _, url = served
    report = run([sample_rows()[1]], url, policy)

    (episode,) = report.episodes
    assert [c.turn for c in episode.tool_calls] == [0, 0]
    assert sorted(json.loads(c.arguments)["query"] for c in episode.tool_calls) == ["alpine insulated",
                                                                                     "urban puffer"]
    assert asyncio.run(app.state.store.count(episode.trace_id)) == 2
    assert episode.final_answer == "JKT-URB-009" and episode.steps == 2


@pytest.mark.slow
def test_200_rollouts_at_concurrency_100_all_complete(served, policy):
    app, recorder, url = served
    rows = [make_row(f"row-{i}", *REQUESTS[i % 3][1:]) for i in range(50)]
    report = run(rows, url, policy, samples_per_row=4, concurrency=100)

    assert report.error_counts() == {} and report.status_counts()["graded"] == 200 and report.exit_code == 0
    assert len({e.trace_id for e in report.episodes}) == 200
    assert len(app.state.store) == 200
    calls = sum(len(e.tool_calls) for e in report.episodes)
    assert calls == 200 + 4 * 17  # 17 comparison rows make 2 calls per rollout
    assert sum(asyncio.run(app.state.store.count(e.trace_id)) for e in report.episodes) == calls
    summary = report.summary()
    assert summary["mean_reward"] == 1.0 and summary["tool_calls"]["histogram"] == {"1": 132, "2": 68}
    assert summary["latency_ms"]["tool"]["n"] == calls and summary["latency_ms"]["grader"]["n"] == 200
    assert recorder.peak > 1


@pytest.mark.slow
def test_the_worker_pool_is_bounded_by_concurrency(policy):
    tool = Recorder(misbehaving_app(sleep=0.3))
    with serve(tool) as url:
        rows = [make_row(f"row-{i}", "What is the SKU of the Urban Puffer?", "JKT-URB-009") for i in range(60)]
        report = run(rows, url, policy, concurrency=20)
    assert report.status_counts()["graded"] == 60
    assert 15 <= tool.peak <= 20  # tool calls in flight never exceed the pool; the pool does fill up
    assert report.wall_seconds < 60 * 0.3 / 2  # far faster than one at a time


def test_built_in_graders_run_in_the_local_engine_and_never_call_score(served, policy):
    from rftkit.graders.presets import job_a_grader

    _, recorder, url = served
    report = asyncio.run(run_rollouts(sample_rows(), tools=[tool_entry(url)], grader=job_a_grader(), policy=policy))

    assert recorder.bodies("/score") == [] and len(recorder.bodies("/tool/search_catalog")) == 4
    assert report.exit_code == 0 and [e.reward for e in report.episodes] == [1.0] * 3
    for episode in report.episodes:
        assert episode.grader.type == "multi" and episode.grader.details_source == "engine_metadata"
        assert episode.grader.sub_rewards and episode.grader.details["name"] == "job_a_exact_and_fuzzy"


def test_the_grader_rate_limit_spaces_the_grader_calls(served, policy):
    _, recorder, url = served
    rows = [make_row(f"row-{i}", "What is the SKU of the Urban Puffer?", "JKT-URB-009") for i in range(6)]
    grader = {**endpoint_grader(url), "rate_limit": 10}
    report = asyncio.run(run_rollouts(rows, tools=[tool_entry(url)], grader=grader, policy=policy, concurrency=6))

    assert report.status_counts()["graded"] == 6
    assert report.wall_seconds >= 0.5  # 6 grader calls at 10 per second: the last starts 0.5 s after the first
