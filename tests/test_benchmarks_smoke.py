"""`python -m benchmarks --quick` runs end to end and writes parseable results to a temporary folder.

The benchmarks themselves do not run inside the test suite (their figures are not asserted here); this checks the
command, the wrk script, the servers and the report still work. It needs wrk (`apt-get install -y wrk`; the
benchmark installs it itself when it runs as root) and fails with that message otherwise.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
SECTIONS = ("burst", "search", "startup", "dry_run", "memory")


@pytest.mark.timeout(240)
def test_quick_benchmark_writes_results_that_parse(tmp_path: Path):
    committed = REPO / "benchmarks" / "results.json"
    committed_before = committed.stat().st_mtime_ns if committed.exists() else None
    done = subprocess.run([sys.executable, "-m", "benchmarks", "--quick", "--out", str(tmp_path)], cwd=REPO,
                          capture_output=True, text=True, timeout=230)
    assert done.returncode == 0, f"stdout:\n{done.stdout[-3000:]}\nstderr:\n{done.stderr[-3000:]}"

    results = json.loads((tmp_path / "results.json").read_text(encoding="utf-8"))
    assert results["meta"]["profile"] == "quick" and results["meta"]["command"].startswith("python -m benchmarks")
    assert results["meta"]["machine"]["nproc"] >= 1 and results["meta"]["machine"]["python"]
    for section in SECTIONS:
        assert section in results and "error" not in results[section], section

    tool = results["burst"]["endpoints"]["/tool/search_catalog"]["levels"][0]
    assert tool["app"]["requests"] > 0 and tool["baseline"]["requests"] > 0 and tool["rps_ratio"] > 0
    assert tool["app"]["errors"] == 0, tool
    assert results["search"]["sizes"][0]["scan"]["filter_only_totals_agree"] is True
    assert results["startup"]["import_ms"]["app"] > 0
    assert all(level["app"]["rollouts"] > 0 for level in results["dry_run"]["levels"])
    assert results["memory"]["app"]["requests"] > 0
    assert {t["met"] for t in results["targets"]} <= {True, False, None}

    report = (tmp_path / "RESULTS.md").read_text(encoding="utf-8")
    for heading in ("## Machine", "## Targets", "## 1. Burst", "## 2. Search at scale", "## 3. Start-up",
                    "## 4. Dry-run", "## 5. Memory", "## Method"):
        assert heading in report
    # --out keeps the committed results untouched.
    assert (committed.stat().st_mtime_ns if committed.exists() else None) == committed_before
