"""`python -m rftkit make-catalog`: (re)write the shipped catalog, or a larger one for benchmarks."""

from __future__ import annotations

import argparse
from pathlib import Path

from rftkit import FUNCTION_APP_DIR


def register(sub: argparse._SubParsersAction) -> None:
    from rftkit.data.catalog_gen import DEFAULT_SEED, DEFAULT_SIZE

    p = sub.add_parser("make-catalog", help="write the seeded product catalog (JSONL)")
    p.add_argument("--out", type=Path, default=FUNCTION_APP_DIR / "data" / "products.jsonl")
    p.add_argument("--size", type=int, default=DEFAULT_SIZE)
    p.add_argument("--seed", type=int, default=DEFAULT_SEED)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from rftkit.data.catalog_gen import write_catalog

    count = write_catalog(args.out, args.size, args.seed)
    print(f"wrote {count} products to {args.out}")
    return 0
