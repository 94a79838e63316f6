"""1. Burst throughput and latency: the app under uvicorn (one worker) against a bare Starlette endpoint answering a
same-sized body, both driven by wrk with the service's real request bodies at each connection level."""

from __future__ import annotations

import json
import statistics
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from catalog_tools.config import SHIPPED_CATALOG
from catalog_tools.search import load_products

from .procs import REPO, Server, app_env, post, tcp_retransmits, uvicorn_server
from .profiles import Profile
from .workload import CALL_MARK, TRACE_MARK, argument_mix, rows, score_bodies, service_item, tool_bodies
from .wrk import WrkResult, run_wrk, write_script

APP = ("function_app:fastapi_app", REPO / "function_app")
BARE = ("bare_starlette:app", REPO / "benchmarks" / "apps")
TOOL_PATH, SCORE_PATH = "/tool/search_catalog", "/score"


def _fill(body: str, n: int) -> bytes:
    return body.replace(TRACE_MARK, f"trace_check-{n}").replace(CALL_MARK, f"check{n}").encode()


def check_responses(server: Server, path: str, bodies: list[str]) -> dict[str, Any]:
    """POST every body once: all must be 200; the response sizes set the baseline's body size."""
    sizes, tool_errors = [], 0
    for n, body in enumerate(bodies):
        status, payload = post(server.url + path, _fill(body, n))
        if status != 200:
            raise RuntimeError(f"{path} answered {status} to a benchmark body: {payload[:300]!r}")
        sizes.append(len(payload))
        if path == TOOL_PATH and '"error"' in json.loads(payload)["output"][:40]:
            tool_errors += 1
    return {"mean_response_bytes": round(statistics.fmean(sizes)), "max_response_bytes": max(sizes),
            "error_outputs": tool_errors, "bodies": len(bodies),
            "mean_request_bytes": round(statistics.fmean(len(b.encode()) for b in bodies))}


def measure(server: Server, path: str, script: Path, connections: int, profile: Profile) -> dict[str, Any]:
    """A warm-up run, then the measured run; adds the server's CPU time per request (less noisy than req/s)."""
    run_wrk(server.url + path, script, connections, profile.warmup_s)
    server.wait_idle()
    cpu_before, retransmits = server.cpu_seconds(), tcp_retransmits()
    result: WrkResult = run_wrk(server.url + path, script, connections, profile.duration_s)
    cpu = server.cpu_seconds() - cpu_before
    retransmits = tcp_retransmits() - retransmits
    server.wait_idle()
    figures = result.as_dict()
    figures["server_cpu_ms_per_request"] = round(cpu * 1000 / max(1, result.requests), 4)
    figures["errors"] = result.non_2xx + result.socket_errors
    figures["tcp_retransmits"] = retransmits
    return figures


MEDIAN_KEYS = ("requests_per_s", "p50_ms", "p90_ms", "p99_ms", "max_ms", "mean_ms", "server_cpu_ms_per_request")
SUM_KEYS = ("requests", "non_2xx", "socket_errors", "connect_errors", "read_errors", "write_errors", "timeouts",
            "errors", "bytes", "tcp_retransmits")


def combine(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """Several runs of one setting: the median of each rate and latency (a shared machine's hiccup in one run does
    not decide), the sum of requests and of every error count (an error in any run counts)."""
    out: dict[str, Any] = {"connections": runs[0]["connections"], "runs": len(runs)}
    out.update({k: round(statistics.median(r[k] for r in runs), 3) for k in MEDIAN_KEYS})
    out.update({k: sum(r[k] for r in runs) for k in SUM_KEYS})
    out["per_run"] = [{k: r[k] for k in ("requests_per_s", "p50_ms", "p99_ms", "max_ms", "errors", "tcp_retransmits")}
                      for r in runs]
    return out


def measure_level(app: Server, bare: Server, path: str, script: Path, connections: int,
                  profile: Profile) -> dict[str, Any]:
    """Baseline and app alternately, `profile.repeats` times each, at one connection level."""
    app_runs, base_runs = [], []
    for _ in range(profile.repeats):
        base_runs.append(measure(bare, path, script, connections, profile))
        app_runs.append(measure(app, path, script, connections, profile))
    real, base = combine(app_runs), combine(base_runs)
    return {"connections": connections, "app": real, "baseline": base,
            "rps_ratio": round(real["requests_per_s"] / base["requests_per_s"], 3) if base["requests_per_s"] else None,
            "p99_ratio": round(real["p99_ms"] / base["p99_ms"], 2) if base["p99_ms"] else None}


@dataclass
class Workload:
    bodies: dict[str, list[str]]
    scripts: dict[str, Path]


def prepare(profile: Profile, workdir: Path) -> Workload:
    """The request bodies (shipped catalog, dataset rows as items) and one wrk script per endpoint."""
    products = [p.model_dump() for p in load_products(SHIPPED_CATALOG)]
    items = [service_item(r) for r in rows()]
    bodies = {TOOL_PATH: tool_bodies(argument_mix(products, profile.bodies), items),
              SCORE_PATH: score_bodies(items, profile.bodies)}
    scripts = {path: write_script(workdir / f"burst{path.replace('/', '_')}.lua", path, b) for path, b in
               bodies.items()}
    return Workload(bodies, scripts)


def run(profile: Profile, workload: Workload) -> dict[str, Any]:
    out: dict[str, Any] = {"endpoints": {}}
    with uvicorn_server(*APP, env=app_env()) as app:
        checks = {path: check_responses(app, path, b) for path, b in workload.bodies.items()}
        for path in (TOOL_PATH, SCORE_PATH):
            size = checks[path]["mean_response_bytes"]
            with uvicorn_server(*BARE, env=app_env(BENCH_BODY_BYTES=str(size))) as bare:
                levels = [measure_level(app, bare, path, workload.scripts[path], connections, profile)
                          for connections in profile.connections]
                out["endpoints"][path] = {"bodies": checks[path], "baseline_body_bytes": size, "levels": levels}
        out["app_rss_kib_after"] = app.rss_kib()[0]
    # The same app with its default INFO logging (one JSON line per request) and uvicorn's access log: the cost.
    level = 256 if 256 in profile.connections else profile.connections[0]
    with uvicorn_server(*APP, env=app_env(LOG_LEVEL="INFO"), access_log=True) as logged:
        out["with_request_logging"] = {"connections": level, "path": TOOL_PATH,
                                       "app": combine([measure(logged, TOOL_PATH, workload.scripts[TOOL_PATH], level,
                                                               profile) for _ in range(profile.repeats)])}
    return out
