"""`python -m rftkit make-dataset`: (re)write data/train_tool.jsonl and data/valid_tool.jsonl from the catalog."""

from __future__ import annotations

import argparse
from pathlib import Path

from rftkit import DATA_DIR


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("make-dataset", help="write the seeded training and validation JSONL files")
    p.add_argument("--out-dir", type=Path, default=DATA_DIR)
    p.add_argument("--catalog", type=Path, help="the catalog the tasks are drawn from (default: CATALOG_PATH from the "
                   "environment or .env, else the shipped catalog)")
    p.add_argument("--seed", type=int, default=None, help="random seed (default: the committed files' seed)")
    p.add_argument("--check", action="store_true",
                   help="write nothing; exit 1 if the files in --out-dir differ from what would be written")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from rftkit.data.datasets import DEFAULT_SEED, stale_files, write_datasets
    from rftkit.settings import catalog_path

    seed = DEFAULT_SEED if args.seed is None else args.seed
    args.catalog = args.catalog or catalog_path()
    if args.check:
        stale = stale_files(args.out_dir, args.catalog, seed, show_progress=True)
        for path in stale:
            print(f"{path}: out of date; run `python -m rftkit make-dataset`")
        if not stale:
            print(f"{args.out_dir}: datasets are up to date")
        return 1 if stale else 0
    for path, count in write_datasets(args.out_dir, args.catalog, seed, show_progress=True).items():
        print(f"wrote {count} rows to {path}")
    return 0
