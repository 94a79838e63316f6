"""One record per request: the access line goes through the standard logging tree exactly once.

Under the Functions host the worker's handler sits on the root logger (added before or after the app is imported):
the app adds no handler of its own. Alone (uvicorn, scripts) it adds one plain handler on the root logger."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import pytest

from tests.support import REPO_ROOT as REPO

SCRIPT = textwrap.dedent('''
    import asyncio, json, logging, sys
    import azure.functions as func

    def host_handler():  # what the Functions worker does: its own handler on the root logger
        handler = logging.StreamHandler(sys.stdout)
        handler.setFormatter(logging.Formatter("host| %(message)s"))
        logging.getLogger().addHandler(handler)

    order = sys.argv[1]
    if order == "host-before":
        host_handler()
    import function_app
    if order == "host-after":
        host_handler()
    if order == "basic-config-after":
        logging.basicConfig()  # a later basicConfig must not add a second handler
    http = function_app.app.get_functions()[0].get_user_function()
    body = {"sample": {"output_text": "JKT-URB-009"}, "item": {"reference_answer": "JKT-URB-009"},
            "trace_id": "trace_once"}
    request = func.HttpRequest("POST", "http://localhost/score", headers={"Content-Type": "application/json"},
                               params={}, body=json.dumps(body).encode())
    assert asyncio.run(http(request, None)).status_code == 200
''')


@pytest.mark.parametrize("order,under_host", [("host-before", True), ("host-after", True),
                                              ("alone", False), ("basic-config-after", False)])
def test_one_access_line_per_request(order, under_host):
    env = {**os.environ, "TOOL_AUTH_DISABLED": "true", "SCORE_AUTH_DISABLED": "true", "LOG_LEVEL": "INFO"}
    for name in ("FUNCTIONS_WORKER_RUNTIME", "WEBSITE_INSTANCE_ID", "APPLICATIONINSIGHTS_CONNECTION_STRING"):
        env.pop(name, None)
    if under_host:
        env["FUNCTIONS_WORKER_RUNTIME"] = "python"
    result = subprocess.run([sys.executable, "-c", SCRIPT, order], cwd=REPO / "function_app", env=env,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr[-2000:]
    lines = [line for line in (result.stdout + result.stderr).splitlines() if '"trace_id": "trace_once"' in line]
    assert len(lines) == 1, lines
    assert lines[0].startswith("host| ") == under_host
