"""`python -m rftkit dry-run` end to end against the real app on loopback: report, episodes file, exit codes."""

from __future__ import annotations

import json

import pytest

from rftkit.__main__ import main
from rftkit.graders.presets import job_a_grader
from tests.rollouts_support import misbehaving_app, sample_rows
from tests.support import make_app, serve


@pytest.fixture(scope="module")
def app_url():
    with serve(make_app()) as url:
        yield url


@pytest.fixture()
def data(tmp_path):
    path = tmp_path / "valid.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in sample_rows()), encoding="utf-8")
    return path


def dry_run(data, tool_url, *extra):
    return main(["dry-run", "--data", str(data), "--tool-url", f"{tool_url}/tool/search_catalog", *extra])


def test_a_clean_dry_run_prints_the_report_and_writes_episodes(app_url, data, tmp_path, capsys):
    episodes = tmp_path / "episodes.jsonl"
    code = dry_run(data, app_url, "--grader-url", f"{app_url}/score", "--samples-per-row", "4",
                   "--error-rate", "0.5", "--seed", "3", "--episodes", str(episodes))
    out = capsys.readouterr().out

    assert code == 0
    assert "Dry run: 12 rollouts (3 rows x 4), policy scripted, grader endpoint" in out
    assert "Baseline (solved = reward >= 1" in out and "<- learnable band" in out
    assert f"Episodes: 12 written to {episodes}" in out
    records = [json.loads(line) for line in episodes.read_text(encoding="utf-8").splitlines()]
    assert len(records) == 12 and len({r["trace_id"] for r in records}) == 12
    assert sorted((r["row_id"], r["sample_index"]) for r in records) == sorted(
        (row["id"], s) for row in sample_rows() for s in range(4))
    for record in records:
        assert record["metadata"] == next(r["metadata"] for r in sample_rows() if r["id"] == record["row_id"])
        assert record["status"] == "graded" and record["errors"] == []
        assert record["grader"]["details_source"] == "explain_call"
        assert record["grader"]["details"]["reference"] == record["reference_answer"]
        assert record["grader"]["details"]["tool_calls"] == len(record["tool_calls"])
        for call in record["tool_calls"]:
            assert json.loads(call["arguments"]) and json.loads(call["output"])["items"]
            assert call["latency_ms"] > 0 and call["status_code"] == 200
    mistakes = {r["notes"].get("mistake") for r in records}
    assert len(mistakes) > 1  # error rate 0.5 with this seed: some rollouts erred, so rewards vary
    assert {r["reward"] for r in records} != {1.0}


def test_json_output_and_a_failing_tool_give_a_non_zero_exit(app_url, data, capsys):
    with serve(misbehaving_app(status=502)) as bad:
        code = dry_run(data, bad, "--grader-url", f"{app_url}/score", "--retries", "0", "--json")
    summary = json.loads(capsys.readouterr().out)["summary"]
    assert code == 1
    assert summary["errors"] == {"tool:http_502": 4}  # the comparison row makes two calls
    assert summary["status"]["discarded"] == 3


def test_a_built_in_grader_from_a_job_body_runs_in_the_local_engine(app_url, data, tmp_path, capsys):
    job = tmp_path / "job.json"
    job.write_text(json.dumps({"model": "m", "method": {"type": "reinforcement",
                                                         "reinforcement": {"grader": job_a_grader()}}}))
    episodes = tmp_path / "episodes.jsonl"
    code = dry_run(data, app_url, "--grader", str(job), "--episodes", str(episodes))
    assert code == 0 and "grader multi" in capsys.readouterr().out
    for record in map(json.loads, episodes.read_text(encoding="utf-8").splitlines()):
        assert record["reward"] == 1.0 and record["grader"]["type"] == "multi"
        assert record["grader"]["details_source"] == "engine_metadata"
        assert record["grader"]["sub_rewards"] and record["grader"]["details"]["errors"]["formula_parse_error"] is False

    assert dry_run(data, app_url, "--grader", "job-a", "--json") == 0
    assert json.loads(capsys.readouterr().out)["summary"]["mean_reward"] == 1.0


def test_a_grader_template_error_is_reported_by_kind(app_url, data, tmp_path, capsys):
    grader = tmp_path / "grader.json"
    grader.write_text(json.dumps({"type": "string_check", "name": "exact", "input": "{{sample.output_text}}",
                                  "reference": "{{item.no_such_field}}", "operation": "eq"}))
    code = dry_run(data, app_url, "--grader", str(grader), "--json")
    summary = json.loads(capsys.readouterr().out)["summary"]
    assert code == 1 and summary["errors"] == {"grader:invalid_variable_error": 3}


@pytest.mark.parametrize(("content", "message"), [
    ("{not json\n", "valid.jsonl:1: not JSON"),
    ("[1, 2]\n", "valid.jsonl:1: a row must be a JSON object"),
    ("\n", "valid.jsonl: no rows"),
])
def test_a_bad_data_file_is_named_and_exits_2(app_url, data, capsys, content, message):
    data.write_text(content, encoding="utf-8")
    assert dry_run(data, app_url, "--grader-url", f"{app_url}/score") == 2
    assert message in capsys.readouterr().err


def test_tool_headers_are_parsed_and_forwarded(data, capsys):
    locked = make_app(tool_auth_disabled=False, tool_api_key="k1")
    with serve(locked) as url:
        assert dry_run(data, url, "--grader-url", f"{url}/score", "--json") == 1
        capsys.readouterr()
        assert dry_run(data, url, "--grader-url", f"{url}/score", "--tool-header", "X-Functions-Key=k1",
                       "--json") == 0
    assert json.loads(capsys.readouterr().out)["summary"]["mean_reward"] == 1.0
