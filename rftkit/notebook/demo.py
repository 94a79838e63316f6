"""`python -m rftkit demo`: the project's main job on its embedded default, with no Azure account.

Starts the function app (uvicorn) and the Azure OpenAI v1 stand-in on free loopback ports, executes the job
notebook headless against them (nbclient), writes the executed notebook and a summary to an output folder, and
stops what it started. With Azure settings in `.env`, the same notebook targets Azure: it runs the preflight and
shows what it would submit, and creates real (billed) jobs only with `--submit`.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rftkit import REPO_ROOT
from rftkit.settings import ToolkitSettings, load_settings
from rftkit.util.servers import start_function_app, stop_process

NOTEBOOK = REPO_ROOT / "notebooks" / "rft-tool-call.ipynb"
# Run after the RFT notebook, against the same app and stand-in: episodes -> labels -> a supervised job.
AFTER = (REPO_ROOT / "notebooks" / "episodes-to-sft.ipynb",)
READY_PREFIX = "rftkit standin ready: "
SUBMIT_TAG = "submit"  # the notebook cell holding `SUBMIT = False`
_SUBMIT_FALSE = re.compile(r"^SUBMIT = False\b", re.MULTILINE)


def start_app(timeout: float = 30.0, catalog: Path | None = None) -> tuple[subprocess.Popen, str]:
    """The function app under uvicorn, auth off (loopback only), as `uvicorn function_app:fastapi_app` serves it;
    `catalog` is its CATALOG_PATH (default: the one in this process's environment, else the shipped one)."""
    env = {**os.environ, "TOOL_AUTH_DISABLED": "true", "SCORE_AUTH_DISABLED": "true", "LOG_LEVEL": "WARNING"}
    if catalog is not None:
        env["CATALOG_PATH"] = str(catalog)
    return start_function_app(env, timeout)


def start_standin(step_delay: float, error_rate: float, timeout: float = 30.0,
                  env: dict[str, str] | None = None) -> tuple[subprocess.Popen, str]:
    """`python -m rftkit standin` on a free port; its URL from the line it prints when ready."""
    proc = subprocess.Popen([sys.executable, "-m", "rftkit", "standin", "--port", "0", "--step-delay",
                             str(step_delay), "--policy-error-rate", str(error_rate)],
                            cwd=REPO_ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    deadline = time.monotonic() + timeout
    assert proc.stdout is not None
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if line.startswith(READY_PREFIX):
            api = line[len(READY_PREFIX):].strip()
            return proc, api.removesuffix("/").removesuffix("/openai/v1")
        if not line and proc.poll() is not None:
            break
    stop_process(proc)
    raise RuntimeError("the stand-in did not report ready")


@dataclass(frozen=True)
class CellError:
    """Why the notebook stopped: the cell (1-based among code cells), its first line, and the exception."""

    cell: int
    first_line: str
    ename: str
    evalue: str

    def __str__(self) -> str:
        return f"code cell {self.cell} (`{self.first_line}`) raised {self.ename}: {self.evalue}"


def _set_submit(notebook: Any, submit: bool) -> Any:
    """The cell tagged `submit` (None if there is none), its `SUBMIT = False` line turned to True when `submit`."""
    cells = [c for c in notebook.cells if SUBMIT_TAG in c.get("metadata", {}).get("tags", [])]
    if not submit:
        return cells[0] if cells else None
    if len(cells) != 1 or not _SUBMIT_FALSE.search(cells[0].source):
        raise RuntimeError(f"--submit needs exactly one notebook cell tagged {SUBMIT_TAG!r} holding `SUBMIT = False`")
    cells[0].source = _SUBMIT_FALSE.sub("SUBMIT = True", cells[0].source, count=1)
    return cells[0]


def _kernel_config(socket_dir: str) -> Any:
    """Unix sockets in a private folder instead of TCP on loopback: no port for other local users to reach, and
    no "running over TCP without encryption" warning from the kernel. Windows keeps ipykernel's default TCP."""
    from traitlets.config import Config

    config = Config()
    if os.name == "posix":
        config.KernelManager.transport = "ipc"
        config.KernelManager.ip = os.path.join(socket_dir, "kernel")
    return config


def _cell_error(notebook: Any, exc: Exception) -> CellError:
    from nbclient.exceptions import CellExecutionError

    code_cells = [c for c in notebook.cells if c.cell_type == "code"]
    failed = next((n for n, c in enumerate(code_cells, 1)
                   if any(o.get("output_type") == "error" for o in c.get("outputs", []))), None)
    if failed is None:  # a timeout or a dead kernel leaves no error output: the last cell that started
        failed = max((n for n, c in enumerate(code_cells, 1) if c.get("execution_count")), default=0)
    source = code_cells[failed - 1].source.strip() if failed else ""
    first_line = source.splitlines()[0] if source else ""
    if isinstance(exc, CellExecutionError):
        return CellError(failed, first_line, exc.ename, exc.evalue)
    return CellError(failed, first_line, type(exc).__name__, str(exc).strip().splitlines()[0] if str(exc) else "")


def execute_notebook(output_dir: Path, env: dict[str, str], cell_timeout: float, *, notebook_path: Path = NOTEBOOK,
                     submit: bool = False, show: Callable[[str], None] = print) -> tuple[Any, CellError | None]:
    """Run the notebook in a kernel from this venv; return the executed notebook and why it stopped, if it did.

    The submit cell's output (what would be submitted) is passed to `show` as soon as that cell has run.
    """
    import nbformat
    from nbclient import NotebookClient
    from nbclient.exceptions import CellControlSignal, DeadKernelError

    notebook = nbformat.read(notebook_path, as_version=4)
    submit_cell = _set_submit(notebook, submit)
    submit_index = notebook.cells.index(submit_cell) if submit_cell is not None else None

    def on_cell_executed(cell: Any, cell_index: int, **_: Any) -> None:
        if cell_index == submit_index:
            show("".join(o.get("text", "") for o in cell.get("outputs", []) if o.get("output_type") == "stream"))

    error = None
    with tempfile.TemporaryDirectory(prefix="rftkit-kernel-") as socket_dir:
        client = NotebookClient(notebook, timeout=int(cell_timeout), kernel_name="python3",
                                resources={"metadata": {"path": str(notebook_path.parent)}},
                                config=_kernel_config(socket_dir), on_cell_executed=on_cell_executed)
        try:
            client.execute(env=env)
        except (CellControlSignal, DeadKernelError) as exc:  # a failing cell, a timeout, a dead kernel
            error = _cell_error(notebook, exc)
    nbformat.write(notebook, output_dir / notebook_path.name)
    return notebook, error


def data_mismatch(settings: ToolkitSettings) -> str | None:
    """Why the data files cannot be played against CATALOG_PATH (references missing from it), or None.

    Only for a catalog other than the shipped one: the demo must not report success on data made for another
    catalog."""
    from catalog_tools.search import CatalogError, load_products
    from rftkit.util.jsonl import read_jsonl

    if not settings.custom_catalog:
        return None
    try:
        skus = {p.sku for p in load_products(settings.catalog_path)}
        missing: dict[str, int] = {}
        for path in (settings.train_file, settings.valid_file):
            missing[str(path)] = sum(1 for row in read_jsonl(path) if row.get("reference_answer") not in skus)
    except (CatalogError, OSError, ValueError) as exc:
        return f"CATALOG_PATH is {settings.catalog_path}: {exc}"
    if not any(missing.values()):
        return None
    counts = ", ".join(f"{path}: {n} rows" for path, n in missing.items() if n)
    out = "data/mine"
    return (f"CATALOG_PATH is {settings.catalog_path}, but the data files reference SKUs that are not in it "
            f"({counts}).\nMake data for that catalog and point the demo at it:\n"
            f"  python -m rftkit make-dataset --catalog {settings.catalog_path} --out-dir {out}\n"
            f"  export TRAIN_FILE={out}/train_tool.jsonl VALID_FILE={out}/valid_tool.jsonl   (or put them in .env)\n"
            "or unset TRAIN_FILE and VALID_FILE: the demo then makes data for the catalog in its output folder")


def make_data_for_catalog(settings: ToolkitSettings, out_dir: Path) -> ToolkitSettings:
    """`make-dataset` for CATALOG_PATH into `out_dir`; the settings with TRAIN_FILE / VALID_FILE pointing there."""
    from rftkit.data.datasets import FILE_NAMES, write_datasets

    print(f"CATALOG_PATH is {settings.catalog_path} and TRAIN_FILE / VALID_FILE are not set: making data for that "
          f"catalog (python -m rftkit make-dataset --catalog {settings.catalog_path} --out-dir {out_dir})")
    for path, count in write_datasets(out_dir, settings.catalog_path).items():
        print(f"  wrote {count} rows to {path}")
    return settings.model_copy(update={"train_file": out_dir / FILE_NAMES["train"],
                                       "valid_file": out_dir / FILE_NAMES["valid"]})


def run_demo(output_dir: Path, *, cell_timeout: float = 900.0, step_delay: float = 0.5,
             error_rate: float = 0.25, submit: bool = False, notebook: Path = NOTEBOOK) -> int:
    """Run the main job; print where its outputs are; return an exit code (0 = every cell ran, or the run stopped
    on purpose before submitting to Azure).

    On Azure (`AZURE_OPENAI_ENDPOINT` set) real jobs are created only with `submit`; without it the notebook
    runs the preflight, shows what it would submit, and stops before any upload.
    """
    from rftkit.notebook import job_line

    output_dir = output_dir.resolve()
    output_dir.mkdir(parents=True, exist_ok=True)
    settings = load_settings()
    mismatch = data_mismatch(settings)
    if mismatch and not settings.data_files_set:  # CATALOG_PATH alone: data for it, made here, is the default
        from catalog_tools.search import CatalogError
        from rftkit.data.datasets import DatasetError

        try:
            settings = make_data_for_catalog(settings, output_dir / "data")
            mismatch = data_mismatch(settings)
        except (CatalogError, DatasetError, OSError, ValueError) as exc:
            mismatch = f"CATALOG_PATH is {settings.catalog_path}: {exc}"
    if mismatch:
        print(f"validation failed: {mismatch}")
        return 1
    started: list[subprocess.Popen] = []
    # The catalog and data settings, absolute, for the app, the stand-in and the notebook's kernel alike.
    env = {**os.environ, "RFTKIT_OUTPUT_DIR": str(output_dir), "CATALOG_PATH": str(settings.catalog_path),
           "TRAIN_FILE": str(settings.train_file), "VALID_FILE": str(settings.valid_file)}
    try:
        if settings.uses_azure:
            print(f"Azure settings found: jobs go to {settings.azure_openai_endpoint} (sign-in: {settings.auth})")
            print("--submit given: after the preflight the notebook uploads the files and creates REAL jobs, billed "
                  "per hour of training" if submit else
                  "without --submit the notebook runs the preflight, shows what it would submit, and stops before "
                  "uploading anything")
        else:
            app, app_url = start_app(catalog=settings.catalog_path)
            started.append(app)
            standin, standin_url = start_standin(step_delay, error_rate, env=env)
            started.append(standin)
            env.update(TOOL_BASE_URL=app_url, STANDIN_URL=standin_url)
            print(f"function app: {app_url}\nAzure OpenAI v1 stand-in: {standin_url}/openai/v1/")
        print(f"executing {os.path.relpath(notebook, REPO_ROOT)} ...", flush=True)
        _, error = execute_notebook(output_dir, env, cell_timeout, notebook_path=notebook, submit=submit,
                                    show=lambda text: print(text, end="", flush=True))
        # The supervised loop builds on the local app's episodes: it runs on the stand-in only, never billed.
        for path in AFTER if not (error or settings.uses_azure) else ():
            print(f"executing {os.path.relpath(path, REPO_ROOT)} ...", flush=True)
            _, error = execute_notebook(output_dir, env, cell_timeout, notebook_path=path)
            print(f"executed notebook: {output_dir / path.name}" + (f" FAILED: {error}" if error else ""))
    finally:
        for proc in reversed(started):
            stop_process(proc)
    print(f"executed notebook: {output_dir / notebook.name}")
    if error and error.ename == "NothingSubmitted":
        print("Nothing was submitted: no file was uploaded and no job was created. To submit the jobs above "
              "(real, billed per hour of training): python -m rftkit demo --submit")
        return 0
    if error:
        print(f"FAILED: {error}")
        return 1
    summary_path = output_dir / "summary.json"
    summary = json.loads(summary_path.read_text(encoding="utf-8"))
    print(f"summary ({summary['mode']}): {summary_path}")
    for label, job in summary["jobs"].items():
        print(f"  {job_line(label, job)}")
    return 0 if all(job["status"] == "succeeded" for job in summary["jobs"].values()) else 1
