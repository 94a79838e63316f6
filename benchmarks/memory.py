"""5. Memory under a long burst: the app's RSS while it answers `memory_requests` tool calls, each with its own
trace_id, with the in-memory trace store bounded by TRACE_MAX_TRACES — against the bare baseline driven the same
way. RSS is sampled between wrk segments; VmHWM is the kernel's peak."""

from __future__ import annotations

import json
import urllib.request
from pathlib import Path
from typing import Any

from .burst import APP, BARE, TOOL_PATH
from .procs import Server, app_env, uvicorn_server
from .profiles import Profile
from .stats import ratio
from .wrk import run_wrk, trace_id

CONNECTIONS = 256


def drive(server: Server, script: Path, total: int, connections: int) -> dict[str, Any]:
    """wrk in segments until `total` requests were answered; RSS after each segment. Every request has its own
    trace_id (wrk runs are numbered into the ids)."""
    rss, peak = server.rss_kib()
    samples = [{"requests": 0, "rss_kib": rss, "peak_kib": peak}]
    sent, errors, segment_s = 0, 0, 2.0
    runs: list[tuple[int, int]] = []  # (wrk run number, requests answered)
    while sent < total:
        result = run_wrk(server.url + TOOL_PATH, script, connections, segment_s)
        runs.append((result.run, result.requests))
        server.wait_idle()
        sent += result.requests
        errors += result.non_2xx + result.socket_errors
        rss, peak = server.rss_kib()
        samples.append({"requests": sent, "rss_kib": rss, "peak_kib": peak})
        rate = result.requests / max(result.duration_s, 1e-6)
        segment_s = max(1.0, min(8.0, (total - sent) / max(rate, 1.0)))
    return {"requests": sent, "errors": errors, "samples": samples, "start_rss_kib": samples[0]["rss_kib"],
            "end_rss_kib": rss, "peak_rss_kib": peak, "runs": runs}


def _recorded_calls(server: Server, trace: str) -> int:
    with urllib.request.urlopen(f"{server.url}/traces/{trace}", timeout=30) as response:
        return len(json.loads(response.read())["calls"])


def eviction_check(server: Server, runs: list[tuple[int, int]], bound: int) -> dict[str, Any]:
    """The oldest trace of the burst must be gone (evicted by the bound) and a recent one still there. Request
    numbers start at 2: wrk calls the script's request() once before it sends anything."""
    oldest = trace_id(runs[0][0], 2)
    last_run, last_requests = runs[-1]
    recent = trace_id(last_run, max(2, last_requests - bound // 4))  # well inside the newest `bound` traces
    return {"oldest_trace": oldest, "oldest_trace_calls": _recorded_calls(server, oldest),
            "recent_trace": recent, "recent_trace_calls": _recorded_calls(server, recent)}


def _growth_after(samples: list[dict[str, Any]], requests: int) -> int | None:
    """RSS growth from the first sample at or past `requests` to the end."""
    later = [s for s in samples if s["requests"] >= requests]
    return later[-1]["rss_kib"] - later[0]["rss_kib"] if len(later) >= 2 else None


def run(profile: Profile, script: Path, body_bytes: int) -> dict[str, Any]:
    bound = profile.memory_max_traces
    env = app_env(TRACE_MAX_TRACES=str(bound))
    with uvicorn_server(*APP, env=env) as app:
        real = drive(app, script, profile.memory_requests, CONNECTIONS)
        evicted = eviction_check(app, real["runs"], bound)
    with uvicorn_server(*BARE, env=app_env(BENCH_BODY_BYTES=str(body_bytes))) as bare:
        base = drive(bare, script, profile.memory_requests, CONNECTIONS)
    return {"trace_max_traces": bound, "connections": CONNECTIONS, "app": real, "baseline": base,
            "peak_ratio": ratio(real["peak_rss_kib"], base["peak_rss_kib"], 2),
            "app_growth_after_2x_bound_kib": _growth_after(real["samples"], 2 * bound),
            "baseline_growth_after_2x_bound_kib": _growth_after(base["samples"], 2 * bound),
            "bound_holds": evicted["oldest_trace_calls"] == 0 and evicted["recent_trace_calls"] >= 1,
            "eviction_check": evicted}
