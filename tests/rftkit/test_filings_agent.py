"""The toolkit on an agent that is not the catalog: the whole preflight, through the CLI as a user runs it, on the
three-tool filings fixture (`tests/fixtures/filings/`: search/list/read over made-up annual reports, numeric
answers, a tolerance grader), then a stand-in job that plays the three tools."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from catalog_tools.tools import tool_definition
from rftkit.jobs.builders import job_b_spec
from rftkit.util.jsonl import read_jsonl
from tests import standin_support
from tests.fixtures.filings import grading, rows
from tests.fixtures.filings.app import create_app
from tests.rft_rows import write_jsonl
from tests.standin_support import events, metrics, upload, wait_job
from tests.support import REPO_ROOT, serve

pytestmark = [pytest.mark.slow, pytest.mark.integration]

FIXTURE = REPO_ROOT / "tests" / "fixtures" / "filings"
ROWS = FIXTURE / "rows.jsonl"
TOOL_NAMES = ("search", "list", "read")
standin, client = standin_support.standin, standin_support.client


@pytest.fixture(scope="module")
def filings():
    """The fixture server on a free loopback port: (base URL, app); `app.state.calls` records every tool call."""
    app = create_app()
    with serve(app) as url:
        yield url, app


@pytest.fixture
def grader_file(filings, tmp_path) -> Path:
    """The shipped grader JSON, pointed at the served `/score`."""
    grader = json.loads((FIXTURE / "grader.json").read_text())
    path = tmp_path / "grader.json"
    path.write_text(json.dumps({**grader, "url": f"{filings[0]}/score"}))
    return path


def rftkit(*args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """`python -m rftkit ...` in a subprocess, with this checkout's code first on the path."""
    path = os.pathsep.join([str(REPO_ROOT / "function_app"), str(REPO_ROOT), os.environ.get("PYTHONPATH", "")])
    return subprocess.run([sys.executable, "-m", "rftkit", *args], cwd=REPO_ROOT, capture_output=True, text=True,
                          timeout=timeout, env={**os.environ, "PYTHONPATH": path})


def tool_options(url: str) -> list[str]:
    return [option for name in TOOL_NAMES for option in ("--tool", f"{name}={url}/tool/{name}")]


def calls_by_tool(app, since: int = 0) -> Counter:
    return Counter(name for name, _ in app.state.calls[since:])


# -- the fixture itself ------------------------------------------------------------------------------------------

def test_the_shipped_rows_are_built_from_the_corpus():
    assert read_jsonl(ROWS) == json.loads(json.dumps(rows.build_rows()))
    loaded = read_jsonl(ROWS)
    assert len(loaded) >= 10 and {r["tools"][0]["function"]["name"] for r in loaded} == {"search"}
    assert {c["name"] for r in loaded for c in r["metadata"]["reference_calls"]} == set(TOOL_NAMES)
    assert all(grading.parse_answer(r["reference_answer"]) is not None for r in loaded)


def test_the_tolerance_grader():
    assert grading.score("1,234.5", "1234.5") == grading.score("$1234.50", "1234.5") == 1.0
    assert grading.score("1238", "1234.5") == 1.0  # 0.28 % off
    assert 0.1 <= grading.score("1280", "1234.5") < 0.5  # 3.7 % off: partial
    assert grading.score("1400", "1234.5") == grading.score("about 1234.5", "1234.5") == 0.0
    assert grading.score("1234.5 or 1234.6", "1234.5") == grading.score("", "1234.5") == 0.0
    assert grading.score("-14.2", "-14.2") == 1.0 and grading.score("14.2", "-14.2") == 0.0


def test_tools_answer_mistakes_with_readable_outputs(filings):
    import httpx

    url, _ = filings
    wrapper = {"type": "function_call", "id": "fc_1", "call_id": "call_1", "trace_id": "trace_t", "item": {}}
    for name, arguments, error in [("read", {"doc_id": "NOPE-1"}, "unknown_document"),
                                   ("read", {"doc_id": "CON-2024-AR", "page": 9}, "no_such_page"),
                                   ("list", {"company": "Initech"}, "unknown_company"),
                                   ("search", {"query": ""}, "invalid_arguments"),
                                   ("search", '{"query": "rev', "invalid_arguments")]:
        raw = arguments if isinstance(arguments, str) else json.dumps(arguments)
        reply = httpx.post(f"{url}/tool/{name}", json={**wrapper, "name": name, "arguments": raw})
        assert reply.status_code == 200, reply.text
        body = reply.json()
        assert body["type"] == "function_call_output" and body["call_id"] == "call_1"
        assert json.loads(body["output"])["error"] == error
    other = httpx.post(f"{url}/tool/read", json={**wrapper, "name": "list", "arguments": "{}"}).json()
    assert json.loads(other["output"])["error"] == "unknown_tool"  # a name this URL does not serve: the model hears
    assert httpx.post(f"{url}/tool/list", content=b"[1]").status_code == 400
    malformed = httpx.post(f"{url}/tool/list", json={**wrapper, "arguments": [1]})
    assert malformed.status_code == 400 and malformed.json()["error"]["code"] == "invalid_wrapper"
    assert httpx.post(f"{url}/score", json={"sample": {"output_text": "1"}, "item": {}}).status_code == 400


# -- the preflight, through the CLI ------------------------------------------------------------------------------

def test_validate_is_clean():
    done = rftkit("validate", str(ROWS), "--no-catalog", *[o for n in TOOL_NAMES for o in ("--tool-name", n)])
    assert done.returncode == 0, done.stdout + done.stderr
    assert "0 errors, 0 warnings: OK" in done.stdout


def test_validate_without_the_served_tools_says_so():
    done = rftkit("validate", str(ROWS), "--no-catalog", "--tool-name", "search")
    assert done.returncode == 1, done.stdout
    assert "tool 'read' is not served by the job config (it serves: search; name each tool" in done.stdout


def test_validate_checks_catalog_skus_only_on_catalog_rows(tmp_path):
    """Numeric references of another agent's rows are not catalog SKUs, and need no --no-catalog."""
    served = [o for n in TOOL_NAMES for o in ("--tool-name", n)]
    assert rftkit("validate", str(ROWS), *served).returncode == 0
    catalog_row = {**read_jsonl(ROWS)[0], "tools": [*read_jsonl(ROWS)[0]["tools"], tool_definition()]}
    mixed = write_jsonl(tmp_path / "mixed.jsonl", [catalog_row, *read_jsonl(ROWS)[1:]])
    done = rftkit("validate", str(mixed), *served, "--tool-name", "search_catalog")
    assert done.returncode == 1 and "mixed.jsonl:1: error: reference_answer '1234.5' is not a SKU" in done.stdout
    assert "mixed.jsonl:2:" not in done.stdout


def test_grade_pays_right_near_and_wrong_answers(grader_file, tmp_path):
    answers = write_jsonl(tmp_path / "answers.jsonl", [
        {"id": "filings-01", "answer": "1,234.5"},  # right, written otherwise
        {"id": "filings-03", "answer": "2900"},  # 0.9 % off: partial
        {"id": "filings-06", "answer": "The company employed 640 people."},  # not a number alone
        {"id": "filings-07", "answer": "1125"}])  # a factor of 100 off
    done = rftkit("grade", "--grader", str(grader_file), "--answers", str(answers), "--data", str(ROWS), "--json")
    assert done.returncode == 0, done.stderr
    lines = {line.split("|")[1].strip(): float(line.split("|")[2]) for line in done.stdout.splitlines()
             if line.startswith("| filings-")}
    assert lines["filings-01"] == 1.0 and 0 < lines["filings-03"] < 0.5
    assert lines["filings-06"] == lines["filings-07"] == 0.0


def test_reward_hacks_uses_the_number_family_and_the_grader_holds(grader_file):
    base = ["reward-hacks", "--grader", str(grader_file), "--data", str(ROWS), "--json"]
    first = rftkit(*base)
    report = json.loads(first.stdout)
    attacks = {a["attack"]: a for a in report["answers"]}
    assert {"off_10pct", "several_numbers", "paragraph", "json_wrapped"} <= set(attacks)
    assert {a["family"] for a in report["answers"]} == {"control", "number", "any"}  # no catalog family
    assert "JKT-" not in first.stdout  # no catalog SKU anywhere
    # Only answers within the grader's tolerance are paid: the same value, or a value within 0.5 %.
    assert set(report["flagged"]) == {"more_decimals", "fewer_decimals", "last_digit"} and first.returncode == 1
    for name in ("off_10pct", "several_numbers", "paragraph", "json_wrapped", "empty"):
        assert attacks[name]["mean_reward"] == 0.0, name
    accepted = rftkit(*base, *[o for n in report["flagged"] for o in ("--accept", n)])
    assert accepted.returncode == 0, accepted.stdout[-2000:]


def test_dry_run_replay_earns_the_top_reward_on_every_row_with_each_tool_on_its_url(filings, tmp_path):
    url, app = filings
    before = len(app.state.calls)
    episodes = tmp_path / "episodes.jsonl"
    done = rftkit("dry-run", "--data", str(ROWS), "--policy", "replay", *tool_options(url), "--grader-url",
                  f"{url}/score", "--episodes", str(episodes))
    assert done.returncode == 0, done.stdout + done.stderr
    n = len(read_jsonl(ROWS))
    assert f"Replay: {n} of {n} rows earn the top reward (>= 1)" in done.stdout
    # Only the answers the trajectory must compute (a difference of two figures) are not in a tool output.
    assert "shows the reference answer: filings-10, filings-11" in done.stdout
    latency = done.stdout[done.stdout.index("Latency ms"):done.stdout.index("Errors")].splitlines()
    assert [line.split()[0] for line in latency[1:]] == ["tool", *sorted(TOOL_NAMES), "grader"]  # per tool too
    expected = Counter(c["name"] for r in read_jsonl(ROWS) for c in r["metadata"]["reference_calls"])
    assert calls_by_tool(app, before) == expected  # the server routes by URL: each call reached its own tool
    assert all(body["name"] == name for name, body in app.state.calls[before:])
    assert {e["reward"] for e in read_jsonl(episodes)} == {1.0}


def test_dry_run_without_a_policy_plays_another_agents_tools(filings):
    """The scripted policy only knows the catalog: for a job without `search_catalog` the default is `auto`."""
    url, app = filings
    before = len(app.state.calls)
    done = rftkit("dry-run", "--data", str(ROWS), *tool_options(url), "--grader-url", f"{url}/score")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "policy auto" in done.stdout and "Reward: mean 1.000" in done.stdout
    assert set(calls_by_tool(app, before)) == set(TOOL_NAMES)


def test_dry_run_schema_has_no_5xx_and_reports_latency_per_tool(filings):
    url, app = filings
    done = rftkit("dry-run", "--data", str(ROWS), "--policy", "schema", *tool_options(url), "--grader-url",
                  f"{url}/score", "--samples-per-row", "2", "--seed", "7", "--json")
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr
    schema = json.loads(done.stdout)["schema"]
    assert schema["ok"] and set(schema["tools"]) == set(TOOL_NAMES)
    for name, stats in schema["tools"].items():
        assert stats["calls"] > 0 and stats["http_5xx"] == 0 and stats["timeouts"] == 0, (name, stats)
        assert stats["latency_ms"]["p50"] > 0, (name, stats)
        assert set(stats["status"]) == {"200"}, (name, stats)  # mistakes are outputs, never a 4xx/5xx


# -- a stand-in job with the three tools -------------------------------------------------------------------------

def test_a_standin_job_plays_the_three_tools(filings, client, tmp_path):
    url, app = filings
    before = len(app.state.calls)
    training, validation = upload(client, ROWS), upload(client, ROWS)
    spec = job_b_spec(training_file=training.id, validation_file=validation.id, rows=ROWS, tool_base_url=url,
                      grader_name="filings_grader", tools=[{"name": n, "server_url": f"{url}/tool/{n}"}
                                                           for n in TOOL_NAMES], suffix="filings")
    job = wait_job(client, client.fine_tuning.jobs.create(**spec).id, timeout=60)
    assert job.status == "succeeded", job.error
    assert any("replay for 11 rows" in e.message for e in events(client, job.id))
    assert metrics(client, job.id)[-1]["full_valid_mean_reward"] == 1.0
    seen = calls_by_tool(app, before)
    assert set(seen) == set(TOOL_NAMES), seen
    assert all(body["trace_id"].startswith("trace_") for _, body in app.state.calls[before:])

