"""The main job: `python -m rftkit demo` executes the job notebook headless (nbclient, a kernel from this venv)
against the function app (uvicorn) and the Azure OpenAI v1 stand-in, all on loopback."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import nbformat
import pytest

from rftkit import notebook as rk
from rftkit.settings import SHIPPED_TRAIN_FILE, SHIPPED_VALID_FILE
from tests.support import REPO_ROOT as REPO

AZURE_VARS = ("AZURE_OPENAI_ENDPOINT", "AZURE_OPENAI_API_KEY", "TOOL_BASE_URL", "FUNC_APP_NAME", "FUNC_KEY",
              "STANDIN_URL")


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    """The demo in a subprocess (a Jupyter kernel, uvicorn): its tests are marked slow and integration."""
    out = tmp_path_factory.mktemp("demo")
    env = {k: v for k, v in os.environ.items() if k not in AZURE_VARS}
    proc = subprocess.run([sys.executable, "-m", "rftkit", "demo", "--output-dir", str(out)], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=240)  # under the 300 s per test
    return proc, out


def outputs(notebook) -> list[dict]:
    return [o for cell in notebook.cells if cell.cell_type == "code" for o in cell.get("outputs", [])]


def text_of(notebook) -> str:
    parts = []
    for o in outputs(notebook):
        parts.append(o.get("text", "") if o["output_type"] == "stream" else json.dumps(o.get("data", {})))
    return "\n".join(parts)


@pytest.mark.slow
@pytest.mark.integration
def test_demo_exits_cleanly_and_says_where_its_outputs_are(demo):
    proc, out = demo
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "Azure OpenAI v1 stand-in" in proc.stdout and str(out) in proc.stdout


@pytest.mark.slow
@pytest.mark.integration
def test_demo_shows_the_plan_and_needs_no_submit_flag_on_the_standin(demo):
    proc, _ = demo
    assert proc.stdout.index("LOCAL STAND-IN: these jobs are free dry runs") < proc.stdout.index("summary (")
    for path in (SHIPPED_TRAIN_FILE, SHIPPED_VALID_FILE):  # the shipped files' own row counts
        rows = len(path.read_text(encoding="utf-8").splitlines())
        assert f"{path.name}: {rows} rows" in proc.stdout
    assert "Nothing was submitted" not in proc.stdout


@pytest.mark.slow
@pytest.mark.integration
def test_no_jupyter_tcp_warning(demo):
    proc, _ = demo
    assert "without encryption" not in proc.stdout + proc.stderr


@pytest.mark.slow
@pytest.mark.integration
def test_every_cell_ran_without_error(demo):
    _, out = demo
    notebook = nbformat.read(out / "rft-tool-call.ipynb", as_version=4)
    code_cells = [c for c in notebook.cells if c.cell_type == "code"]
    assert all(c.get("execution_count") for c in code_cells)
    assert not [o for o in outputs(notebook) if o["output_type"] == "error"]


@pytest.mark.slow
@pytest.mark.integration
def test_outputs_show_both_jobs_their_terminal_status_and_the_reward_plot(demo):
    _, out = demo
    notebook = nbformat.read(out / "rft-tool-call.ipynb", as_version=4)
    summary = json.loads((out / "summary.json").read_text())
    text = text_of(notebook)
    assert set(summary["jobs"]) == {"A", "B"} and summary["mode"] == "local stand-in"
    for job in summary["jobs"].values():
        assert job["id"] in text and job["status"] == "succeeded"
        assert 0 < job["validation_reward"]["value"] <= 1 and job["steps"] >= 1
    assert "succeeded" in text and "LOCAL STAND-IN" in text
    plots = [o for o in outputs(notebook) if "image/png" in o.get("data", {})]
    assert len(plots) == 1


@pytest.mark.slow
@pytest.mark.integration
def test_every_standin_job_line_says_dry_run_and_claims_no_train_reward(demo):
    proc, out = demo
    summary = json.loads((out / "summary.json").read_text())
    table = rk.summary_table(summary).splitlines()[2:]
    lines = [line for line in proc.stdout.splitlines() if line.strip().startswith("Job ") and "ftjob-" in line]
    assert len(table) == len(lines) == 2
    for job in summary["jobs"].values():
        assert job["dry_run"] is True
        assert "validation rows" in job["last_step_reward"]["measured_on"]
        assert "validation rollouts" in job["validation_reward"]["measured_on"]
    for line in table + lines:
        assert "(stand-in dry run)" in line and "train" not in line.replace("no training rows", "")


@pytest.mark.slow
@pytest.mark.integration
def test_preflight_ran_before_upload(demo):
    _, out = demo
    text = text_of(nbformat.read(out / "rft-tool-call.ipynb", as_version=4))
    assert text.index("0 errors, 0 warnings: OK") < text.index("Dry run:") < text.index("processed")
    assert "FLAGGED (accepted)" in text and "learnable band" in text
    assert "pause  -> paused" in text and "cancel -> cancelled" in text


def test_committed_notebook_has_no_outputs():
    notebook = nbformat.read(REPO / "notebooks" / "rft-tool-call.ipynb", as_version=4)
    nbformat.validate(notebook)
    assert not outputs(notebook) and notebook.cells[0].cell_type == "markdown"


def test_azure_mode_needs_a_public_tool_endpoint(tmp_path, monkeypatch):
    env_file = tmp_path / ".env"
    env_file.write_text('AZURE_OPENAI_ENDPOINT="https://example.openai.azure.com"\nAZURE_OPENAI_API_KEY="k"\n')
    for name in AZURE_VARS:
        monkeypatch.delenv(name, raising=False)
    with pytest.raises(rk.SettingsError, match="FUNC_APP_NAME"):
        rk.open_session(env_file)


@pytest.mark.slow
@pytest.mark.integration
def test_a_failing_cell_is_named_with_its_exception(tmp_path, capfd):
    from rftkit.notebook.demo import execute_notebook, run_demo

    notebook = nbformat.v4.new_notebook(metadata={"kernelspec": {"name": "python3", "display_name": "Python 3"}})
    notebook.cells = [nbformat.v4.new_code_cell("print('checking the data')"),
                      nbformat.v4.new_code_cell("from rftkit import notebook as rk\n"
                                                "raise ValueError('the dataset has errors; fix them before "
                                                "uploading:\\ntrain.jsonl:3: not JSON')")]
    path = tmp_path / "failing.ipynb"
    nbformat.write(notebook, path)
    _, error = execute_notebook(tmp_path, dict(os.environ), 60, notebook_path=path)
    assert (error.cell, error.ename) == (2, "ValueError")
    assert error.evalue == "the dataset has errors; fix them before uploading:\ntrain.jsonl:3: not JSON"
    assert error.first_line == "from rftkit import notebook as rk"

    out = tmp_path / "demo"
    assert run_demo(out, notebook=path, cell_timeout=60) == 1
    printed = capfd.readouterr()
    assert ("FAILED: code cell 2 (`from rftkit import notebook as rk`) raised ValueError: the dataset has errors; "
            "fix them before uploading:\ntrain.jsonl:3: not JSON") in printed.out
    assert "An error occurred while executing" not in printed.out + printed.err
    assert "without encryption" not in printed.out + printed.err
    assert (out / "failing.ipynb").is_file()


def test_the_sft_notebook_ran_after_the_rft_one(demo):
    proc, out = demo
    assert proc.stdout.index("rft-tool-call.ipynb ...") < proc.stdout.index("episodes-to-sft.ipynb ...")
    notebook = nbformat.read(out / "episodes-to-sft.ipynb", as_version=4)
    assert not [o for o in outputs(notebook) if o["output_type"] == "error"]
    assert "supervised" in text_of(notebook) and (out / "sft" / "sft_train.jsonl").is_file()
