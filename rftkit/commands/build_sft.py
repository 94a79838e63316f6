"""`python -m rftkit build-sft EPISODES.jsonl --data ROWS.jsonl --out sft_train.jsonl`: good episodes -> chat
fine-tuning rows with tool calls (and a sidecar `<out>.provenance.jsonl` saying where each came from)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def register(sub: argparse._SubParsersAction) -> None:
    from rftkit.sft.build import DEFAULT_MAX_TOOL_OUTPUT_CHARS

    p = sub.add_parser("build-sft", help="build a supervised (chat + tool calls) set from labelled episodes",
                       description=__doc__)
    p.add_argument("episodes", type=Path, help="episodes JSONL (dry-run --episodes, optionally labelled)")
    p.add_argument("--data", type=Path, required=True, help="the dataset the episodes played (rows by id)")
    p.add_argument("--out", type=Path, required=True, help="the training file to write")
    p.add_argument("--min-reward", type=float, default=0.7, help="keep episodes at or above (label, else episode)")
    p.add_argument("--valid-out", type=Path, help="also write a validation file (split by row id)")
    p.add_argument("--valid-share", type=float, default=0.1, help="share of rows for validation")
    p.add_argument("--seed", type=int, default=0, help="seed of the split")
    p.add_argument("--max-tool-output-chars", type=int, default=DEFAULT_MAX_TOOL_OUTPUT_CHARS,
                   help="longer tool outputs are trimmed, with a visible marker")
    p.add_argument("--allow-no-tool", action="store_true",
                   help="keep right answers given without calling the row's tool (skipped by default)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from rftkit.sft.build import build_sft

    if not 0 <= args.valid_share < 1:
        print("build-sft: --valid-share must be in [0, 1)", file=sys.stderr)
        return 2
    try:
        report = build_sft(args.episodes, args.data, args.out, min_reward=args.min_reward, valid_out=args.valid_out,
                           valid_share=args.valid_share, seed=args.seed,
                           max_tool_output_chars=args.max_tool_output_chars,
                           require_tool_call=not args.allow_no_tool)
    except (OSError, ValueError) as exc:
        print(f"build-sft: {exc}", file=sys.stderr)
        return 2
    print(report.render())
    return 0
