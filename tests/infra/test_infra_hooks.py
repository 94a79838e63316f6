"""The azd hooks as azd runs them (sh, from the repository root, with the azd environment exported), with a
scratch .env (RFTKIT_ENV_FILE), the app on uvicorn at 127.0.0.1 standing in for the deployed one, and a fake
`azd` on PATH for the key generation."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys

import pytest
from dotenv import dotenv_values
from pydantic import SecretStr

from tests.support import REPO_ROOT as REPO
from tests.support import make_app, serve

HOOKS = REPO / "infra" / "hooks"
KEY = "fedcba9876543210" * 4

pytestmark = pytest.mark.skipif(shutil.which("sh") is None, reason="needs a POSIX sh to run the hooks")

FAKE_AZD = """#!/bin/sh
# `azd env get-value NAME` / `azd env set NAME VALUE` over a file of NAME=VALUE lines.
case "$1 $2" in
  "env get-value")
    line="$(grep "^$3=" "$FAKE_AZD_STORE" 2>/dev/null | tail -n 1)"
    if [ -z "$line" ]; then echo "ERROR: key '$3' not found in the environment values"; exit 1; fi
    printf '%s\\n' "${line#*=}" ;;
  "env set") printf '%s=%s\\n' "$3" "$4" >> "$FAKE_AZD_STORE" ;;
  *) echo "unexpected: $*" >&2; exit 2 ;;
esac
"""


def run_hook(name: str, **env: str) -> subprocess.CompletedProcess[str]:
    environ = {key: value for key, value in os.environ.items()
               if key not in ("TOOL_BASE_URL", "FUNC_APP_NAME", "FUNC_KEY", "RG", "TOOL_API_KEY", "PYTHON")}
    environ["PYTHONPATH"] = os.pathsep.join([str(REPO / "function_app"), str(REPO), environ.get("PYTHONPATH", "")])
    environ["PYTHON"] = sys.executable
    environ.update(env)
    return subprocess.run(["sh", str(HOOKS / name)], cwd=REPO, env=environ, capture_output=True, text=True,
                          timeout=120, check=False)


def test_postprovision_writes_what_the_notebook_reads_and_keeps_the_rest(tmp_path):
    env_file = tmp_path / ".env"
    env_file.write_text('AZURE_OPENAI_ENDPOINT="https://mine.openai.azure.com"\nFUNC_APP_NAME="<placeholder>"\n'
                        '# a comment the user wrote\nFUNC_KEY="<functions-key>"\n', encoding="utf-8")
    host = "func-rft-abc-bxc4dkh8a0aaaaaa.swedencentral-01.azurewebsites.net"
    result = run_hook("postprovision.sh", RFTKIT_ENV_FILE=str(env_file), TOOL_BASE_URL=f"https://{host}",
                      FUNC_APP_NAME="func-rft-abc", AZURE_RESOURCE_GROUP="rg-dev", TOOL_API_KEY=KEY)
    assert result.returncode == 0, result.stderr
    assert KEY not in result.stdout + result.stderr
    values = dotenv_values(env_file)
    assert values == {"AZURE_OPENAI_ENDPOINT": "https://mine.openai.azure.com", "FUNC_APP_NAME": "func-rft-abc",
                      "FUNC_KEY": KEY, "TOOL_BASE_URL": f"https://{host}", "RG": "rg-dev"}
    assert "# a comment the user wrote\n" in env_file.read_text(encoding="utf-8")

    from rftkit.settings import load_settings

    settings = load_settings(env_file, environ={})  # what the notebook will use
    assert (settings.tool_base_url, settings.func_key) == (f"https://{host}", KEY)


def test_postprovision_refuses_to_run_without_the_outputs(tmp_path):
    result = run_hook("postprovision.sh", RFTKIT_ENV_FILE=str(tmp_path / ".env"), FUNC_APP_NAME="x",
                      AZURE_RESOURCE_GROUP="rg", TOOL_API_KEY=KEY)
    assert result.returncode != 0 and "TOOL_BASE_URL" in result.stderr
    assert not (tmp_path / ".env").exists()


@pytest.mark.slow
def test_postdeploy_smoke_tests_the_deployed_endpoints(tmp_path):
    app = make_app(tool_auth_disabled=False, tool_api_key=SecretStr(KEY), score_auth_disabled=True)
    with serve(app) as url:
        passed = run_hook("postdeploy.sh", RFTKIT_ENV_FILE=str(tmp_path / ".env"), TOOL_BASE_URL=url,
                          TOOL_API_KEY=KEY)
        failed = run_hook("postdeploy.sh", RFTKIT_ENV_FILE=str(tmp_path / ".env"), TOOL_BASE_URL=url,
                          TOOL_API_KEY="a-different-key-" * 3, SMOKE_WAIT_SECONDS="0")
    assert passed.returncode == 0, passed.stderr
    assert "smoke test passed" in passed.stdout and KEY not in passed.stdout + passed.stderr
    assert failed.returncode == 1 and "tool endpoint is not ready" in failed.stderr and "answered 401" in failed.stderr


@pytest.fixture()
def fake_azd(tmp_path):
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "azd").write_text(FAKE_AZD, encoding="utf-8")
    (bin_dir / "azd").chmod(0o755)
    store = tmp_path / "azd-env"
    store.touch()
    return {"PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}", "FAKE_AZD_STORE": str(store)}, store


def test_preprovision_generates_a_key_once(fake_azd):
    env, store = fake_azd
    first = run_hook("preprovision.sh", **env)
    assert first.returncode == 0, first.stderr
    lines = store.read_text(encoding="utf-8").splitlines()
    assert len(lines) == 1 and re.fullmatch(r"TOOL_API_KEY=[0-9a-f]{64}", lines[0])
    assert lines[0].split("=")[1] not in first.stdout  # the key is not printed
    second = run_hook("preprovision.sh", **env)
    assert second.returncode == 0, second.stderr
    assert store.read_text(encoding="utf-8").splitlines() == lines  # kept, not regenerated


def test_preprovision_keeps_a_users_key_and_refuses_a_short_one(fake_azd):
    env, store = fake_azd
    store.write_text(f"TOOL_API_KEY={KEY}\n", encoding="utf-8")
    assert run_hook("preprovision.sh", **env).returncode == 0
    assert store.read_text(encoding="utf-8") == f"TOOL_API_KEY={KEY}\n"
    store.write_text("TOOL_API_KEY=short\n", encoding="utf-8")
    result = run_hook("preprovision.sh", **env)
    assert result.returncode == 1 and "32 or more" in result.stderr
