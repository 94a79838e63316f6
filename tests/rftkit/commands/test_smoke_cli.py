"""`python -m rftkit smoke` against the app served by uvicorn on 127.0.0.1, as the azd postdeploy hook runs it."""

from __future__ import annotations

import threading
import time

import pytest
from pydantic import SecretStr

from rftkit.__main__ import main
from tests.support import free_port, make_app, serve

TOOL_KEY = "0123456789abcdef" * 4


@pytest.fixture(autouse=True)
def _no_settings_from_the_shell(monkeypatch):
    for name in ("TOOL_BASE_URL", "FUNC_APP_NAME", "FUNC_KEY"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture(scope="module")
def deployed_like_azure():
    """The app as the Bicep configures it: tool key required, grader anonymous."""
    app = make_app(tool_auth_disabled=False, tool_api_key=SecretStr(TOOL_KEY), score_auth_disabled=True)
    with serve(app) as url:
        yield url


def test_passes_with_the_app_key(deployed_like_azure, tmp_path, capsys):
    code = main(["smoke", "--base-url", deployed_like_azure, "--tool-key", TOOL_KEY,
                 "--env-file", str(tmp_path / "none.env")])
    out = capsys.readouterr().out
    assert code == 0, out
    assert "tool    200" in out and "grader  200" in out and "smoke test passed" in out
    assert TOOL_KEY not in out


def test_reads_the_url_and_key_from_the_env_file(deployed_like_azure, tmp_path, capsys):
    env = tmp_path / ".env"
    env.write_text(f'FUNC_APP_NAME="ignored"\nTOOL_BASE_URL="{deployed_like_azure}/"\nFUNC_KEY="{TOOL_KEY}"\n',
                   encoding="utf-8")
    assert main(["smoke", "--env-file", str(env)]) == 0
    assert f"{deployed_like_azure}/tool/search_catalog" in capsys.readouterr().out


def test_the_environment_overrides_the_env_file(deployed_like_azure, tmp_path, monkeypatch):
    env = tmp_path / ".env"
    env.write_text(f'TOOL_BASE_URL="{deployed_like_azure}"\nFUNC_KEY="stale-key"\n', encoding="utf-8")
    monkeypatch.setenv("FUNC_KEY", TOOL_KEY)  # how the hook passes the key: never on the command line
    assert main(["smoke", "--env-file", str(env)]) == 0


def test_a_wrong_key_fails_with_the_tool_endpoints_answer(deployed_like_azure, tmp_path, capsys):
    code = main(["smoke", "--base-url", deployed_like_azure, "--tool-key", "wrong",
                 "--env-file", str(tmp_path / "none.env")])
    err = capsys.readouterr().err
    assert code == 1
    assert "smoke test FAILED" in err and "tool endpoint is not ready" in err and "answered 401" in err


def test_nothing_listening_fails_without_wait(tmp_path, capsys):
    url = f"http://127.0.0.1:{free_port()}"
    assert main(["smoke", "--base-url", url, "--tool-key", TOOL_KEY, "--env-file", str(tmp_path / "n.env")]) == 1
    assert "smoke test FAILED" in capsys.readouterr().err


@pytest.mark.slow
def test_waits_for_an_app_that_is_still_starting(tmp_path, capsys):
    port = free_port()
    stop = threading.Event()

    def start_late() -> None:
        time.sleep(1.0)
        app = make_app(tool_auth_disabled=False, tool_api_key=SecretStr(TOOL_KEY), score_auth_disabled=True)
        with serve(app, port=port):
            stop.wait(30)

    thread = threading.Thread(target=start_late, daemon=True)
    thread.start()
    try:
        code = main(["smoke", "--base-url", f"http://127.0.0.1:{port}", "--tool-key", TOOL_KEY, "--wait", "30",
                     "--env-file", str(tmp_path / "none.env")])
    finally:
        stop.set()
        thread.join(30)
    captured = capsys.readouterr()
    assert code == 0, captured.err
    assert "not ready yet" in captured.err and "smoke test passed" in captured.out


def test_no_url_is_a_settings_error(tmp_path, capsys):
    assert main(["smoke", "--env-file", str(tmp_path / "none.env")]) == 2
    assert "no tool base URL" in capsys.readouterr().err
    assert main(["smoke", "--base-url", "example.org", "--env-file", str(tmp_path / "none.env")]) == 2
    assert "must start with https://" in capsys.readouterr().err
