"""Benchmarks of the tool and grader service: `python -m benchmarks` (see RESULTS.md for the latest figures)."""
