"""`python -m rftkit reward-hacks`: try known gaming answers on a grader and flag those that pay."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from rftkit import DATA_DIR


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("reward-hacks", help="flag gaming answers that earn a share of the correct answer's reward",
                       description=__doc__)
    p.add_argument("--grader", required=True,
                   help="a grader JSON file, inline JSON, `job-a`, or an endpoint grader URL")
    p.add_argument("--header", action="append", metavar="'NAME: VALUE'", help="a header for an endpoint grader "
                   "(repeatable; NAME=VALUE is also accepted)")
    p.add_argument("--data", type=Path, default=DATA_DIR / "valid_tool.jsonl", help="dataset JSONL with "
                   "reference_answer (default: %(default)s)")
    p.add_argument("--catalog", type=Path, default=None,
                   help="catalog JSONL: adds the catalog attacks (every SKU, hedged SKUs) to code and text rows "
                        "(default: CATALOG_PATH from the environment or .env, else the shipped catalog for the "
                        "shipped data, else none)")
    p.add_argument("--no-catalog", action="store_true", help="no catalog attacks, whatever the defaults")
    p.add_argument("--episodes", type=Path, help="dry-run episodes JSONL (`dry-run --episodes`): the codes their "
                   "tool outputs show are each row's candidates for `all_candidates`")
    p.add_argument("--json", action="store_true", help="print the report as JSON (no progress bar)")
    p.add_argument("--threshold", type=float, default=0.5,
                   help="flag an attack earning more than this share of the correct answer's mean reward")
    p.add_argument("--limit", type=int, default=0, help="check only the first N rows (0: all)")
    p.add_argument("--tool-url", help="make one real tool call per rollout first (for graders that count them)")
    p.add_argument("--tool-header", action="append", metavar="'NAME: VALUE'",
                   help="a header for --tool-url (repeatable; NAME=VALUE is also accepted)")
    p.add_argument("--accept", action="append", default=[], metavar="ATTACK",
                   help="an attack whose flag is intended (e.g. lower_case for a case-insensitive grader); "
                        "shown, but not a failure (repeatable)")
    p.add_argument("--concurrency", type=int, default=16, help="gradings in flight")
    p.set_defaults(func=run)


def catalog_path(data: Path, given: Path | None) -> Path | None:
    """`--catalog`, else the app's CATALOG_PATH setting (environment, then .env), else the shipped catalog when
    `data` is shipped data."""
    from rftkit.settings import load_settings

    if given is not None:
        return given
    settings = load_settings()
    if settings.catalog_path_set:
        return settings.catalog_path
    return settings.catalog_path if data.resolve().parent == DATA_DIR.resolve() else None


def run(args: argparse.Namespace) -> int:
    import json

    from catalog_tools.search import CatalogError
    from rftkit.graders.attacks import CatalogContext
    from rftkit.graders.hacking import ATTACKS, check_reward_hacks, format_report, report_json, tool_outputs_by_row
    from rftkit.graders.io import load_grader, parse_headers, unusable_grader_message
    from rftkit.rollouts import read_episodes
    from rftkit.util.jsonl import read_jsonl

    try:
        grader = load_grader(args.grader, parse_headers(args.header))
        tool_headers = parse_headers(args.tool_header)
        rows = read_jsonl(args.data)
        rows = rows[:args.limit] if args.limit > 0 else rows
        path = None if args.no_catalog else catalog_path(args.data, args.catalog)
        catalog = CatalogContext.load(path) if path else None
        tool_outputs = tool_outputs_by_row(read_episodes(args.episodes)) if args.episodes else None
    except (ValueError, OSError, CatalogError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    unknown = sorted(set(args.accept) - set(ATTACKS))
    if unknown:
        print(f"error: --accept {', '.join(unknown)}: not an attack ({', '.join(ATTACKS)})", file=sys.stderr)
        return 2
    message = unusable_grader_message(grader)
    if message:
        print(message, file=sys.stderr)
        return 2
    try:
        report = check_reward_hacks(grader, rows, catalog, threshold=args.threshold, concurrency=args.concurrency,
                                    tool_url=args.tool_url, tool_headers=tool_headers, tool_outputs=tool_outputs,
                                    show_progress=not args.json)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(json.dumps(report_json(report, args.accept), indent=2) if args.json else format_report(report, args.accept))
    return 0 if report.ok(args.accept) else 1
