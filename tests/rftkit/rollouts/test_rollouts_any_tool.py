"""Rehearsals that work for any tool, against real servers on loopback: replay of reference trajectories,
several tools (one URL each, or several on one URL), a job body as the rehearsal's input, the schema policy."""

from __future__ import annotations

import asyncio
import json
import logging

import pytest

from rftkit import DATA_DIR
from rftkit.__main__ import main
from rftkit.graders.presets import job_a_grader
from rftkit.jobs.builders import tool_entries
from rftkit.rollouts import run_rollouts
from rftkit.rollouts.policies import ReplayPolicy, SchemaPolicy, replay_findings, schema_findings
from rftkit.rollouts.policies.replay import shows_reference
from rftkit.util.jsonl import read_jsonl
from tests.multi_tool_support import GET_PRODUCT, product_app, two_tool_rows
from tests.rollouts_support import Recorder, endpoint_grader, misbehaving_app, tool_entry
from tests.support import make_app, serve

VALID_ROWS = read_jsonl(DATA_DIR / "valid_tool.jsonl")


@pytest.fixture(scope="module", autouse=True)
def quiet_app_logs():
    """The app logs one line per request; hundreds of them only slow the run down."""
    logging.disable(logging.INFO)
    yield
    logging.disable(logging.NOTSET)


@pytest.fixture(scope="module")
def app_url():
    with serve(make_app()) as url:
        yield url


@pytest.fixture()
def products():
    app = product_app()
    with serve(app) as url:
        yield app, url


def replay(rows, tools, grader, **options):
    return asyncio.run(run_rollouts(rows, tools=tools, grader=grader, policy=ReplayPolicy(), time_limit=120,
                                    **options))


@pytest.mark.parametrize("grader", ["endpoint", "job_a"])
def test_every_shipped_validation_row_earns_the_top_reward_by_replaying_its_reference(app_url, grader):
    chosen = endpoint_grader(app_url) if grader == "endpoint" else job_a_grader()
    report = replay(VALID_ROWS, tool_entries(app_url), chosen)  # one entry per tool the app serves

    assert report.status_counts()["graded"] == len(VALID_ROWS) and not report.errored
    assert [e.reward for e in report.episodes] == [1.0] * len(VALID_ROWS)
    findings = replay_findings(report.episodes)
    assert findings["ok"] and findings["top_reward_rows"] == len(VALID_ROWS) and findings["not_top"] == []
    assert findings["reference_not_in_tool_outputs"] == []  # every answer was shown by the tool
    for episode, row in zip(sorted(report.episodes, key=lambda e: e.row_id), VALID_ROWS, strict=True):
        sent = [(c.name, json.loads(c.arguments)) for c in episode.tool_calls]
        assert sent == [(c["name"], c["arguments"]) for c in row["metadata"]["reference_calls"]]
        assert episode.final_answer == row["reference_answer"]
    # The rows that need both tools: a search, then get_product for each of its first two results, all free of
    # the grader's extra-call penalty (three calls).
    both = [e for e in report.episodes if any(c.name == "get_product" for c in e.tool_calls)]
    assert len(both) >= 0.15 * len(VALID_ROWS)
    assert all([c.name for c in e.tool_calls] == ["search_catalog", "get_product", "get_product"] for e in both)


def test_replay_names_the_rows_that_miss_the_top_reward_and_those_without_a_reference(app_url):
    good, costly, bad_call, missing = (json.loads(json.dumps(r)) for r in VALID_ROWS[:4])
    # Five calls: the app's grader pays 3 calls in full, then 0.05 less per extra call.
    costly["metadata"]["reference_calls"] *= 5
    bad_call["metadata"]["reference_calls"] = [{"name": "search_catalog",
                                                "arguments": {"query": "x", "category": "no_such_category"}}]
    del missing["metadata"]["reference_calls"]
    report = replay([good, costly, bad_call, missing], tool_entries(app_url), endpoint_grader(app_url))

    findings = replay_findings(report.episodes)
    assert not findings["ok"] and findings["top_reward_rows"] == 1
    assert findings["no_reference_trajectory"] == [missing["id"]]
    reasons = {row["row_id"]: " ".join(row["reasons"]) for row in findings["not_top"]}
    assert set(reasons) == {costly["id"], bad_call["id"]}
    assert "the grader pays 0.9 for the reference answer, not 1" in reasons[costly["id"]]
    assert "unreachable: the tool answered a reference call with an error" in reasons[bad_call["id"]]
    missing_episode = next(e for e in report.episodes if e.row_id == missing["id"])
    assert missing_episode.reward is None and missing_episode.status == "failed"  # not scored 0 silently
    assert [err.kind for err in missing_episode.errors] == ["no_reference_trajectory"]


@pytest.mark.parametrize(("reference", "outputs", "shown"), [
    ("JKT-URB-009", ['{"sku":"JKT-URB-009"}'], True), ("JKT-URB-009", ['{"sku":"JKT-URB-010"}'], False),
    ("1234.5", ['"revenue was USD 1,234.5 million"'], True), ("2876", ["2,876.0"], True),
    ("-14.2", ["a net loss of USD 14.20 million"], True), ("136.3", ["1,234.5 up from 1,098.2"], False),
    ("$1.2 billion", ["1,200 million"], False),  # another scale is not the same writing of the value
])
def test_replay_sees_a_numeric_reference_written_otherwise_in_a_tool_output(reference, outputs, shown):
    assert shows_reference(reference, outputs) is shown


def test_a_job_body_with_two_tools_sends_each_call_to_its_own_url_with_its_own_headers(products, tmp_path, capsys):
    product, product_url = products
    search = Recorder(make_app())
    rows = two_tool_rows()
    data = tmp_path / "rows.jsonl"
    data.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    with serve(search) as search_url:
        job = tmp_path / "job.json"
        job.write_text(json.dumps({"model": "o4-mini-2025-04-16", "method": {"type": "reinforcement", "reinforcement": {
            "grader": endpoint_grader(search_url), "max_episode_steps": 6,  # it counts the search calls it saw
            "tools": [{"name": "search_catalog", "server_url": f"{search_url}/tool/search_catalog",
                       "headers": {"X-From-Job": "search"}},
                      {"name": "get_product", "server_url": f"{product_url}/tool/get_product"}]}}}))
        code = main(["dry-run", "--data", str(data), "--job", str(job), "--policy", "replay", "--json",
                     "--tool-header", "get_product=X-Product-Key: p-1", "--tool-header", "X-Everyone: yes"])
    out = json.loads(capsys.readouterr().out)
    assert code == 0, out
    assert out["replay"]["top_reward_rows"] == len(rows) and out["summary"]["mean_reward"] == 1.0

    search_bodies = search.bodies("/tool/search_catalog")
    product_calls = product.state.calls
    assert {b["name"] for b in search_bodies} == {"search_catalog"}
    assert {body["name"] for _, body, _ in product_calls} == {"get_product"}
    expected = sum(len(r["metadata"]["reference_calls"]) for r in rows)
    assert len(search_bodies) + len(product_calls) == expected
    assert sorted(json.loads(body["arguments"])["sku"] for _, body, _ in product_calls) == sorted(
        r["reference_answer"] for r in rows)
    search_headers = [r["headers"] for r in search.requests if r["path"] == "/tool/search_catalog"]
    assert all(h["x-from-job"] == "search" and h["x-everyone"] == "yes" and "x-product-key" not in h
               for h in search_headers)
    assert all(h["x-product-key"] == "p-1" and h["x-everyone"] == "yes" and "x-from-job" not in h
               for _, _, h in product_calls)
    by_trace = {b["trace_id"] for b in search_bodies} & {body["trace_id"] for _, body, _ in product_calls}
    assert len(by_trace) == len(rows)  # both tools saw every rollout, under the rollout's one trace_id


def test_several_tools_on_one_url_are_dispatched_by_name(products, tmp_path, capsys):
    product, product_url = products
    rows = two_tool_rows(3)
    data = tmp_path / "rows.jsonl"
    data.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    code = main(["dry-run", "--data", str(data), "--policy", "replay", "--grader", "job-a", "--json",
                 "--tool", f"search_catalog={product_url}/tools", "--tool", f"get_product={product_url}/tools"])
    out = json.loads(capsys.readouterr().out)
    assert code == 0 and out["summary"]["mean_reward"] == 1.0
    assert {path for path, _, _ in product.state.calls} == {"/tools"}
    assert {body["name"] for _, body, _ in product.state.calls} == {"search_catalog", "get_product"}


def test_the_schema_policy_finds_no_5xx_and_times_every_tool(app_url, products):
    _, product_url = products
    rows = [{**r, "tools": [*r["tools"], GET_PRODUCT]} for r in VALID_ROWS[:20]]
    tools = [tool_entry(app_url), {"name": "get_product", "server_url": f"{product_url}/tool/get_product"}]
    policy = SchemaPolicy(seed=7, invalid_share=0.5, calls_per_rollout=4, tool_names=["search_catalog", "get_product"])
    report = asyncio.run(run_rollouts(rows, tools=tools, grader=job_a_grader(), policy=policy, time_limit=120))

    findings = schema_findings(report.episodes)
    assert findings["ok"], findings
    assert set(findings["tools"]) == {"search_catalog", "get_product"}
    for name, tool in findings["tools"].items():
        assert tool["http_5xx"] == tool["timeouts"] == tool["oversize"] == tool["connection_errors"] == 0, name
        assert tool["latency_ms"]["n"] == tool["calls"] > 0 and tool["latency_ms"]["p50"] > 0
        assert tool["cases"].get("valid") and len(tool["cases"]) >= 3  # valid calls and several kinds of mistakes
        assert tool["invalid_non_2xx"] == 0  # every mistake came back as an output the model can read
    assert findings["tools"]["search_catalog"]["invalid_accepted"] == 0
    tiny = schema_findings(report.episodes, output_budget=10)
    assert not tiny["ok"] and tiny["tools"]["search_catalog"]["oversize"] > 0

    again = asyncio.run(run_rollouts(rows, tools=tools, grader=job_a_grader(), policy=policy, time_limit=120))
    def calls(r):
        return sorted((e.row_id, c.name, c.arguments) for e in r.episodes for c in e.tool_calls)
    assert calls(again) == calls(report)  # the seed decides every call, whatever the concurrency


def test_the_schema_policy_counts_5xx_per_tool_and_the_calls_retries_got_past():
    rows = VALID_ROWS[:3]
    policy = SchemaPolicy(seed=1, calls_per_rollout=2, tool_names=["search_catalog"])  # the one tool routed here

    def findings(app, **options):
        with serve(app) as url:
            report = asyncio.run(run_rollouts(rows, tools=[tool_entry(url)], grader=job_a_grader(), policy=policy,
                                              time_limit=60, retry_backoff=0.01, **options))
        return schema_findings(report.episodes)

    broken = findings(misbehaving_app(status=500), retries=0)
    assert not broken["ok"] and broken["tools"]["search_catalog"]["http_5xx"] == 3  # each rollout's first call
    flaky = findings(misbehaving_app(fail_first=2), retries=3)
    assert flaky["ok"] and flaky["tools"]["search_catalog"]["retried"] >= 1
    assert flaky["tools"]["search_catalog"]["http_5xx"] == 0


def test_the_schema_policy_from_the_command_line_prints_per_tool_findings(app_url, tmp_path, capsys):
    data = tmp_path / "rows.jsonl"
    data.write_text("".join(json.dumps(r) + "\n" for r in VALID_ROWS[:10]), encoding="utf-8")
    code = main(["dry-run", "--data", str(data), "--tool-url", f"{app_url}/tool/search_catalog", "--grader", "job-a",
                 "--policy", "schema", "--seed", "3"])
    out = capsys.readouterr().out
    assert code == 0
    assert "Schema policy, per tool" in out and "search_catalog" in out
    assert "Schema check: no 5xx, timeout, connection error or oversize output" in out


@pytest.mark.parametrize(("args", "message"), [
    ([], "no tool to call"),
    (["--tool", "search_catalog"], "is not NAME=URL"),
    (["--tool", "search_catalog=http://127.0.0.1:9/x", "--tool-header", "get_prodcut=X-Key: 1"],
     "'get_prodcut' is not a tool of the job"),
])
def test_tool_mistakes_on_the_command_line_are_named(tmp_path, capsys, args, message):
    data = tmp_path / "rows.jsonl"
    data.write_text(json.dumps(VALID_ROWS[0]) + "\n", encoding="utf-8")
    assert main(["dry-run", "--data", str(data), "--grader", "job-a", *args]) == 2
    assert message in capsys.readouterr().err
