"""The issue's targets, checked against one run's figures. A target whose figure was not measured (e.g. `--quick`
has no 256-connection level) says so instead of passing."""

from __future__ import annotations

from typing import Any

TOOL, SCORE = "/tool/search_catalog", "/score"


def _level(results: dict[str, Any], path: str, connections: int) -> dict[str, Any] | None:
    levels = results.get("burst", {}).get("endpoints", {}).get(path, {}).get("levels", [])
    return next((lv for lv in levels if lv["connections"] == connections), None)


def _target(name: str, wanted: str, value: Any, met: bool | None) -> dict[str, Any]:
    return {"target": name, "wanted": wanted, "measured": value, "met": met}


def evaluate(results: dict[str, Any]) -> list[dict[str, Any]]:
    out = []
    tool = _level(results, TOOL, 256)
    out.append(_target("tool req/s vs bare baseline, 256 connections", ">= 0.6x",
                       tool and tool["rps_ratio"], None if tool is None else tool["rps_ratio"] >= 0.6))
    out.append(_target("tool p99 latency, 256 connections", "<= 100 ms", tool and tool["app"]["p99_ms"],
                       None if tool is None else tool["app"]["p99_ms"] <= 100.0))
    score = _level(results, SCORE, 256)
    out.append(_target("/score req/s vs bare baseline, 256 connections", ">= 0.7x", score and score["rps_ratio"],
                       None if score is None else score["rps_ratio"] >= 0.7))
    endpoints = results.get("burst", {}).get("endpoints", {})
    if endpoints:
        errors = {f"{path} @{lv['connections']}": lv["app"]["errors"] for path, e in endpoints.items()
                  for lv in e["levels"]}
        levels = sorted({lv["connections"] for e in endpoints.values() for lv in e["levels"]})
        total = sum(errors.values())
        met = False if total else (True if 1024 in levels else None)  # None: the 1,024 level was not run
        out.append(_target(f"zero errors (non-2xx + socket), both endpoints, at {', '.join(map(str, levels))} "
                           "connections", "0", total, met))
    else:
        out.append(_target("zero errors at every level", "0", None, None))
    sizes = {s["products"]: s for s in results.get("search", {}).get("sizes", [])}
    big = sizes.get(100_000)
    out.append(_target("100k-product search p50", "<= 1 ms", big and big["index_query_ms"]["p50"],
                       None if big is None else big["index_query_ms"]["p50"] <= 1.0))
    out.append(_target("100k-product search vs linear scan (p50, same queries)", ">= 50x faster",
                       big and big["speedup_p50"], None if big is None else (big["speedup_p50"] or 0) >= 50))
    imports = results.get("startup", {}).get("import_ms")
    out.append(_target("import time vs minimal FastAPI-in-AsgiFunctionApp", "<= 1.5x", imports and imports["ratio"],
                       None if imports is None else imports["ratio"] <= 1.5))
    return out
