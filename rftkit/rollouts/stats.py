"""Small statistics helpers for reports (no numpy needed)."""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence


def percentile(values: Sequence[float], q: float) -> float | None:
    """The q-th percentile (0-100) with linear interpolation between closest ranks (numpy's default)."""
    if not values:
        return None
    ordered = sorted(values)
    position = (len(ordered) - 1) * q / 100.0
    low, high = math.floor(position), math.ceil(position)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def latency_summary(values: Sequence[float]) -> dict[str, float | int | None]:
    return {"n": len(values), "p50": _round(percentile(values, 50)), "p95": _round(percentile(values, 95)),
            "p99": _round(percentile(values, 99)), "max": _round(max(values) if values else None)}


def mean(values: Sequence[float]) -> float | None:
    return statistics.fmean(values) if values else None


def spread(values: Sequence[float]) -> float | None:
    """Population standard deviation: 0 when every sample of a row got the same reward."""
    return statistics.pstdev(values) if values else None


def _round(value: float | None, digits: int = 3) -> float | None:
    return None if value is None else round(value, digits)
