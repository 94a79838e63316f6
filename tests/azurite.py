"""Azurite (the Azure Storage emulator, npm package `azurite`) for the table-store tests.

Started on a free loopback port with a temporary data folder and telemetry off. `.ci/run` installs it
into `.tools/`; in CI (CI=true) a missing or failing Azurite is an error, never a skip.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path

import pytest

from tests.support import free_port

REPO = Path(__file__).resolve().parent.parent
# Marks for a test case that needs Azurite (a test that takes the `azurite` fixture carries them itself).
AZURITE_MARKS = [pytest.mark.slow, pytest.mark.integration]
ACCOUNT = "devstoreaccount1"
# Azurite's well-known development account key (public, documented by Microsoft; not a secret).
ACCOUNT_KEY = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="


def azurite_binary() -> str | None:
    candidates = [os.environ.get("AZURITE_TABLE_BIN"), str(REPO / ".tools" / "node_modules" / ".bin" / "azurite-table"),
                  shutil.which("azurite-table")]
    return next((c for c in candidates if c and Path(c).exists()), None)


class Azurite:
    """One Azurite table service; `stop()` and `start()` again on the same port and data (outage tests)."""

    def __init__(self, binary: str, location: Path):
        self.binary, self.location = binary, location
        self.port = free_port()
        self.process: subprocess.Popen | None = None

    @property
    def connection_string(self) -> str:
        return (f"DefaultEndpointsProtocol=http;AccountName={ACCOUNT};AccountKey={ACCOUNT_KEY};"
                f"TableEndpoint=http://127.0.0.1:{self.port}/{ACCOUNT};")

    def start(self, timeout: float = 30.0) -> None:
        self.process = subprocess.Popen(
            [self.binary, "--tableHost", "127.0.0.1", "--tablePort", str(self.port), "--location",
             str(self.location), "--disableTelemetry", "--skipApiVersionCheck", "--silent"],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"Azurite exited: {self.process.stdout.read() if self.process.stdout else ''}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    return
            except OSError:
                time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"Azurite did not listen on 127.0.0.1:{self.port} within {timeout}s")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)  # Azurite saves its data on SIGINT, as after Ctrl+C
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)
        self.process = None


def start_azurite(location: Path) -> Azurite:
    binary = azurite_binary()
    if binary is None:
        message = ("Azurite (npm package azurite) is not installed: run `npm install --prefix .tools azurite` "
                   "(or `bash .ci/run`, which installs the pinned version)")
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    azurite = Azurite(binary, location)
    try:
        azurite.start()
    except RuntimeError as exc:
        pytest.fail(str(exc))
    return azurite
