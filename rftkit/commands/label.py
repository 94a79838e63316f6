"""`python -m rftkit label EPISODES.jsonl`: put a reward and a reason on every episode (a grader's or a person's)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from rftkit.commands.grade import GRADER_HELP


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("label", help="label captured episodes with a reward and a reason (grader or by hand)",
                       description=__doc__ + " A person's label wins: later grader runs keep it.")
    p.add_argument("episodes", type=Path, help="episodes JSONL (dry-run --episodes); rewritten in place, atomically")
    p.add_argument("--grader", help=GRADER_HELP)
    p.add_argument("--header", action="append", metavar="'NAME: VALUE'", help="a header for an endpoint grader")
    p.add_argument("--data", type=Path, help="the dataset the episodes played: graders then see the full row")
    p.add_argument("--concurrency", type=int, default=8, help="gradings in flight")
    hand = p.add_argument_group("one label by hand")
    hand.add_argument("--episode-id", help="a trace_id, row_id:sample_index, or a row id with one episode")
    hand.add_argument("--reward", type=float, help="0 to 1")
    hand.add_argument("--reason", help="why (recorded with the label)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from rftkit.graders.io import load_grader, parse_headers, unusable_grader_message
    from rftkit.sft.label import label_by_hand, label_with_grader
    from rftkit.util.jsonl import read_jsonl

    by_hand = args.episode_id is not None or args.reward is not None or args.reason is not None
    try:
        if by_hand == bool(args.grader):
            raise ValueError("give --grader G, or --episode-id ID --reward R --reason TEXT (not both)")
        if by_hand:
            if args.episode_id is None or args.reward is None or args.reason is None:
                raise ValueError("a label by hand needs --episode-id, --reward and --reason")
            line = label_by_hand(args.episodes, args.episode_id, args.reward, args.reason)
            print(f"{args.episodes}:{line.number}: episode {line.episode.trace_id} (row {line.episode.row_id}) "
                  f"labelled {args.reward:g} by hand")
            return 0
        grader = load_grader(args.grader, parse_headers(args.header))
        message = unusable_grader_message(grader)
        if message:
            print(message, file=sys.stderr)
            return 2
        rows = {str(r["id"]): r for r in read_jsonl(args.data) if "id" in r} if args.data else None
        summary = label_with_grader(args.episodes, grader, rows=rows, concurrency=args.concurrency)
    except (OSError, ValueError) as exc:
        print(f"label: {exc}", file=sys.stderr)
        return 2
    print(summary.render())
    return 1 if summary.errors else 0
