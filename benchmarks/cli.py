"""`python -m benchmarks [--quick] [--out DIR] [--only SECTIONS]`: run the benchmarks, write RESULTS.md and
results.json (same figures), print the target verdicts and the request-rate ratios against the recorded ones.

The full run writes to benchmarks/ (the recorded figures); `--quick` writes to benchmarks/quick/ (git-ignored), so
a smoke run never replaces them."""

from __future__ import annotations

import argparse
import datetime
import json
import shlex
import sys
import tempfile
import time
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

from . import burst, dry_run, machine, memory, recorded, report, search_scale, startup, table_store, targets
from .profiles import FULL, QUICK, Profile
from .wrk import WrkMissing, ensure_wrk

HERE = Path(__file__).resolve().parent
SECTIONS = ("burst", "search", "startup", "dry_run", "table_store", "memory")


def _parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="tiny setting for a smoke test (under a minute)")
    parser.add_argument("--out", type=Path, help="folder for RESULTS.md and results.json (default: benchmarks/, "
                        "with --quick benchmarks/quick/)")
    parser.add_argument("--only", default=",".join(SECTIONS),
                        help=f"comma-separated sections to run (default: all of {','.join(SECTIONS)})")
    return parser.parse_args(argv)


def _section(results: dict[str, Any], name: str, fn: Callable[[], dict[str, Any]]) -> None:
    started = time.perf_counter()
    print(f"== {name}", flush=True)
    try:
        results[name] = fn()
    except Exception as exc:  # one failed section is reported; the others still run
        traceback.print_exc()
        results[name] = {"error": f"{type(exc).__name__}: {exc}"}
    print(f"   {time.perf_counter() - started:.1f} s", flush=True)


def run(profile: Profile, sections: list[str], workdir: Path) -> dict[str, Any]:
    results: dict[str, Any] = {}
    needs_wrk = {"burst", "table_store", "memory"} & set(sections)
    if needs_wrk:
        ensure_wrk()
    workload = burst.prepare(profile, workdir) if needs_wrk else None
    if "burst" in sections:
        _section(results, "burst", lambda: burst.run(profile, workload))
    if "search" in sections:
        _section(results, "search", lambda: search_scale.run(profile))
    if "startup" in sections:
        _section(results, "startup", lambda: startup.run(profile))
    if "dry_run" in sections:
        _section(results, "dry_run", lambda: dry_run.run(profile))
    if "table_store" in sections and profile.table_store:
        _section(results, "table_store", lambda: table_store.run(profile, workdir, workload.scripts[burst.TOOL_PATH]))
    if "memory" in sections:
        body_bytes = results.get("burst", {}).get("endpoints", {}).get(burst.TOOL_PATH, {}).get("baseline_body_bytes")
        _section(results, "memory", lambda: memory.run(profile, workload.scripts[burst.TOOL_PATH], body_bytes or 1600))
    return results


def main(argv: list[str] | None = None) -> int:
    args = _parse(argv)
    sections = [s.strip() for s in args.only.split(",") if s.strip()]
    unknown = set(sections) - set(SECTIONS)
    if unknown:
        print(f"unknown sections: {', '.join(sorted(unknown))}; choose from {', '.join(SECTIONS)}", file=sys.stderr)
        return 2
    profile = QUICK if args.quick else FULL
    out = args.out or (HERE / "quick" if args.quick else HERE)
    before = recorded.read_recorded()  # read first: a full run replaces it
    command = "python -m benchmarks" + ("" if argv is None and len(sys.argv) <= 1 else
                                        " " + shlex.join(sys.argv[1:] if argv is None else argv))
    meta: dict[str, Any] = {"date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
                            "command": command, "profile": profile.name, "machine": machine.describe()}
    started = time.perf_counter()
    try:
        with tempfile.TemporaryDirectory(prefix="benchmarks-") as tmp:
            results = run(profile, sections, Path(tmp))
    except WrkMissing as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    meta["duration_s"] = round(time.perf_counter() - started, 1)
    meta["load_average_at_end"] = machine.load_average()
    results = {"meta": meta, **results}
    results["targets"] = targets.evaluate(results)
    if before is not None:
        results["against_recorded"] = recorded.compare(results, before)
    out.mkdir(parents=True, exist_ok=True)
    (out / "results.json").write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    (out / "RESULTS.md").write_text(report.render(results), encoding="utf-8")
    for t in results["targets"]:
        verdict = {True: "met", False: "MISSED", None: "not measured"}[t["met"]]
        print(f"{verdict:>12}  {t['target']}: {t['measured']} (wanted {t['wanted']})")
    if before is not None:
        print("\n".join(recorded.render(results["against_recorded"], before)))
    print(f"wrote {out / 'RESULTS.md'} and {out / 'results.json'} in {meta['duration_s']:.0f} s")
    failed = [name for name in SECTIONS if isinstance(results.get(name), dict) and "error" in results[name]]
    if failed:
        print(f"sections that failed: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0
