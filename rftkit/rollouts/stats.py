"""Small statistics helpers for reports (no numpy needed)."""

from __future__ import annotations

import statistics
from collections.abc import Sequence


def percentile(values: Sequence[float], q: int) -> float | None:
    """The q-th percentile (an integer 0-100), the one definition used by the reports and the benchmarks.

    The "inclusive" method of `statistics.quantiles`: linear interpolation between the closest ranks, the same as
    numpy's default and Excel's PERCENTILE.INC (p0 is the minimum, p100 the maximum). None for no values.
    """
    if not values:
        return None
    if isinstance(q, bool) or not isinstance(q, int) or not 0 <= q <= 100:
        raise ValueError(f"q must be an integer percentile from 0 to 100, got {q!r}")
    if q in (0, 100) or len(values) == 1:
        return min(values) if q == 0 else max(values) if q == 100 else values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1]


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
