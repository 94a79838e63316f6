"""The Azure CLI + Core Tools sequence of docs/deploy.md works as written, and the README leads to it.

It runs verbatim under `bash -euo pipefail` in a scratch copy of the repository, with fake `az` and `func` on PATH:
`az` records the app settings it is given (and the storage connection `az functionapp create` would set, here an
Azurite), `func azure functionapp publish` "deploys" by starting the app from `function_app/` on 127.0.0.1 over
HTTPS with exactly those settings, and `az functionapp show` answers that address as the default host name. The
sequence's own last steps then write `.env` and smoke-test the endpoints with the generated key.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from dotenv import dotenv_values

from tests.markdown import anchors
from tests.support import REPO_ROOT as REPO
from tests.support import free_port

FAKE_AZ = r"""#!/bin/sh
echo "az $*" >> "$FAKE_LOG"
case "$1 $2" in
  "functionapp create") echo "AzureWebJobsStorage='$FAKE_STORAGE_CONNECTION'" >> "$FAKE_SETTINGS" ;;
  "functionapp config")
    collecting=0
    for arg in "$@"; do
      if [ "$collecting" = 1 ]; then
        case "$arg" in
          -*) collecting=0 ;;
          *) echo "${arg%%=*}='${arg#*=}'" >> "$FAKE_SETTINGS" ;;
        esac
      fi
      if [ "$arg" = "--settings" ]; then collecting=1; fi
    done ;;
  "functionapp show") echo "127.0.0.1:$FAKE_PORT" ;;
esac
exit 0
"""

FAKE_FUNC = r"""#!/bin/sh
echo "func $* (in $(basename "$(pwd)"))" >> "$FAKE_LOG"
[ "$1 $2 $3" = "azure functionapp publish" ] || exit 2
[ -f function_app.py ] || { echo "func: run me from function_app/" >&2; exit 1; }
set -a; . "$FAKE_SETTINGS"; set +a
python -m uvicorn function_app:fastapi_app --host 127.0.0.1 --port "$FAKE_PORT" --log-level warning \
  --ssl-keyfile "$FAKE_TLS_KEY" --ssl-certfile "$FAKE_TLS_CERT" > "$FAKE_APP_LOG" 2>&1 &
echo $! > "$FAKE_PID"
"""


DEPLOY_DOC = REPO / "docs" / "deploy.md"
SEQUENCE_LINK = "docs/deploy.md#path-2-azure-cli-and-core-tools"


def sequence_blocks(path: Path) -> list[str]:
    return [block for block in re.findall(r"```bash\n(.*?)```", path.read_text(encoding="utf-8"), re.DOTALL)
            if "func azure functionapp publish" in block]


def az_sequence(path: Path = DEPLOY_DOC) -> str:
    blocks = sequence_blocks(path)
    assert len(blocks) == 1, f"{path}: expected one Azure CLI + Core Tools sequence, found {len(blocks)}"
    return blocks[0]


def test_the_readme_links_the_one_sequence_instead_of_copying_it():
    # One copy, the one this file runs: a second copy in the README would drift from what is tested.
    readme = REPO / "README.md"
    assert sequence_blocks(readme) == [], "the README should link the sequence in docs/deploy.md, not copy it"
    assert f"]({SEQUENCE_LINK})" in readme.read_text(encoding="utf-8")
    doc = DEPLOY_DOC.read_text(encoding="utf-8")
    assert SEQUENCE_LINK.split("#")[1] in anchors(doc)
    section = doc.split("\n## Path 2: Azure CLI and Core Tools\n", 1)[1].split("\n## ", 1)[0]
    assert az_sequence() in section, "the link must land on the section that holds the sequence"


def test_the_sequence_never_assumes_the_default_host_name():
    sequence = az_sequence()
    assert "azurewebsites.net\"" not in sequence and ".azurewebsites.net/" not in sequence
    assert '--query defaultHostName -o tsv' in sequence
    assert 'FUNC_KEY="$TOOL_API_KEY"' in sequence


def _write_executable(path: Path, text: str) -> None:
    path.write_text(text, encoding="utf-8")
    path.chmod(0o755)


def _self_signed_certificate(directory: Path) -> tuple[Path, Path]:
    key, cert = directory / "key.pem", directory / "cert.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key), "-out",
                    str(cert), "-days", "1", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"],
                   check=True, capture_output=True, timeout=60)
    return key, cert


@pytest.mark.skipif(shutil.which("bash") is None or shutil.which("openssl") is None, reason="needs bash and openssl")
@pytest.mark.slow
@pytest.mark.integration
def test_the_sequence_runs_as_written(tmp_path, azurite):
    repo = tmp_path / "repo"  # a copy: the sequence writes .env next to rftkit/
    for part in ("rftkit", "function_app"):
        shutil.copytree(REPO / part, repo / part, ignore=shutil.ignore_patterns("__pycache__", "local.settings.json"))
    fake_bin = tmp_path / "bin"
    fake_bin.mkdir()
    _write_executable(fake_bin / "az", FAKE_AZ)
    _write_executable(fake_bin / "func", FAKE_FUNC)
    tls_key, tls_cert = _self_signed_certificate(tmp_path)
    log, settings, pid_file = tmp_path / "calls.log", tmp_path / "settings.sh", tmp_path / "app.pid"
    settings.touch()
    env = {key: value for key, value in os.environ.items()
           if key not in ("TOOL_BASE_URL", "FUNC_APP_NAME", "FUNC_KEY", "RG", "TOOL_API_KEY", "TRACE_STORE")}
    env.update({
        "PATH": os.pathsep.join([str(fake_bin), str(Path(sys.executable).parent), env.get("PATH", "")]),
        "PYTHONPATH": os.pathsep.join([str(repo / "function_app"), str(repo)]),
        "SSL_CERT_FILE": str(tls_cert),  # httpx trusts the fake deployment's certificate through it
        "FAKE_LOG": str(log), "FAKE_SETTINGS": str(settings), "FAKE_PID": str(pid_file),
        "FAKE_PORT": str(free_port()), "FAKE_TLS_KEY": str(tls_key), "FAKE_TLS_CERT": str(tls_cert),
        "FAKE_APP_LOG": str(tmp_path / "app.log"), "FAKE_STORAGE_CONNECTION": azurite.connection_string,
        "APPLICATIONINSIGHTS_STATSBEAT_DISABLED_ALL": "true", "OTEL_EXPERIMENTAL_RESOURCE_DETECTORS": "otel",
    })
    script = "set -euo pipefail\n" + az_sequence()
    try:
        result = subprocess.run(["bash", "-c", script], cwd=repo, env=env, capture_output=True, text=True,
                                timeout=240, check=False)
    finally:
        if pid_file.exists():
            os.kill(int(pid_file.read_text().strip()), signal.SIGTERM)
    app_log = (tmp_path / "app.log").read_text(encoding="utf-8") if (tmp_path / "app.log").exists() else ""
    assert result.returncode == 0, f"{result.stdout}\n{result.stderr}\napp:\n{app_log}"
    assert "smoke test passed" in result.stdout

    calls = log.read_text(encoding="utf-8")
    recorded = dotenv_values(settings)
    key = recorded["TOOL_API_KEY"]
    assert re.fullmatch(r"[0-9a-f]{64}", key)
    assert key not in result.stdout + result.stderr  # the key is never shown
    assert (recorded["SCORE_AUTH_DISABLED"], recorded["TRACE_STORE"]) == ("true", "table")

    written = dotenv_values(repo / ".env")
    assert written["TOOL_BASE_URL"] == f"https://127.0.0.1:{env['FAKE_PORT']}"
    assert written["FUNC_KEY"] == key  # the app's own key, as the jobs will send it
    assert re.fullmatch(r"func-rft-[0-9a-f]{8}", written["FUNC_APP_NAME"]) and written["RG"] == "rg-rft-tools"
    app, rg = written["FUNC_APP_NAME"], written["RG"]
    assert f"az functionapp create -n {app} -g {rg}" in calls
    assert f"az functionapp scale config set -g {rg} -n {app}" in calls
    assert f"az functionapp scale config always-ready set -g {rg} -n {app}" in calls
    assert f"func azure functionapp publish {app} (in function_app)" in calls
