"""`python -m rftkit standin` as a subprocess: it says when it is ready, serves the API, and stops on a signal."""

from __future__ import annotations

import queue
import signal
import subprocess
import sys
import threading

import httpx
import pytest

from rftkit import REPO_ROOT

pytestmark = [pytest.mark.slow, pytest.mark.integration]

READY = "rftkit standin ready: "


@pytest.mark.parametrize("stop, exit_code", [(signal.SIGTERM, -signal.SIGTERM), (signal.SIGINT, 130)])
def test_standin_command_serves_until_stopped(stop, exit_code):
    process = subprocess.Popen([sys.executable, "-m", "rftkit", "standin", "--port", "0"], cwd=REPO_ROOT,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    lines: queue.Queue[str] = queue.Queue()
    threading.Thread(target=lambda: [lines.put(line) for line in process.stdout], daemon=True).start()
    try:
        line = lines.get(timeout=30)
        assert line.startswith(READY), line
        api_base = line[len(READY):].strip()
        assert api_base.startswith("http://127.0.0.1:") and api_base.endswith("/openai/v1/")
        assert httpx.get(api_base.removesuffix("openai/v1/") + "health", timeout=5).json()["status"] == "ok"
        listed = httpx.get(api_base + "files", timeout=5)
        assert listed.status_code == 200 and listed.json()["data"] == []
    finally:
        process.send_signal(stop)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()  # only the process this test started
            process.wait()
    stderr = process.stderr.read()
    assert process.returncode == exit_code, stderr
    assert "Traceback" not in stderr
