"""Small statistics helpers shared by the benchmarks."""

from __future__ import annotations

import statistics

from rftkit.rollouts.stats import percentile


def percentiles(values: list[float], digits: int = 4) -> dict[str, float]:
    """p50/p90/p99 (interpolated: `rftkit.rollouts.stats.percentile`), max and mean; zeros for no values."""
    if not values:
        return {"p50": 0.0, "p90": 0.0, "p99": 0.0, "max": 0.0, "mean": 0.0}
    summary = {f"p{q}": percentile(values, q) for q in (50, 90, 99)}
    summary.update(max=max(values), mean=statistics.fmean(values))
    return {key: round(value, digits) for key, value in summary.items()}


def ratio(numerator: float | None, denominator: float | None, digits: int = 3) -> float | None:
    if numerator is None or not denominator:
        return None
    return round(numerator / denominator, digits)
