"""A tool or grader URL that cannot be reached, or answers 404, is named with its usual fix — in the dry run, the
notebook's smoke test and the grader commands."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from rftkit.__main__ import main
from rftkit.notebook import NotebookSession, smoke_test_endpoints
from rftkit.settings import ToolkitSettings
from rftkit.util.endpoint_errors import shown_url
from tests.rollouts_support import make_row
from tests.support import free_port, make_app, serve

UNKNOWN_HOST = "http://no-such-app.invalid"  # .invalid never resolves (RFC 6761): fails locally, fast
UNREACHABLE = "is the app running, and is the URL right"


@pytest.fixture(scope="module")
def app_url():
    with serve(make_app()) as url:
        yield url


@pytest.fixture()
def data(tmp_path) -> Path:
    path = tmp_path / "valid.jsonl"
    path.write_text(json.dumps(make_row("row-1", "What is the SKU of the Urban Puffer?", "JKT-URB-009")) + "\n",
                    encoding="utf-8")
    return path


def closed_port_url() -> str:
    return f"http://127.0.0.1:{free_port()}"  # bound, then closed: nothing listens there


def dry_run(capsys, data: Path, tool_url: str, grader_url: str) -> tuple[int, str]:
    code = main(["dry-run", "--data", str(data), "--tool-url", tool_url, "--grader-url", grader_url,
                 "--retries", "0", "--request-timeout", "10"])
    return code, capsys.readouterr().out


@pytest.mark.parametrize("base", ["closed_port", "unknown_host"])
def test_dry_run_names_an_unreachable_tool_and_the_fix(capsys, data, app_url, base):
    base_url = closed_port_url() if base == "closed_port" else UNKNOWN_HOST
    started = time.monotonic()
    code, out = dry_run(capsys, data, f"{base_url}/tool/search_catalog", f"{app_url}/score")
    assert time.monotonic() - started < 15
    assert code == 1 and "tool:connection_error x1" in out
    assert f"tool:connection_error, first: cannot reach {base_url}/tool/search_catalog (ConnectError: " in out
    assert UNREACHABLE in out


def test_dry_run_names_a_404_and_its_usual_causes(capsys, data, app_url):
    code, out = dry_run(capsys, data, f"{app_url}/api/tool/search_catalog", f"{app_url}/api/score")
    assert code == 1
    assert f"tool:http_404, first: {app_url}/api/tool/search_catalog answered HTTP 404 Not Found" in out
    assert f"grader:http_404, first: {app_url}/api/score: the endpoint answered HTTP 404 Not Found" in out
    assert "`extensions.http.routePrefix`" in out and "wrong path" in out


def test_dry_run_json_carries_the_same_messages(capsys, data, app_url):
    closed = closed_port_url()
    main(["dry-run", "--data", str(data), "--tool-url", f"{app_url}/tool/search_catalog",
          "--grader-url", f"{closed}/score", "--retries", "0", "--json"])
    summary = json.loads(capsys.readouterr().out)["summary"]
    assert summary["errors"] == {"grader:connection_error": 1}
    assert summary["error_examples"]["grader:connection_error"].startswith(f"{closed}/score: cannot reach it ")


def session_at(base_url: str) -> NotebookSession:
    return NotebookSession(ToolkitSettings(tool_base_url=base_url), client=None, tool_base_url=base_url, local=True,
                           output_dir=Path("."))


@pytest.mark.parametrize("base", ["closed_port", "unknown_host"])
def test_notebook_smoke_test_names_an_unreachable_app(base):
    base_url = closed_port_url() if base == "closed_port" else UNKNOWN_HOST
    with pytest.raises(RuntimeError) as raised:
        smoke_test_endpoints(session_at(base_url))
    message = str(raised.value)
    assert message.startswith(f"the tool endpoint is not ready: cannot reach {base_url}/tool/search_catalog ")
    assert UNREACHABLE in message and raised.value.__cause__ is None  # no ConnectError traceback on top


def test_notebook_smoke_test_names_a_404(app_url):
    with pytest.raises(RuntimeError, match="routePrefix") as raised:
        smoke_test_endpoints(session_at(f"{app_url}/api"))
    assert str(raised.value).startswith(f"the tool endpoint is not ready: {app_url}/api/tool/search_catalog "
                                        "answered HTTP 404 Not Found")
    assert smoke_test_endpoints(session_at(app_url))[1]["status"] == 200


def test_grade_names_an_unreachable_or_missing_grader(capsys, app_url):
    closed = closed_port_url()
    assert main(["grade", "--grader", f"{closed}/score", "--answer", "JKT-URB-009", "--reference", "JKT-URB-009"]) == 1
    out = capsys.readouterr().out
    assert f"{closed}/score: cannot reach it (ConnectError: " in out and UNREACHABLE in out
    assert main(["grade", "--grader", f"{app_url}/api/score", "--answer", "x", "--reference", "JKT-URB-009"]) == 1
    out = capsys.readouterr().out
    assert f"{app_url}/api/score: the endpoint answered HTTP 404 Not Found: usually an `/api` prefix" in out


def test_a_function_key_in_the_url_is_masked():
    assert shown_url("https://app.azurewebsites.net/score?code=s3cret&x=1") == (
        "https://app.azurewebsites.net/score?code=***&x=1")
    assert shown_url("http://127.0.0.1:7071/score") == "http://127.0.0.1:7071/score"


def test_notebook_grader_check_names_an_unreachable_endpoint_grader():
    from rftkit.notebook import check_grader
    from rftkit.settings import make_client
    from rftkit.standin import StandinConfig
    from rftkit.standin.server import StandinServer

    down = f"{closed_port_url()}/score"
    standin = StandinServer(StandinConfig()).start()
    try:
        settings = ToolkitSettings(standin_url=standin.url)
        session = NotebookSession(settings, make_client(settings), tool_base_url="", local=True, output_dir=Path("."))
        with pytest.raises(RuntimeError) as raised:
            check_grader(session, {"type": "endpoint", "name": "g", "url": down})
    finally:
        standin.stop()
    assert str(raised.value).startswith(f"the grader failed on the answer 'JKT-URB-009': {down}: cannot reach it")
    assert UNREACHABLE in str(raised.value)
