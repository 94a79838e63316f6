"""`python -m rftkit validate FILE [FILE ...]`: check datasets before upload; exit 1 on errors."""

from __future__ import annotations

import argparse
from pathlib import Path


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("validate", help="check training / validation JSONL files before upload")
    p.add_argument("files", nargs="*", type=Path,
                   help='dataset files; a name containing "valid" (or the word "val") is the validation file')
    p.add_argument("--train", action="append", type=Path, default=[], metavar="FILE", help="a training file")
    p.add_argument("--valid", action="append", type=Path, default=[], metavar="FILE", help="a validation file")
    p.add_argument("--strict", action="store_true", help="warnings fail too (exit 1)")
    catalog = p.add_mutually_exclusive_group()
    # The app's own setting CATALOG_PATH (environment, then .env), so both check against the same catalog.
    catalog.add_argument("--catalog", type=Path, metavar="PATH",
                         help="reference SKUs must be in this catalog, and rows' tools match its schema (default: "
                              "CATALOG_PATH from the environment or .env, else the shipped catalog)")
    catalog.add_argument("--no-catalog", action="store_true", help="skip the reference SKU check")
    p.add_argument("--tool-name", action="append", default=[], metavar="NAME",
                   help="a tool the job config serves (repeatable; default: every tool the app serves)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from catalog_tools.search import CatalogError
    from rftkit.data.validate import validate_files
    from rftkit.settings import catalog_path

    roles = {**{str(f): "train" for f in args.train}, **{str(f): "valid" for f in args.valid}}
    paths = [*args.files, *args.train, *args.valid]
    if not paths:
        print("validate: give at least one file")
        return 2
    try:
        report = validate_files(paths, catalog=None if args.no_catalog else (args.catalog or catalog_path()),
                                tool_names=args.tool_name or None, strict=args.strict, roles=roles)
    except CatalogError as exc:
        print(f"validate: {exc}")
        return 2
    print(report.render())
    return 0 if report.ok else 1
