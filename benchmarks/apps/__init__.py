"""Baseline apps the benchmarks measure the real app against."""
