"""With Azure settings, `python -m rftkit demo` creates jobs only with `--submit`.

"Azure" here is the stand-in on loopback, configured as if it were Azure (AZURE_OPENAI_ENDPOINT), wrapped in a
recorder: what was or was not submitted is asserted on the server side. The tool and grader endpoints are the
function app, served by this test (TOOL_BASE_URL).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from rftkit import DATA_DIR
from rftkit.standin.app import create_standin_app
from rftkit.util.servers import BackgroundServer
from tests.standin_support import FAST, Recorder
from tests.support import REPO_ROOT as REPO
from tests.support import make_app, serve

pytestmark = [pytest.mark.slow, pytest.mark.integration]

CLEARED = ("AZURE_OPENAI_ENDPOINT", "AZURE_OPENAI_API_KEY", "TOOL_BASE_URL", "FUNC_APP_NAME", "FUNC_KEY",
           "STANDIN_URL", "RFTKIT_OUTPUT_DIR")


@pytest.fixture(scope="module")
def fake_azure():
    recorder = Recorder(create_standin_app(FAST))
    with serve(make_app()) as app_url, BackgroundServer(recorder) as standin:
        yield recorder, standin.url, app_url


def run_demo(fake_azure, out: Path, *flags: str) -> subprocess.CompletedProcess:
    _, azure_url, app_url = fake_azure
    env = {k: v for k, v in os.environ.items() if k not in CLEARED}
    env.update(AZURE_OPENAI_ENDPOINT=azure_url, AZURE_OPENAI_API_KEY="test-key", TOOL_BASE_URL=app_url)
    return subprocess.run([sys.executable, "-m", "rftkit", "demo", "--output-dir", str(out), *flags], cwd=REPO,
                          env=env, capture_output=True, text=True, timeout=240)


def posts(recorder: Recorder, path: str) -> int:
    return sum(1 for method, p, _ in recorder.headers if method == "POST" and p == path)


def _rows(name: str) -> int:
    return len((DATA_DIR / name).read_text(encoding="utf-8").splitlines())


def test_without_submit_the_preflight_runs_the_plan_shows_and_nothing_is_sent(fake_azure, tmp_path):
    recorder = fake_azure[0]
    before = len(recorder.headers)
    proc = run_demo(fake_azure, tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    seen = recorder.headers[before:]
    assert any(p == "/openai/v1/fine_tuning/alpha/graders/run" for _, p, _ in seen)  # the preflight talked to it
    assert not [(m, p) for m, p, _ in seen if m == "POST" and (p.endswith("/fine_tuning/jobs") or
                                                                p.endswith("/files"))]
    out = proc.stdout
    assert "AZURE: submitting creates 2 REAL fine-tuning jobs" in out
    for fact in ("model              gpt-5-2025-08-07", "model              o4-mini-2025-04-16",
                 f"train_tool.jsonl: {_rows('train_tool.jsonl')} rows", "grader             multi",
                 f"valid_tool.jsonl: {_rows('valid_tool.jsonl')} rows", "grader             endpoint",
                 f"{fake_azure[2]}/tool/search_catalog", f"{fake_azure[2]}/tool/get_product", "max_episode_steps  10",
                 "n_epochs=auto", "HOUR OF TRAINING", "$5,000"):
        assert fact in out, fact
    assert "Nothing was submitted" in out and "python -m rftkit demo --submit" in out
    assert out.index("$5,000") < out.index("Nothing was submitted")
    assert not (tmp_path / "summary.json").exists()
    notebook = nbformat.read(tmp_path / "rft-tool-call.ipynb", as_version=4)
    errors = [o for c in notebook.cells for o in c.get("outputs", []) if o["output_type"] == "error"]
    assert [e["ename"] for e in errors] == ["NothingSubmitted"]
    assert errors[0]["traceback"] == [f"NothingSubmitted: {errors[0]['evalue']}"]  # a message, not a traceback


def test_with_submit_the_jobs_are_created(fake_azure, tmp_path):
    recorder = fake_azure[0]
    jobs_before = posts(recorder, "/openai/v1/fine_tuning/jobs")
    proc = run_demo(fake_azure, tmp_path, "--submit")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert posts(recorder, "/openai/v1/fine_tuning/jobs") - jobs_before == 2
    created = [body for path, body in recorder.requests if path == "/openai/v1/fine_tuning/jobs" and body][-2:]
    assert {body["model"] for body in created} == {"gpt-5-2025-08-07", "o4-mini-2025-04-16"}
    assert "Nothing was submitted" not in proc.stdout
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert summary["mode"] == "azure" and {job["status"] for job in summary["jobs"].values()} == {"succeeded"}
    notebook = nbformat.read(tmp_path / "rft-tool-call.ipynb", as_version=4)
    assert any(c.source.startswith("SUBMIT = True") for c in notebook.cells if c.cell_type == "code")
