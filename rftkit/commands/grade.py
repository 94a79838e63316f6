"""`python -m rftkit grade`: run a job's grader locally on one answer, or on a JSONL of answers against the data."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

GRADER_HELP = "a grader JSON file, inline JSON, `job-a` (Job A's multi grader), or an endpoint grader URL"


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("grade", help="run a grader locally on one answer or a JSONL of answers",
                       description=__doc__)
    p.add_argument("--grader", required=True, help=GRADER_HELP)
    p.add_argument("--header", action="append", metavar="'NAME: VALUE'",
                   help="a header for an endpoint grader (repeatable), e.g. 'x-functions-key: ...' "
                        "(NAME=VALUE is also accepted)")
    one = p.add_argument_group("one answer")
    one.add_argument("--answer", help="the model's final answer text")
    one.add_argument("--reference", help="the row's reference_answer (builds the item {reference_answer: ...})")
    one.add_argument("--item", help="the dataset row as JSON text or a JSON file")
    many = p.add_argument_group("a file of answers")
    many.add_argument("--answers", type=Path, help="JSONL: {id?, answer | output_text | sample} per line")
    many.add_argument("--data", type=Path, help="the dataset JSONL the answers belong to (matched by id, "
                                                "else by line order)")
    p.add_argument("--concurrency", type=int, default=8, help="gradings in flight (endpoint graders)")
    p.add_argument("--json", action="store_true", help="also print each full graders/run response (with "
                   "`metadata.explanations` when this project's /score explains a score under 1)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from rftkit.graders.io import load_grader, parse_headers, unusable_grader_message

    try:
        grader = load_grader(args.grader, parse_headers(args.header))
        cases = _cases(args)
    except (ValueError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    message = unusable_grader_message(grader)
    if message:
        print(message, file=sys.stderr)
        return 2
    results = _grade_all(grader, cases, args.concurrency, show_progress=not args.json)
    _print(cases, results, args.json)
    return 1 if any(result["metadata"]["error_messages"] for result in results) else 0


def _cases(args: argparse.Namespace) -> list[tuple[str, dict[str, Any], dict[str, Any]]]:
    """(row label, sample, item) for each answer to grade."""
    from rftkit.graders import sample_from_text
    from rftkit.util.jsonl import read_jsonl

    if args.answer is not None:
        if args.answers or args.data:
            raise ValueError("give either --answer or --answers/--data, not both")
        return [("answer", sample_from_text(args.answer), _item(args))]
    if not (args.answers and args.data):
        raise ValueError("give --answer (with --reference or --item), or --answers with --data")
    answers, rows = read_jsonl(args.answers), read_jsonl(args.data)
    by_id = {row["id"]: row for row in rows if "id" in row}
    if answers and all("id" in answer for answer in answers) and len(by_id) == len(rows):
        missing = [answer["id"] for answer in answers if answer["id"] not in by_id]
        if missing:
            raise ValueError(f"{args.answers}: ids not in {args.data}: {', '.join(map(str, missing[:5]))}")
        pairs = [(answer, by_id[answer["id"]]) for answer in answers]
    elif len(answers) > len(rows):
        raise ValueError(f"{args.answers} has {len(answers)} answers but {args.data} only {len(rows)} rows")
    else:
        pairs = list(zip(answers, rows, strict=False))
    return [(str(row.get("id", number)), _sample(answer, number), row)
            for number, (answer, row) in enumerate(pairs, start=1)]


def _item(args: argparse.Namespace) -> dict[str, Any]:
    if args.item is not None:
        text = args.item if args.item.lstrip().startswith("{") else Path(args.item).read_text(encoding="utf-8")
        try:
            item = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ValueError(f"--item is not valid JSON: {exc}") from exc
        if not isinstance(item, dict):
            raise ValueError("--item must be a JSON object")
        return item
    if args.reference is None:
        raise ValueError("--answer needs --reference or --item")
    return {"reference_answer": args.reference}


def _sample(answer: dict[str, Any], number: int) -> dict[str, Any]:
    from rftkit.graders import sample_from_text

    if isinstance(answer.get("sample"), dict):
        return answer["sample"]
    for key in ("answer", "output_text"):
        if isinstance(answer.get(key), str):
            return sample_from_text(answer[key])
    raise ValueError(f"answer {number} has no `answer`, `output_text` or `sample`")


def _grade_all(grader: dict, cases: list[tuple[str, dict, dict]], concurrency: int,
               show_progress: bool = False) -> list[dict]:
    from concurrent.futures import ThreadPoolExecutor

    import httpx

    from rftkit.graders import run_grader
    from rftkit.util.progress import progress
    from rftkit.wire import new_trace_id

    def grade(case: tuple[str, dict, dict]) -> dict:
        trace_id = new_trace_id()
        result = run_grader(grader, case[1], case[2], trace_id=trace_id, http_client=client)
        explanations = _explanations(grader, result, case[1], case[2], trace_id, client)
        if explanations:
            result["metadata"]["explanations"] = explanations
        bar.advance()
        return result

    with progress(len(cases), "grade", show_progress) as bar, httpx.Client(timeout=60.0) as client, \
            ThreadPoolExecutor(max_workers=max(1, concurrency)) as pool:
        return list(pool.map(grade, cases))


def _explanations(grader: dict, result: dict, sample: dict, item: dict, trace_id: str, client: Any) -> list[dict]:
    """Why each endpoint grader that answered paid less than 1, when it can say (this app's `?explain=true`)."""
    from rftkit.graders.endpoint import explain_score, why_score
    from rftkit.wire import grader_body

    if result["metadata"]["error_messages"]:
        return []
    if grader["type"] == "endpoint":
        endpoints = [(grader.get("name") or "endpoint", grader, result["reward"])]
    elif grader["type"] == "multi":
        endpoints = [(f"graders.{key}", sub, result["sub_rewards"].get(key))
                     for key, sub in grader["graders"].items() if sub.get("type") == "endpoint"]
    else:
        return []
    explanations = []
    for name, node, score in endpoints:
        if not isinstance(score, (int, float)) or score >= 1:
            continue
        details = explain_score(node, grader_body(sample, item, trace_id), client)
        why = why_score(details, trace_id) if details else None
        if why:
            explanations.append({"grader": name, "trace_id": trace_id, "why": why, "details": details})
    return explanations


def _print(cases: list[tuple[str, dict, dict]], results: list[dict], full: bool) -> None:
    from rftkit.graders.io import markdown_table

    lines = []
    for (label, sample, _), result in zip(cases, results, strict=True):
        answer = str(sample.get("output_text") or "")
        subs = ", ".join(f"{key}={value:.3f}" for key, value in result["sub_rewards"].items())
        errors = "; ".join(result["metadata"]["error_messages"])
        lines.append([label, f"{result['reward']:.4f}", subs or "-", errors or "-",
                      answer if len(answer) <= 40 else answer[:37] + "..."])
        if full:
            print(json.dumps(result, indent=2))
    print(markdown_table(["row", "reward", "sub-rewards", "errors", "answer"], lines))
    for (label, _, _), result in zip(cases, results, strict=True):
        for explanation in result["metadata"].get("explanations", []):
            print(f"why {label} scored {result['reward']:.4f} ({explanation['grader']}): {explanation['why']}")
    failed = sum(1 for result in results if result["metadata"]["error_messages"])
    mean = sum(result["reward"] for result in results) / len(results) if results else 0.0
    rows = f"{len(results)} row" + ("s" if len(results) != 1 else "")
    print(f"mean reward {mean:.4f} over {rows}" + (f" ({failed} with errors)" if failed else ""))
