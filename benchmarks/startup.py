"""3. Start-up: what a cold Azure instance pays. In fresh interpreters, alternately: import time of the Functions
entry module and the first and second request through the real `AsgiFunctionApp` adapter, for `function_app`
and for a minimal FastAPI-in-AsgiFunctionApp app; plus `-X importtime`'s biggest contributors for the app, and
spawn-to-first-response under uvicorn."""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from rftkit.wire import TOOL_NAME, ToolRequest, tool_call_body

from .procs import REPO, app_env, post, uvicorn_server
from .profiles import Profile
from .stats import ratio

APP_DIR, MINIMAL_DIR = REPO / "function_app", REPO / "benchmarks" / "apps"
BODY = json.dumps(tool_call_body(ToolRequest(TOOL_NAME, json.dumps({"query": "warm jacket", "max_price": 200}),
                                             "call_1", "fc_1"), "trace_cold", {}))


def _probe(module: str, cwd: Path) -> dict[str, Any]:
    done = subprocess.run([sys.executable, "-m", "benchmarks.startup_probe", module, "/tool/search_catalog", BODY],
                          cwd=cwd, env=app_env(), capture_output=True, text=True, timeout=120)
    line = done.stdout.strip().splitlines()[-1] if done.stdout.strip() else ""
    if done.returncode != 0 or not line.startswith("{"):
        raise RuntimeError(f"start-up probe of {module} failed: {done.stderr[-1500:]}")
    result = json.loads(line)
    if result["statuses"] != [200, 200]:
        raise RuntimeError(f"start-up probe of {module} got {result['statuses']}")
    return result


def import_breakdown(top: int = 12) -> list[dict[str, Any]]:
    """`python -X importtime -c 'import function_app'`: the modules with the largest cumulative import time."""
    done = subprocess.run([sys.executable, "-X", "importtime", "-c", "import function_app"], cwd=APP_DIR,
                          env=app_env(), capture_output=True, text=True, timeout=120)
    rows = []
    for line in done.stderr.splitlines():
        parts = line[len("import time:"):].split("|")
        if not line.startswith("import time:") or len(parts) != 3 or not parts[0].strip().isdigit():
            continue
        name = parts[2][1:]  # after the separator's space, two spaces per nesting level
        rows.append({"module": name.strip(), "depth": (len(name) - len(name.lstrip(" "))) // 2,
                     "self_ms": int(parts[0]) / 1000, "cumulative_ms": int(parts[1]) / 1000})
    rows.sort(key=lambda r: -r["cumulative_ms"])
    return rows[:top]


def _spawn_to_first_response(app: str, app_dir: Path) -> float:
    start = time.perf_counter()
    with uvicorn_server(app, app_dir, env=app_env()) as server:
        status, _ = post(server.url + "/tool/search_catalog", BODY.encode())
        elapsed = time.perf_counter() - start
    if status != 200:
        raise RuntimeError(f"{app} answered {status}")
    return elapsed


def run(profile: Profile) -> dict[str, Any]:
    app_runs, minimal_runs = [], []
    for _ in range(profile.startup_repeats):  # interleaved: drift on a shared machine hits both alike
        app_runs.append(_probe("function_app", APP_DIR))
        minimal_runs.append(_probe("minimal_function_app", MINIMAL_DIR))

    def median(runs: list[dict[str, Any]], key: str, scale: float = 1.0) -> float:
        return round(statistics.median(r[key] for r in runs) * scale, 2)

    figures: dict[str, Any] = {"repeats": profile.startup_repeats}
    for key, label, scale in (("import_s", "import_ms", 1000.0), ("first_request_ms", "first_request_ms", 1.0),
                              ("second_request_ms", "second_request_ms", 1.0)):
        app_value, minimal_value = median(app_runs, key, scale), median(minimal_runs, key, scale)
        # Each app run is paired with the minimal run right after it; the median of those ratios is the verdict
        # (machine drift between pairs cancels out).
        paired = statistics.median(a[key] / m[key] for a, m in zip(app_runs, minimal_runs, strict=True) if m[key])
        figures[label] = {"app": app_value, "minimal": minimal_value, "ratio": round(paired, 2),
                          "ratio_of_medians": ratio(app_value, minimal_value, 2)}
    cold = {"app": round(figures["import_ms"]["app"] + figures["first_request_ms"]["app"], 1),
            "minimal": round(figures["import_ms"]["minimal"] + figures["first_request_ms"]["minimal"], 1)}
    cold["ratio"] = ratio(cold["app"], cold["minimal"], 2)
    figures["import_plus_first_request_ms"] = cold
    spawn_app = _spawn_to_first_response("function_app:fastapi_app", APP_DIR)
    spawn_minimal = _spawn_to_first_response("minimal_function_app:fastapi_app", MINIMAL_DIR)
    figures["uvicorn_spawn_to_first_response_ms"] = {
        "app": round(spawn_app * 1000, 1), "minimal": round(spawn_minimal * 1000, 1),
        "ratio": ratio(spawn_app, spawn_minimal, 2)}
    figures["app_import_breakdown"] = import_breakdown()
    return figures
