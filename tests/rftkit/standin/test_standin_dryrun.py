"""The dry run really calls the job's tool and grader endpoints: counted on the app's side, by trace_id."""

from __future__ import annotations

import asyncio
import json

from rftkit import DATA_DIR
from rftkit.jobs.builders import job_a_spec, job_b_spec
from tests import standin_support
from tests.rft_rows import ROWS
from tests.standin_support import Recorder, events, metrics, upload, wait_job
from tests.support import free_port, make_app, serve

# The module-scoped fixtures shared by the stand-in test files (pytest finds them by name here).
standin, client, files = standin_support.standin, standin_support.client, standin_support.files


def trace_ids(client, job_id) -> list[str]:
    return [t for step in metrics(client, job_id) for t in step["rollouts"]["trace_ids"]]


def tool_calls(app, trace_id: str) -> int:
    return asyncio.run(app.state.store.count(trace_id))


def run_job(client, files, build, base_url, **options):
    train, valid = files
    spec = build(training_file=train.id, validation_file=valid.id, rows=ROWS, tool_base_url=base_url, **options)
    return wait_job(client, client.fine_tuning.jobs.create(**spec).id)


def test_job_b_calls_tool_and_endpoint_grader_once_per_rollout_trace(client, files):
    app = make_app()
    recorder = Recorder(app)
    with serve(recorder) as base_url:
        job = run_job(client, files, job_b_spec, base_url)
    assert job.status == "succeeded", job.error
    traces = trace_ids(client, job.id)
    assert len(traces) == len(ROWS) == len(set(traces))  # one fresh trace_id per rollout
    assert all(t.startswith("trace_") for t in traces)
    for trace in traces:
        assert tool_calls(app, trace) >= 1  # the app's trace store saw the rollout's tool calls
    tool_bodies = recorder.bodies("/tool/search_catalog")
    assert {b["trace_id"] for b in tool_bodies} == set(traces)
    for body in tool_bodies:  # the service's wrapper: arguments as a JSON string, the row as `item`
        assert body["type"] == "function_call" and body["name"] == "search_catalog"
        assert isinstance(body["arguments"], str) and body["call_id"].startswith("call_")
        assert body["item"]["reference_answer"] in {r["reference_answer"] for r in ROWS}
    score_bodies = recorder.bodies("/score")
    assert sorted(b["trace_id"] for b in score_bodies) == sorted(traces)  # the grader once per rollout
    assert all(set(b) == {"sample", "item", "trace_id"} for b in score_bodies)
    assert {b["sample"]["output_text"] for b in score_bodies} == {r["reference_answer"] for r in ROWS}
    assert metrics(client, job.id)[-1]["full_valid_mean_reward"] == 1.0


def test_job_a_grades_locally_and_still_calls_the_tool(client, files):
    app = make_app()
    recorder = Recorder(app)
    with serve(recorder) as base_url:
        job = run_job(client, files, job_a_spec, base_url)
    assert job.status == "succeeded", job.error
    traces = trace_ids(client, job.id)
    assert len(set(traces)) == len(ROWS)
    assert all(tool_calls(app, t) >= 1 for t in traces)
    assert recorder.bodies("/score") == []  # built-in graders are computed by the stand-in, not the app
    assert [m["train_mean_reward"] for m in metrics(client, job.id)] == [1.0, 1.0, 1.0]


def test_the_jobs_headers_reach_the_tool(client, files):
    app = make_app(tool_auth_disabled=False, tool_api_key="k-123")
    with serve(app) as base_url:
        right = run_job(client, files, job_a_spec, base_url, func_key="k-123")
        wrong = run_job(client, files, job_a_spec, base_url, func_key="not-the-key")
    assert right.status == "succeeded" and metrics(client, right.id)[-1]["full_valid_mean_reward"] == 1.0
    assert all(tool_calls(app, t) >= 1 for t in trace_ids(client, right.id))
    # A 401 is shown to the model (no retry, no discard): the rollouts end without an answer and score 0.
    assert wrong.status == "succeeded"
    last = metrics(client, wrong.id)[-1]
    assert last["full_valid_mean_reward"] == 0.0 and last["rollouts"]["tool_call_errors"] >= 1
    assert all(tool_calls(app, t) == 0 for t in trace_ids(client, wrong.id))


def test_an_unreachable_tool_fails_the_job_with_the_reason(client, files):
    dead = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    job = run_job(client, files, job_a_spec, dead)
    assert job.status == "failed"
    assert (job.error.code, job.error.param) == ("tool_endpoint_unreachable", "method.reinforcement.tools")
    assert f"{dead}/tool/search_catalog" in job.error.message and "connection_error" in job.error.message
    assert job.fine_tuned_model is None and metrics(client, job.id) == []
    assert events(client, job.id)[-1].level == "error"


def test_a_failing_grader_fails_the_job_with_the_reason(client, files):
    with serve(make_app()) as base_url:
        job = run_job(client, files, job_b_spec, base_url, grader_base_url=f"http://127.0.0.1:{free_port()}")
    assert job.status == "failed"
    assert (job.error.code, job.error.param) == ("grader_failed", "method.reinforcement.grader")
    assert "/score" in job.error.message


def test_an_endpoint_grader_on_its_own_scale_is_accepted(client, files):
    """Azure's sample endpoint grader scores 0-5: the stand-in's job uses such scores as rewards, like the service."""
    from tests.rollouts_support import misbehaving_app

    with serve(make_app()) as base_url, serve(misbehaving_app(body={"score": 4})) as grader_base_url:
        job = run_job(client, files, job_b_spec, base_url, grader_base_url=grader_base_url)
    assert job.status == "succeeded", job.error
    assert [m["train_mean_reward"] for m in metrics(client, job.id)] == [4.0, 4.0, 4.0]


def test_a_job_b_on_the_shipped_data_plays_both_tools(client):
    """Job B as `job_b_spec` builds it for the shipped files: every rollout of a row that needs details calls
    get_product after search_catalog, as the app's side records it (its request log and its trace store)."""
    shipped = [DATA_DIR / "train_tool.jsonl", DATA_DIR / "valid_tool.jsonl"]
    train, valid = (upload(client, path) for path in shipped)
    app = make_app()
    recorder = Recorder(app)
    with serve(recorder) as base_url:
        spec = job_b_spec(training_file=train.id, validation_file=valid.id, tool_base_url=base_url, rows=shipped)
        assert [t["name"] for t in spec["method"]["reinforcement"]["tools"]] == ["search_catalog", "get_product"]
        job = wait_job(client, client.fine_tuning.jobs.create(**spec).id, timeout=120)
    assert job.status == "succeeded", job.error
    traces = set(trace_ids(client, job.id))
    searches = recorder.bodies("/tool/search_catalog")
    needs_details = {b["trace_id"] for b in searches if b["item"]["metadata"]["oracle"]["kind"] == "details"}
    assert len(needs_details) >= 0.15 * len({b["trace_id"] for b in searches})
    reads = recorder.bodies("/tool/get_product")
    assert all(b["name"] == "get_product" and json.loads(b["arguments"])["sku"] for b in reads)
    assert {b["trace_id"] for b in reads} == needs_details and needs_details <= traces
    assert all(tool_calls(app, t) >= 3 for t in needs_details)  # the trace store: one search + two reads
