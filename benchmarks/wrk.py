"""Driving an endpoint with wrk: a Lua script that cycles through real request bodies, stamps each request with
its own trace_id / call_id, and prints the run's figures as one JSON line from wrk's `done` hook."""

from __future__ import annotations

import itertools
import json
import os
import shutil
import subprocess
from dataclasses import asdict, dataclass
from pathlib import Path

from .procs import raise_nofile
from .workload import CALL_MARK, TRACE_MARK

RESULT_PREFIX = "WRK_JSON "

_LUA_DONE = r"""
function done(summary, latency, requests)
  local e = summary.errors
  local p = function(q) return latency:percentile(q) / 1000.0 end
  io.write(string.format(
    '%s{"requests":%d,"duration_s":%.6f,"bytes":%d,"connect_errors":%d,"read_errors":%d,"write_errors":%d,' ..
    '"timeouts":%d,"non_2xx":%d,"p50_ms":%.3f,"p90_ms":%.3f,"p99_ms":%.3f,"max_ms":%.3f,"mean_ms":%.3f}\n',
    "RESULT_PREFIX", summary.requests, summary.duration / 1e6, summary.bytes, e.connect, e.read, e.write,
    e.timeout, e.status, p(50), p(90), p(99), latency.max / 1000.0, latency.mean / 1000.0))
end
"""

_LUA_REQUEST = r"""
local threads = {}
local next_tid = 0
function setup(thread)
  next_tid = next_tid + 1
  thread:set("tid", next_tid)
  table.insert(threads, thread)
end

local counter = 0
local run = 0
local headers = {["Content-Type"] = "application/json"}
function init(args)
  run = tonumber(args[1]) or 0  -- a new number per wrk run: ids never repeat across runs
end
function request()
  counter = counter + 1
  local parts = bodies[(counter % #bodies) + 1]
  local trace = string.format("trace_%08x-%04x-4000-8000-%012x", tid, run, counter)
  local call = string.format("%08x%04x%012x", tid, run, counter)
  local body = parts[1]
  for i = 2, #parts, 2 do
    body = body .. (parts[i] == "T" and trace or call) .. parts[i + 1]
  end
  return wrk.format("POST", path, headers, body)
end
"""


class WrkMissing(RuntimeError):
    pass


def ensure_wrk() -> str:
    """Path of wrk; installed with apt when missing and running as root (CI), else a clear error."""
    found = shutil.which("wrk")
    if found:
        return found
    if hasattr(os, "geteuid") and os.geteuid() == 0 and shutil.which("apt-get"):
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        for cmd in (["apt-get", "update", "-qq"], ["apt-get", "install", "-y", "-qq", "wrk"]):
            done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=600)
            if done.returncode != 0:
                raise WrkMissing(f"`{' '.join(cmd)}` failed: {done.stderr.strip()[-500:]}")
        found = shutil.which("wrk")
        if found:
            return found
    raise WrkMissing("wrk is not installed and cannot be installed here: run `sudo apt-get install -y wrk` "
                     "(Debian/Ubuntu) or put a wrk binary on PATH, then rerun `python -m benchmarks`")


def _lua_string(text: str) -> str:
    level = 0
    while f"]{'=' * level}]" in text:
        level += 1
    eq = "=" * level
    return f"[{eq}[{text}]{eq}]"  # long brackets: no escaping; a leading newline would be dropped, JSON has none


def _split(body: str) -> list[str]:
    """Body -> [text, "T"|"C", text, ...] around the id markers."""
    parts: list[str] = []
    rest = body
    while True:
        positions = [(rest.find(m), m) for m in (TRACE_MARK, CALL_MARK) if rest.find(m) >= 0]
        if not positions:
            parts.append(rest)
            return parts
        index, mark = min(positions)
        parts.extend([rest[:index], "T" if mark == TRACE_MARK else "C"])
        rest = rest[index + len(mark):]


def write_script(path: Path, url_path: str, bodies: list[str]) -> Path:
    lines = [f"path = {_lua_string(url_path)}", "bodies = {"]
    for body in bodies:
        lines.append("  {" + ", ".join(_lua_string(p) for p in _split(body)) + "},")
    lines.append("}")
    path.write_text("\n".join(lines) + _LUA_REQUEST + _LUA_DONE.replace("RESULT_PREFIX", RESULT_PREFIX),
                    encoding="utf-8")
    return path


@dataclass
class WrkResult:
    run: int
    connections: int
    requests: int
    duration_s: float
    requests_per_s: float
    p50_ms: float
    p90_ms: float
    p99_ms: float
    max_ms: float
    mean_ms: float
    non_2xx: int
    socket_errors: int
    connect_errors: int
    read_errors: int
    write_errors: int
    timeouts: int
    bytes: int

    def as_dict(self) -> dict:
        return asdict(self)


_RUNS = itertools.count(1)


def trace_id(run: int, counter: int, thread: int = 1) -> str:
    """The trace_id the script gives request number `counter` of wrk run `run` (the first one sent is number 2)."""
    return f"trace_{thread:08x}-{run:04x}-4000-8000-{counter:012x}"


def run_wrk(url: str, script: Path, connections: int, duration_s: float, threads: int = 1,
            timeout_s: float = 10.0) -> WrkResult:
    """One wrk run; wrk's own socket/timeout/status counters are reported, not hidden."""
    run = next(_RUNS) % 0x10000
    seconds = max(1, round(duration_s))  # wrk takes whole seconds
    cmd = [ensure_wrk(), f"-t{min(threads, connections)}", f"-c{connections}", f"-d{seconds}s",
           f"--timeout={timeout_s:g}s", "--latency", "-s", str(script), url, "--", str(run)]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=duration_s + timeout_s + 60,
                          preexec_fn=raise_nofile)
    line = next((ln for ln in done.stdout.splitlines() if ln.startswith(RESULT_PREFIX)), None)
    if done.returncode != 0 or line is None:
        raise RuntimeError(f"wrk failed ({done.returncode}): {done.stderr.strip()[-800:]}\n{done.stdout[-800:]}")
    raw = json.loads(line[len(RESULT_PREFIX):])
    socket_errors = raw["connect_errors"] + raw["read_errors"] + raw["write_errors"] + raw["timeouts"]
    return WrkResult(run=run, connections=connections, requests=raw["requests"], duration_s=raw["duration_s"],
                     requests_per_s=round(raw["requests"] / raw["duration_s"], 1), p50_ms=raw["p50_ms"],
                     p90_ms=raw["p90_ms"], p99_ms=raw["p99_ms"], max_ms=raw["max_ms"], mean_ms=raw["mean_ms"],
                     non_2xx=raw["non_2xx"], socket_errors=socket_errors, connect_errors=raw["connect_errors"],
                     read_errors=raw["read_errors"], write_errors=raw["write_errors"], timeouts=raw["timeouts"],
                     bytes=raw["bytes"])
