"""`python -m rftkit demo`: the project's main job on its embedded default, with no Azure account.

Starts the function app (uvicorn) and the Azure OpenAI v1 stand-in on free loopback ports, executes the job
notebook headless against them (nbclient), writes the executed notebook and a summary to an output folder, and
stops what it started. With Azure settings in `.env`, the same notebook submits real jobs instead.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx

from . import FUNCTION_APP_DIR, REPO_ROOT
from .settings import load_settings

NOTEBOOK = REPO_ROOT / "notebooks" / "rft-tool-call.ipynb"
# Run after the RFT notebook, against the same app and stand-in: episodes -> labels -> a supervised job.
AFTER = (REPO_ROOT / "notebooks" / "episodes-to-sft.ipynb",)
READY_PREFIX = "rftkit standin ready: "


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_http(url: str, proc: subprocess.Popen, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{proc.args[2:5]} exited with {proc.returncode}")
        try:
            if httpx.get(url, timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            time.sleep(0.1)
    raise RuntimeError(f"{url} did not answer within {timeout} s")


def start_app(timeout: float = 30.0) -> tuple[subprocess.Popen, str]:
    """The function app under uvicorn, auth off (loopback only), as `uvicorn function_app:fastapi_app` serves it."""
    port = _free_port()
    env = {**os.environ, "TOOL_AUTH_DISABLED": "true", "SCORE_AUTH_DISABLED": "true", "LOG_LEVEL": "WARNING"}
    proc = subprocess.Popen([sys.executable, "-m", "uvicorn", "function_app:fastapi_app", "--app-dir",
                             str(FUNCTION_APP_DIR), "--host", "127.0.0.1", "--port", str(port), "--log-level",
                             "warning"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_http(f"{url}/health", proc, timeout)
    except RuntimeError:
        _stop(proc)
        raise
    return proc, url


def start_standin(step_delay: float, error_rate: float, timeout: float = 30.0) -> tuple[subprocess.Popen, str]:
    """`python -m rftkit standin` on a free port; its URL from the line it prints when ready."""
    proc = subprocess.Popen([sys.executable, "-m", "rftkit", "standin", "--port", "0", "--step-delay",
                             str(step_delay), "--policy-error-rate", str(error_rate)],
                            cwd=REPO_ROOT, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    deadline = time.monotonic() + timeout
    assert proc.stdout is not None
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if line.startswith(READY_PREFIX):
            api = line[len(READY_PREFIX):].strip()
            return proc, api.removesuffix("/").removesuffix("/openai/v1")
        if not line and proc.poll() is not None:
            break
    _stop(proc)
    raise RuntimeError("the stand-in did not report ready")


def _stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)


def execute_notebook(output_dir: Path, env: dict[str, str], cell_timeout: float,
                     path: Path = NOTEBOOK) -> tuple[Any, str | None]:
    """Run the notebook in a kernel from this venv; return the executed notebook and the error, if any."""
    import nbformat
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError

    notebook = nbformat.read(path, as_version=4)
    client = NotebookClient(notebook, timeout=int(cell_timeout), kernel_name="python3",
                            resources={"metadata": {"path": str(path.parent)}})
    error = None
    try:
        client.execute(env=env)
    except CellExecutionError as exc:
        error = str(exc).splitlines()[0] if str(exc) else "a cell failed"
    nbformat.write(notebook, output_dir / path.name)
    return notebook, error


def run_demo(output_dir: Path, *, cell_timeout: float = 900.0, step_delay: float = 0.5,
             error_rate: float = 0.25) -> int:
    """Run the main job; print where its outputs are; return an exit code (0 = every cell ran)."""
    output_dir = output_dir.resolve()
    output_dir.mkdir(parents=True, exist_ok=True)
    settings = load_settings()
    started: list[subprocess.Popen] = []
    env = {**os.environ, "RFTKIT_OUTPUT_DIR": str(output_dir)}
    try:
        if settings.uses_azure:
            print(f"Azure settings found: the notebook submits REAL jobs to {settings.azure_openai_endpoint}")
        else:
            app, app_url = start_app()
            started.append(app)
            standin, standin_url = start_standin(step_delay, error_rate)
            started.append(standin)
            env.update(TOOL_BASE_URL=app_url, STANDIN_URL=standin_url)
            print(f"function app: {app_url}\nAzure OpenAI v1 stand-in: {standin_url}/openai/v1/")
        print(f"executing {NOTEBOOK.relative_to(REPO_ROOT)} ...", flush=True)
        _, error = execute_notebook(output_dir, env, cell_timeout)
        for path in AFTER if not error else ():
            print(f"executing {path.relative_to(REPO_ROOT)} ...", flush=True)
            _, error = execute_notebook(output_dir, env, cell_timeout, path)
            print(f"executed notebook: {output_dir / path.name}" + (f" FAILED: {error}" if error else ""))
    finally:
        for proc in reversed(started):
            _stop(proc)
    print(f"executed notebook: {output_dir / NOTEBOOK.name}")
    if error:
        print(f"FAILED: {error}")
        return 1
    summary_path = output_dir / "summary.json"
    summary = json.loads(summary_path.read_text(encoding="utf-8"))
    print(f"summary ({summary['mode']}): {summary_path}")
    for label, job in summary["jobs"].items():
        print(f"  Job {label}: {job['id']} {job['status']}  train reward {job['train_mean_reward']}  "
              f"validation reward {job['full_valid_mean_reward']}")
    return 0 if all(job["status"] == "succeeded" for job in summary["jobs"].values()) else 1
