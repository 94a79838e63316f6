"""The one percentile definition (reports and benchmarks): linear interpolation between the closest ranks."""

from __future__ import annotations

import pytest

from benchmarks.stats import percentiles
from rftkit.rollouts.stats import latency_summary, percentile


def test_percentile_interpolates_between_ranks():
    values = [4.0, 1.0, 3.0, 2.0]
    assert percentile(values, 50) == 2.5
    assert percentile(values, 99) == pytest.approx(3.97)  # nearest rank would say 4
    assert (percentile(values, 0), percentile(values, 100)) == (1.0, 4.0)
    assert percentile([7.0], 99) == 7.0 and percentile([], 50) is None
    with pytest.raises(ValueError, match="integer percentile"):
        percentile(values, 99.5)  # type: ignore[arg-type]


def test_reports_and_benchmarks_use_the_same_definition():
    values = [float(v) for v in range(1, 11)]
    assert latency_summary(values)["p99"] == percentiles(values)["p99"] == 9.91
    assert percentiles(values)["p50"] == 5.5 and percentiles([])["p99"] == 0.0
