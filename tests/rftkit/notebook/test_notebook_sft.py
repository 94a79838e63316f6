"""`notebooks/episodes-to-sft.ipynb` runs headless (nbclient, a kernel from this venv): it serves the app and the
stand-in itself on loopback, captures, labels, builds, validates, uploads, submits, monitors, retests, compares."""

from __future__ import annotations

import json
import os

import nbformat
import pytest
from nbclient import NotebookClient

from rftkit import DATA_DIR
from tests.support import REPO_ROOT as REPO

VALID_ROWS = len((DATA_DIR / "valid_tool.jsonl").read_text(encoding="utf-8").splitlines())

pytestmark = [pytest.mark.slow, pytest.mark.integration]  # a Jupyter kernel, the app and the stand-in

NOTEBOOK = REPO / "notebooks" / "episodes-to-sft.ipynb"
AZURE_VARS = ("AZURE_OPENAI_ENDPOINT", "AZURE_OPENAI_API_KEY", "TOOL_BASE_URL", "FUNC_APP_NAME", "FUNC_KEY",
              "STANDIN_URL", "SFT_MODEL", "SFT_DEPLOYMENT")


@pytest.fixture(scope="module")
def executed(tmp_path_factory):
    out = tmp_path_factory.mktemp("sft-notebook")
    env = {k: v for k, v in os.environ.items() if k not in AZURE_VARS}
    env["RFTKIT_OUTPUT_DIR"] = str(out)
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    NotebookClient(notebook, timeout=300, kernel_name="python3",
                   resources={"metadata": {"path": str(out)}}).execute(env=env)
    nbformat.write(notebook, out / NOTEBOOK.name)
    return notebook, out


def text_of(notebook) -> str:
    return "\n".join(o.get("text", "") if o["output_type"] == "stream" else json.dumps(o.get("data", {}))
                     for cell in notebook.cells if cell.cell_type == "code" for o in cell.get("outputs", []))


def test_every_cell_ran_and_the_job_is_a_succeeded_dry_run(executed):
    notebook, out = executed
    assert all(c.get("execution_count") for c in notebook.cells if c.cell_type == "code")
    text = text_of(notebook)
    assert "LOCAL STAND-IN" in text and "supervised" in text and "succeeded" in text
    assert "DRY RUN" in text and "trained tokens:" in text and "0 errors, 0 warnings: OK" in text
    assert "SAME scripted policy again" in text and f"unchanged: {VALID_ROWS}/{VALID_ROWS}" in text
    assert "grader:catalog_grader" in text
    assert (out / "sft" / "sft_train.jsonl").is_file() and (out / "sft" / "tuned_episodes.jsonl").is_file()
    assert text.index("labelled") < text.index("kept") < text.index("processed") < text.index("succeeded")


def test_committed_notebook_has_no_outputs():
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    nbformat.validate(notebook)
    assert notebook.cells[0].cell_type == "markdown"
    assert not [o for c in notebook.cells if c.cell_type == "code" for o in c.get("outputs", [])]
