"""Small statistics helpers shared by the benchmarks."""

from __future__ import annotations

import math
import statistics


def quantile(sorted_values: list[float], q: float) -> float:
    """Nearest-rank quantile of already sorted values (q in [0, 1])."""
    if not sorted_values:
        return 0.0
    index = min(len(sorted_values) - 1, max(0, math.ceil(q * len(sorted_values)) - 1))
    return sorted_values[index]


def percentiles(values: list[float], digits: int = 4) -> dict[str, float]:
    ordered = sorted(values)
    return {"p50": round(quantile(ordered, 0.50), digits), "p90": round(quantile(ordered, 0.90), digits),
            "p99": round(quantile(ordered, 0.99), digits), "max": round(ordered[-1], digits) if ordered else 0.0,
            "mean": round(statistics.fmean(ordered), digits) if ordered else 0.0}


def ratio(numerator: float | None, denominator: float | None, digits: int = 3) -> float | None:
    if numerator is None or not denominator:
        return None
    return round(numerator / denominator, digits)
