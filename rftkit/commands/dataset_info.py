"""`python -m rftkit dataset-info FILE`: rows, source episodes and rewards, tokens and trained tokens of an SFT file."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("dataset-info", help="what a supervised file costs and where its rows came from",
                       description=__doc__)
    p.add_argument("file", type=Path, help="a supervised JSONL (build-sft --out)")
    p.add_argument("--epochs", type=int, default=3, help="epochs of the job, for trained tokens")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from rftkit.sft.info import dataset_info, render, to_json

    try:
        info = dataset_info(args.file, args.epochs)
    except (OSError, ValueError) as exc:
        print(f"dataset-info: {exc}", file=sys.stderr)
        return 2
    print(to_json(info) if args.json else render(info))
    return 0
