"""This run's request-rate ratios against the recorded ones (`benchmarks/results.json`, the figures RESULTS.md
shows), at every connection level both measured: the regression check of `python -m benchmarks` and `--quick`.

Ratios, not request rates: each is the app over the bare baseline measured in the same run, so a faster or slower
machine moves both sides. A ratio more than `TOLERANCE` below the recorded one is a regression.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

RECORDED = Path(__file__).resolve().parent / "results.json"
TOLERANCE = 0.10
ENDPOINTS = {"/tool/search_catalog": "tool", "/score": "/score"}


def ratios(results: dict[str, Any]) -> dict[tuple[str, int], float]:
    """(endpoint, connections) -> app req/s over baseline req/s, for every burst level of a run."""
    endpoints = results.get("burst", {}).get("endpoints", {})
    return {(path, level["connections"]): level["rps_ratio"] for path, endpoint in endpoints.items()
            for level in endpoint.get("levels", []) if level.get("rps_ratio") is not None}


def compare(results: dict[str, Any], recorded: dict[str, Any]) -> list[dict[str, Any]]:
    """One row per level both runs measured: this run's ratio, the recorded one, the change, and the verdict."""
    now, then = ratios(results), ratios(recorded)
    rows = []
    for key in sorted(now.keys() & then.keys()):
        change = now[key] / then[key] - 1.0
        rows.append({"endpoint": key[0], "connections": key[1], "ratio": now[key], "recorded": then[key],
                     "change": round(change, 3), "regressed": change < -TOLERANCE})
    return rows


def read_recorded(path: Path = RECORDED) -> dict[str, Any] | None:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def render(rows: list[dict[str, Any]], recorded: dict[str, Any]) -> list[str]:
    when = recorded.get("meta", {}).get("date", "?")
    if not rows:
        return [f"no burst level in common with the recorded results ({when}): nothing to compare"]
    lines = [f"request-rate ratios (app / bare baseline) against the recorded results of {when}, "
             f"tolerance {TOLERANCE:.0%}:"]
    for row in rows:
        verdict = "REGRESSED" if row["regressed"] else "ok"
        lines.append(f"  {ENDPOINTS.get(row['endpoint'], row['endpoint']):>6} @ {row['connections']:>4} connections: "
                     f"{row['ratio']:.3f} (recorded {row['recorded']:.3f}, {row['change']:+.0%})  {verdict}")
    return lines
