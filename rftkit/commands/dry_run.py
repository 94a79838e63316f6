"""`python -m rftkit dry-run`: rehearse a job's rollouts against its tool and grader URLs before paying for it."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from ..jsonl import read_jsonl


def _header(text: str) -> tuple[str, str]:
    key, sep, value = text.partition("=")
    if not sep or not key.strip():
        raise argparse.ArgumentTypeError(f"expected KEY=VALUE, got {text!r}")
    return key.strip(), value


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("dry-run", help="play rollouts against the tool and grader as the service does; report",
                       description=__doc__)
    p.add_argument("--data", type=Path, required=True, help="dataset JSONL (e.g. data/valid_tool.jsonl)")
    p.add_argument("--limit", type=int, help="only the first N rows")
    p.add_argument("--tool-url", required=True, help="the job's tools[].server_url")
    p.add_argument("--tool-name", default="search_catalog", help="the function name the URL serves")
    p.add_argument("--tool-header", type=_header, action="append", default=[], metavar="K=V",
                   help="a tools[].headers entry (repeatable), e.g. X-Functions-Key=...")
    g = p.add_mutually_exclusive_group(required=True)
    g.add_argument("--grader-url", help="an endpoint grader's url (POST /score)")
    g.add_argument("--grader", metavar="FILE.json|job-a",
                   help="a grader JSON file (a grader, or a job body holding one), or job-a for Job A's multi grader")
    p.add_argument("--grader-header", type=_header, action="append", default=[], metavar="K=V",
                   help="an endpoint grader header (repeatable)")
    p.add_argument("--policy", choices=("scripted", "model"), help="default: model with --model, else scripted")
    p.add_argument("--model", metavar="DEPLOYMENT", help="Azure OpenAI deployment for the model policy "
                   "(needs AZURE_OPENAI_ENDPOINT and AZURE_OPENAI_API_KEY, from the environment or .env)")
    p.add_argument("--reasoning-effort", choices=("low", "medium", "high"), help="model policy only")
    p.add_argument("--samples-per-row", type=int, default=1, metavar="N",
                   help="rollouts per row (5 or more shows the learnable band)")
    p.add_argument("--concurrency", type=int, default=64, metavar="C", help="rollouts in flight at once")
    p.add_argument("--time-limit", type=float, default=300.0, metavar="S", help="total time bound, seconds")
    p.add_argument("--request-timeout", type=float, default=60.0, metavar="S", help="per HTTP request, seconds")
    p.add_argument("--retries", type=int, default=3, help="retries of a failed tool (5xx, timeout) or grader call")
    p.add_argument("--max-episode-steps", type=int, default=10)
    p.add_argument("--error-rate", type=float, default=0.0, metavar="R",
                   help="scripted policy: share of rollouts that make a mistake (0-1)")
    p.add_argument("--seed", type=int, default=0, help="scripted policy: seed of its mistakes")
    p.add_argument("--threshold", type=float, default=1.0, help="a rollout is solved when reward >= this")
    p.add_argument("--episodes", type=Path, metavar="FILE", help="write every rollout as one JSONL record")
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    p.set_defaults(func=run)


def load_rows(path: Path, limit: int | None = None) -> list[dict[str, Any]]:
    return read_jsonl(path, limit)


def load_grader(args: argparse.Namespace) -> dict[str, Any]:
    if args.grader_url:
        grader: dict[str, Any] = {"type": "endpoint", "name": "catalog_grader", "url": args.grader_url}
    elif args.grader == "job-a":
        from ..graders.presets import job_a_grader

        grader = dict(job_a_grader())
    else:
        data = json.loads(Path(args.grader).read_text(encoding="utf-8"))
        if isinstance(data, dict) and "method" in data:  # a whole job body
            data = data["method"]["reinforcement"]["grader"]
        elif isinstance(data, dict) and "type" not in data and isinstance(data.get("grader"), dict):
            data = data["grader"]
        if not isinstance(data, dict) or "type" not in data:
            raise ValueError(f"{args.grader}: no grader object (with a `type`) found")
        grader = data
    if args.grader_header:
        grader["headers"] = {**(grader.get("headers") or {}), **dict(args.grader_header)}
    return grader


def make_policy(args: argparse.Namespace) -> Any:
    from ..rollouts import ModelPolicy, ScriptedPolicy, azure_client

    if (args.policy or ("model" if args.model else "scripted")) == "scripted":
        return ScriptedPolicy(error_rate=args.error_rate, seed=args.seed, tool_name=args.tool_name)
    if not args.model:
        raise ValueError("--policy model needs --model DEPLOYMENT")
    from ..settings import load_settings

    settings = load_settings()
    if not settings.azure_openai_endpoint or not settings.azure_openai_api_key:
        raise ValueError("the model policy needs AZURE_OPENAI_ENDPOINT and AZURE_OPENAI_API_KEY (environment or .env)")
    client = azure_client(settings.azure_openai_endpoint, settings.azure_openai_api_key,
                          timeout=args.request_timeout)
    return ModelPolicy(client, args.model, reasoning_effort=args.reasoning_effort)


async def _dry_run(args: argparse.Namespace, rows: list[dict[str, Any]], grader: dict[str, Any]) -> Any:
    from ..rollouts import run_rollouts

    policy = make_policy(args)
    tool: dict[str, Any] = {"name": args.tool_name, "server_url": args.tool_url}
    if args.tool_header:
        tool["headers"] = dict(args.tool_header)
    try:
        return await run_rollouts(
            rows, tools=[tool], grader=grader, policy=policy, samples_per_row=args.samples_per_row,
            concurrency=args.concurrency, time_limit=args.time_limit, max_episode_steps=args.max_episode_steps,
            request_timeout=args.request_timeout, retries=args.retries, solved_threshold=args.threshold,
            explain=args.episodes is not None)
    finally:
        if hasattr(policy, "aclose"):
            await policy.aclose()


def run(args: argparse.Namespace) -> int:
    import asyncio

    from ..rollouts import write_episodes

    try:
        rows = load_rows(args.data, args.limit)
        if not rows:
            raise ValueError(f"{args.data}: no rows")
        grader = load_grader(args)
        report = asyncio.run(_dry_run(args, rows, grader))
    except (OSError, ValueError, KeyError, ImportError) as exc:
        print(f"dry-run: {exc}", file=sys.stderr)
        return 2
    if args.episodes:
        write_episodes(args.episodes, report.episodes)
    print(json.dumps(report.to_dict(), indent=2) if args.json else report.render())
    if args.episodes and not args.json:
        print(f"Episodes: {len(report.episodes)} written to {args.episodes}")
    return report.exit_code
