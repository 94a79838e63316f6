"""The regression check: this run's request-rate ratios against the recorded ones, level by level."""

from __future__ import annotations

from benchmarks.recorded import RECORDED, compare, ratios, read_recorded, render


def run_with(levels: dict[str, dict[int, float]], date: str = "2026-12-01 00:00 UTC") -> dict:
    return {"meta": {"date": date}, "burst": {"endpoints": {
        path: {"levels": [{"connections": c, "rps_ratio": r} for c, r in by_level.items()]}
        for path, by_level in levels.items()}}}


def test_a_ratio_more_than_ten_percent_below_the_recorded_one_is_a_regression():
    recorded = run_with({"/tool/search_catalog": {50: 0.30, 256: 0.32}, "/score": {50: 0.50}})
    now = run_with({"/tool/search_catalog": {50: 0.28}, "/score": {50: 0.44, 1024: 0.9}})
    rows = compare(now, recorded)
    assert [(r["endpoint"], r["connections"], r["regressed"]) for r in rows] == [
        ("/score", 50, True), ("/tool/search_catalog", 50, False)]  # -12 % and -6.7 %; 256 and 1024 not in both
    text = "\n".join(render(rows, recorded))
    assert "tool @   50 connections: 0.280 (recorded 0.300, -7%)  ok" in text
    assert "/score @   50 connections: 0.440 (recorded 0.500, -12%)  REGRESSED" in text


def test_no_common_level_says_so():
    recorded = run_with({"/score": {256: 0.5}})
    assert render(compare(run_with({"/score": {50: 0.5}}), recorded), recorded) == [
        "no burst level in common with the recorded results (2026-12-01 00:00 UTC): nothing to compare"]


def test_the_recorded_results_have_levels_a_quick_run_measures():
    recorded = read_recorded(RECORDED)
    assert recorded is not None and recorded["meta"]["profile"] == "full"
    levels = {c for _, c in ratios(recorded)}
    assert 50 in levels  # --quick measures at 50 connections only
