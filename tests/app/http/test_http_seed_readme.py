"""The public sample README's local smoke tests, verbatim (curl), against the app served by uvicorn on loopback.

The server is started with the README's command line (on a socket bound first, passed as `--fd` instead of
`--port`) and the committed local.settings example's values, as a user without Core Tools would run it.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess

import httpx
import pytest

from rftkit.util.servers import start_function_app
from tests.support import REPO_ROOT as REPO

pytestmark = [pytest.mark.slow, pytest.mark.integration]



@pytest.fixture(scope="module")
def base_url():
    env = {**os.environ, **json.loads((REPO / "function_app" / "local.settings.example.json").read_text())["Values"]}
    proc, url = start_function_app(env, extra_args=(), output=subprocess.PIPE)  # the README's command line
    try:
        yield url
    finally:
        proc.terminate()
        proc.wait(10)


def curl(*args: str) -> tuple[int, str]:
    if shutil.which("curl") is None:
        pytest.fail("curl is needed for the README smoke tests (apt-get install curl)")
    out = subprocess.run(["curl", "-sS", "-i", "--max-time", "10", *args], capture_output=True, text=True,
                         check=True).stdout
    head, _, body = out.partition("\n\n")  # text mode turned CRLF into LF
    return int(head.split()[1]), body


def test_readme_grader_curl(base_url):
    status, body = curl("-X", "POST", f"{base_url}/score", "-H", "Content-Type: application/json", "-d",
                        "{\"sample\":{\"output_text\":\"JKT-URB-009\"},\"item\":{\"reference_answer\":\"JKT-URB-009\"},"
                        "\"trace_id\":\"trace_test\"}")
    assert status == 200 and json.loads(body) == {"score": 1.0}


def test_readme_tool_curl(base_url):
    status, body = curl("-X", "POST", f"{base_url}/tool/search_catalog", "-H", "Content-Type: application/json",
                        "-d", "{\"query\":\"Urban Puffer\",\"top_k\":1}")
    assert status == 200
    out = json.loads(body)
    assert out["type"] == "function_call_output"
    assert [i["sku"] for i in json.loads(out["output"])["items"]] == ["JKT-URB-009"]


def test_readme_wrapper_contract(base_url):
    wrapper = {"type": "function_call", "id": "fc_123", "call_id": "call_123", "name": "search_catalog",
               "arguments": "{\"query\":\"Urban Puffer\",\"top_k\":3}", "trace_id": "trace_abc", "item": {}}
    status, body = curl("-X", "POST", f"{base_url}/tool/search_catalog", "-H", "Content-Type: application/json",
                        "-d", json.dumps(wrapper))
    out = json.loads(body)
    assert status == 200 and (out["call_id"], out["id"]) == ("call_123", "fc_123")
    explained = httpx.post(f"{base_url}/score?explain=true", json={
        "sample": {"output_text": "JKT-URB-009"}, "item": {"reference_answer": "JKT-URB-009"},
        "trace_id": "trace_abc"}).json()
    assert explained["details"]["tool_calls"] == 1


def test_routes_have_no_api_prefix(base_url):
    assert httpx.post(f"{base_url}/api/score", json={}).status_code == 404
    assert httpx.get(f"{base_url}/openapi.json").json()["paths"].keys() >= {"/score", "/tool/search_catalog"}
