"""`python -m rftkit compare BASE.jsonl TUNED.jsonl`: per-row reward and tool-use change between two episode files."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("compare", help="compare two dry-run episode files (base vs tuned), row by row",
                       description=__doc__)
    p.add_argument("base", type=Path, help="episodes of the base model (dry-run --episodes)")
    p.add_argument("tuned", type=Path, help="episodes of the tuned model, same rows")
    p.add_argument("--top", type=int, default=5, help="how many of the worst regressions to show")
    p.add_argument("--json", action="store_true", help="print the comparison as JSON")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from rftkit.rollouts import compare_files

    try:
        comparison = compare_files(args.base, args.tuned)
    except (OSError, ValueError) as exc:
        print(f"compare: {exc}", file=sys.stderr)
        return 2
    if not comparison.diffs:
        print("compare: no row is graded in both files (are they episodes of the same dataset?)", file=sys.stderr)
        return 2
    print(json.dumps(comparison.to_dict(args.top), indent=2, ensure_ascii=False) if args.json
          else comparison.render(args.top))
    return 0
