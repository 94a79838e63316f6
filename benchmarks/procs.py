"""Server processes for the benchmarks: uvicorn (one worker) on 127.0.0.1, and Azurite; RSS and CPU from /proc."""

from __future__ import annotations

import os
import resource
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from rftkit.util.servers import spawn_uvicorn, stop_process, wait_until_serving

REPO = Path(__file__).resolve().parent.parent
NOFILE = 65_536  # 1,024 connections need more than the usual soft limit of 1,024 descriptors


def tcp_retransmits() -> int:
    """The host's count of retransmitted TCP segments (/proc/net/snmp): on loopback each one is a request delayed
    by at least one retransmission timeout (200 ms), whichever server answered it."""
    lines = Path("/proc/net/snmp").read_text().splitlines()
    for header, values in zip(lines[::2], lines[1::2], strict=False):
        if header.startswith("Tcp:"):
            return int(dict(zip(header.split()[1:], values.split()[1:], strict=True))["RetransSegs"])
    return 0


def raise_nofile() -> None:
    """preexec_fn for children: lift the open-files soft limit as far as the hard limit allows."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = NOFILE if hard == resource.RLIM_INFINITY else min(NOFILE, hard)
    if soft < want:
        resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))


def free_port() -> int:
    """A free loopback port for Azurite (a Node program: it cannot take a pre-bound socket, so it binds this one)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_port(port: int, process: subprocess.Popen, timeout: float, log: Path | None = None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode}: {tail(log)}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"nothing listened on 127.0.0.1:{port} within {timeout:g} s")


def tail(log: Path | None, chars: int = 2000) -> str:
    if log is None or not log.exists():
        return ""
    return log.read_text(encoding="utf-8", errors="replace")[-chars:]


def app_env(**extra: str) -> dict[str, str]:
    """Environment of a served app: auth off (as the public sample deploys it), quiet logs, importable packages."""
    env = {**os.environ, "TOOL_AUTH_DISABLED": "true", "SCORE_AUTH_DISABLED": "true", "LOG_LEVEL": "WARNING",
           "PYTHONPATH": os.pathsep.join([str(REPO / "function_app"), str(REPO)])}
    env.update(extra)
    return env


@dataclass
class Server:
    process: subprocess.Popen
    url: str
    log: Path | None = None

    @property
    def pid(self) -> int:
        return self.process.pid

    def rss_kib(self) -> tuple[int, int]:
        """(current RSS, peak RSS) of the server process in KiB, from /proc/<pid>/status."""
        fields = {}
        for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
            key, _, value = line.partition(":")
            if key in ("VmRSS", "VmHWM"):
                fields[key] = int(value.split()[0])
        return fields["VmRSS"], fields["VmHWM"]

    def wait_idle(self, quiet_s: float = 0.3, timeout: float = 60.0) -> None:
        """Wait until the server stops using CPU: after wrk exits it still answers (and logs) the requests that
        were in flight, which must not leak into the next measurement."""
        deadline = time.monotonic() + timeout
        last = self.cpu_seconds()
        while time.monotonic() < deadline:
            time.sleep(quiet_s)
            now = self.cpu_seconds()
            if now - last < quiet_s * 0.05:
                return
            last = now

    def cpu_seconds(self) -> float:
        """User + system CPU time used so far (clock ticks from /proc/<pid>/stat)."""
        stat = Path(f"/proc/{self.pid}/stat").read_text()
        after_name = stat.rsplit(")", 1)[1].split()
        return (int(after_name[11]) + int(after_name[12])) / os.sysconf("SC_CLK_TCK")


@contextmanager
def uvicorn_server(app: str, app_dir: Path, env: dict[str, str], access_log: bool = False,
                   timeout: float = 120.0) -> Iterator[Server]:
    """`python -m uvicorn APP --app-dir DIR` (one worker) on a loopback socket bound before it starts
    (`rftkit.util.servers.spawn_uvicorn`); ready once it answers HTTP."""
    args = ["--log-level", "warning", *([] if access_log else ["--no-access-log"])]
    # Output goes to a file, not a pipe: a full pipe would stall the server mid-run.
    with tempfile.NamedTemporaryFile("w+", prefix="bench-uvicorn-", suffix=".log", delete=False) as log_file:
        log = Path(log_file.name)
        process, url = spawn_uvicorn(app, app_dir, env=env, extra_args=args, cwd=REPO, output=log_file,
                                     preexec_fn=raise_nofile)
    try:
        wait_until_serving(url, process, timeout, lambda: tail(log))
        yield Server(process, url, log)
    finally:
        stop_process(process)
        log.unlink(missing_ok=True)


def post(url: str, body: bytes, timeout: float = 30.0) -> tuple[int, bytes]:
    request = urllib.request.Request(url, data=body, headers={"Content-Type": "application/json"}, method="POST")
    with urllib.request.urlopen(request, timeout=timeout) as response:
        return response.status, response.read()


# Azurite's well-known development account (public, documented by Microsoft; not a secret).
AZURITE_ACCOUNT = "devstoreaccount1"
AZURITE_KEY = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="


def azurite_binary() -> str | None:
    candidates = [os.environ.get("AZURITE_TABLE_BIN"), str(REPO / ".tools" / "node_modules" / ".bin" / "azurite-table"),
                  shutil.which("azurite-table")]
    return next((c for c in candidates if c and Path(c).exists()), None)


@contextmanager
def azurite_table(location: Path, timeout: float = 30.0) -> Iterator[str]:
    """Azurite's table service on a free loopback port; yields the connection string."""
    binary = azurite_binary()
    if binary is None:
        raise RuntimeError("Azurite is not installed: `npm install --prefix .tools azurite` (as .ci/run does)")
    port = free_port()
    log = location / "azurite.log"
    with log.open("w") as out:
        process = subprocess.Popen([binary, "--tableHost", "127.0.0.1", "--tablePort", str(port), "--location",
                                    str(location), "--disableTelemetry", "--skipApiVersionCheck", "--silent"],
                                   stdout=out, stderr=subprocess.STDOUT, preexec_fn=raise_nofile)
    try:
        wait_for_port(port, process, timeout, log)
        yield (f"DefaultEndpointsProtocol=http;AccountName={AZURITE_ACCOUNT};AccountKey={AZURITE_KEY};"
               f"TableEndpoint=http://127.0.0.1:{port}/{AZURITE_ACCOUNT};")
    finally:
        stop_process(process, signal.SIGINT)
