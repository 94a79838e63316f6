"""`python -m rftkit dry-run`: rehearse a job's rollouts against its tool and grader URLs before paying for it."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from rftkit.util.jsonl import read_jsonl


def _header(text: str) -> str:
    """Checked here for a clear argparse error; bound to tools later, once the job's tools are known."""
    from rftkit.util.headers import HeaderError, parse_header

    try:
        parse_header(text)
    except HeaderError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from exc
    return text


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("dry-run", help="play rollouts against the tool and grader as the service does; report",
                       description=__doc__)
    p.add_argument("--data", type=Path, required=True, help="dataset JSONL (e.g. data/valid_tool.jsonl)")
    p.add_argument("--limit", type=int, help="only the first N rows")
    p.add_argument("--job", type=Path, metavar="FILE.json",
                   help="rehearse exactly this job: a job body as passed to fine_tuning.jobs.create (or its "
                        "`method`); its tools (with headers), grader and max_episode_steps are used unless "
                        "overridden below")
    p.add_argument("--tool", action="append", default=[], metavar="NAME=URL",
                   help="a tools[] entry (repeatable; several names may share one URL); replaces the URL of a "
                        "--job tool of that name")
    p.add_argument("--tool-url", help="one tool's server_url (the same as --tool TOOL_NAME=URL)")
    p.add_argument("--tool-name", default="search_catalog",
                   help="the function --tool-url serves, and the scripted policy's tool (default: %(default)s)")
    p.add_argument("--tool-header", type=_header, action="append", default=[], metavar="[TOOL=]'NAME: VALUE'",
                   help="a tools[].headers entry (repeatable): for every tool, or for TOOL only, e.g. "
                        "search_catalog='X-Functions-Key: abc'; the old form NAME=VALUE is still accepted")
    g = p.add_mutually_exclusive_group()
    g.add_argument("--grader-url", help="an endpoint grader's url (POST /score)")
    g.add_argument("--grader", metavar="FILE.json|job-a",
                   help="a grader JSON file (a grader, or a job body holding one), or job-a for Job A's multi grader")
    p.add_argument("--grader-header", type=_header, action="append", default=[], metavar="'NAME: VALUE'",
                   help="an endpoint grader header (repeatable); the old form NAME=VALUE is still accepted")
    p.add_argument("--policy", choices=("scripted", "model", "replay", "schema", "auto"),
                   help="default: model with --model, else scripted when the job routes the scripted policy's tool "
                        "(--tool-name), else auto (see docs/dry-run.md)")
    p.add_argument("--model", metavar="DEPLOYMENT", help="Azure OpenAI deployment for the model policy "
                   "(needs AZURE_OPENAI_ENDPOINT and AZURE_OPENAI_API_KEY, from the environment or .env)")
    p.add_argument("--reasoning-effort", choices=("low", "medium", "high"), help="model policy only")
    p.add_argument("--samples-per-row", type=int, default=1, metavar="N",
                   help="rollouts per row (5 or more shows the learnable band)")
    p.add_argument("--concurrency", type=int, default=64, metavar="C", help="rollouts in flight at once")
    p.add_argument("--time-limit", type=float, default=300.0, metavar="S", help="total time bound, seconds")
    p.add_argument("--request-timeout", type=float, default=60.0, metavar="S", help="per HTTP request, seconds")
    p.add_argument("--retries", type=int, default=3, help="retries of a failed tool (5xx, timeout) or grader call")
    p.add_argument("--max-episode-steps", type=int, help="default: the --job's, else 10")
    p.add_argument("--error-rate", type=float, metavar="R",
                   help="scripted policy: share of rollouts that make a mistake (default 0); schema policy: "
                        "share of calls with invalid arguments (default 0.3)")
    p.add_argument("--seed", type=int, default=0, help="scripted and schema policies: seed of their choices")
    p.add_argument("--calls-per-rollout", type=int, default=3, metavar="N", help="schema policy: tool calls per "
                   "rollout")
    p.add_argument("--output-budget", type=int, default=1_048_576, metavar="BYTES",
                   help="schema policy: report tool outputs larger than this")
    p.add_argument("--threshold", type=float, default=1.0, help="a rollout is solved when reward >= this")
    p.add_argument("--episodes", type=Path, metavar="FILE", help="write every rollout as one JSONL record")
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    p.set_defaults(func=run)


def load_rows(path: Path, limit: int | None = None) -> list[dict[str, Any]]:
    return read_jsonl(path, limit)


def load_job(args: argparse.Namespace) -> dict[str, Any] | None:
    """The `method.reinforcement` of `--job`, or None."""
    from rftkit.rollouts.tools import job_method

    if args.job is None:
        return None
    try:
        body = json.loads(args.job.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise ValueError(f"{args.job}: not JSON: {exc}") from exc
    return job_method(body, str(args.job))


def load_tools(args: argparse.Namespace, job: dict[str, Any] | None) -> list[dict[str, Any]]:
    """The job's tools, with --tool / --tool-url added or replacing a URL, and --tool-header applied."""
    from rftkit.rollouts.tools import job_tools, merge_tools, parse_tool

    base = job_tools(job, str(args.job)) if job else []
    urls = [parse_tool(text) for text in args.tool]
    if args.tool_url:
        urls.append((args.tool_name, args.tool_url))
    if not base and not urls:
        raise ValueError("no tool to call: give --tool NAME=URL, --tool-url URL, or --job FILE.json with tools")
    return merge_tools(base, urls, args.tool_header)


def load_grader(args: argparse.Namespace, job: dict[str, Any] | None = None) -> dict[str, Any]:
    from rftkit.util.headers import parse_headers

    if args.grader_url:
        grader: dict[str, Any] = {"type": "endpoint", "name": "catalog_grader", "url": args.grader_url}
    elif args.grader == "job-a":
        from rftkit.graders.presets import job_a_grader

        grader = dict(job_a_grader())
    elif args.grader:
        data = json.loads(Path(args.grader).read_text(encoding="utf-8"))
        if isinstance(data, dict) and "method" in data:  # a whole job body
            data = data["method"]["reinforcement"]["grader"]
        elif isinstance(data, dict) and "type" not in data and isinstance(data.get("grader"), dict):
            data = data["grader"]
        if not isinstance(data, dict) or "type" not in data:
            raise ValueError(f"{args.grader}: no grader object (with a `type`) found")
        grader = data
    elif job is not None and isinstance(job.get("grader"), dict):
        grader = dict(job["grader"])
    else:
        raise ValueError("no grader: give --grader-url, --grader, or --job FILE.json with a grader")
    if args.grader_header:
        grader["headers"] = {**(grader.get("headers") or {}), **parse_headers(args.grader_header)}
    return grader


def default_policy(args: argparse.Namespace, tool_names: list[str] | None) -> str:
    """model with --model; scripted when the job routes its tool (the catalog); else auto, which replays reference
    trajectories and draws calls from schemas, so another agent's tools are played rather than never called."""
    if args.model:
        return "model"
    return "scripted" if tool_names is None or args.tool_name in tool_names else "auto"


def make_policy(args: argparse.Namespace, tools: list[dict[str, Any]] | None = None) -> Any:
    from rftkit.rollouts import ModelPolicy, ScriptedPolicy
    from rftkit.rollouts.policies import AutoPolicy, ReplayPolicy, SchemaPolicy

    names = [t["name"] for t in tools] if tools is not None else None
    name = args.policy or default_policy(args, names)
    if name in ("scripted", "auto"):
        scripted = ScriptedPolicy(error_rate=args.error_rate or 0.0, seed=args.seed, tool_name=args.tool_name)
        return scripted if name == "scripted" else AutoPolicy(scripted, tool_names=names, seed=args.seed)
    if name == "replay":
        return ReplayPolicy()
    if name == "schema":
        share = 0.3 if args.error_rate is None else args.error_rate
        return SchemaPolicy(seed=args.seed, invalid_share=share, calls_per_rollout=args.calls_per_rollout,
                            tool_names=names)
    if not args.model:
        raise ValueError("--policy model needs --model DEPLOYMENT")
    from rftkit.settings import load_settings, make_async_client

    settings = load_settings()
    if not settings.uses_azure:
        raise ValueError("the model policy needs AZURE_OPENAI_ENDPOINT (environment or .env), and AZURE_OPENAI_API_KEY "
                         "unless you sign in with Microsoft Entra ID (az login, or a managed identity)")
    client = make_async_client(settings, timeout=args.request_timeout)
    return ModelPolicy(client, args.model, reasoning_effort=args.reasoning_effort)


async def _dry_run(args: argparse.Namespace, rows: list[dict[str, Any]], grader: dict[str, Any],
                   tools: list[dict[str, Any]], max_steps: int) -> Any:
    from rftkit.rollouts import run_rollouts
    from rftkit.util.progress import progress

    policy = make_policy(args, tools)
    try:
        with progress(len(rows) * args.samples_per_row, "dry-run", not args.json) as bar:
            return await run_rollouts(
                rows, tools=tools, grader=grader, policy=policy, samples_per_row=args.samples_per_row,
                concurrency=args.concurrency, time_limit=args.time_limit, max_episode_steps=max_steps,
                request_timeout=args.request_timeout, retries=args.retries, solved_threshold=args.threshold,
                explain=args.episodes is not None, on_episode=lambda _: bar.advance())
    finally:
        if hasattr(policy, "aclose"):
            await policy.aclose()


def _played_by(report: Any, name: str) -> list[Any]:
    return [e for e in report.episodes if e.policy == name or e.notes.get("policy") == name]


def findings(report: Any, args: argparse.Namespace) -> tuple[dict[str, Any], list[str], int]:
    """The replay / schema policies' own findings (JSON, text) and the run's exit code."""
    from rftkit.rollouts.policies import render_replay, render_schema, replay_findings, schema_findings

    data: dict[str, Any] = {}
    text: list[str] = []
    schema = _played_by(report, "schema")
    # Tool errors are what the schema policy provokes: its own findings judge them.
    schema_ids = {id(e) for e in schema}
    errored = [e for e in report.errored if id(e) not in schema_ids or any(err.stage != "tool" for err in e.errors)]
    code = 1 if errored else 0
    replayed = _played_by(report, "replay")
    if replayed:
        data["replay"] = replay_findings(replayed, args.threshold)
        text.append(render_replay(data["replay"]))
        code = max(code, 0 if data["replay"]["ok"] else 1)
    if schema:
        data["schema"] = schema_findings(schema, args.output_budget)
        text.append(render_schema(data["schema"]))
        code = max(code, 0 if data["schema"]["ok"] else 1)
    return data, text, code


def run(args: argparse.Namespace) -> int:
    import asyncio

    from rftkit.rollouts import write_episodes

    try:
        rows = load_rows(args.data, args.limit)
        if not rows:
            raise ValueError(f"{args.data}: no rows")
        job = load_job(args)
        tools = load_tools(args, job)
        grader = load_grader(args, job)
        max_steps = args.max_episode_steps or (job or {}).get("max_episode_steps") or 10
        report = asyncio.run(_dry_run(args, rows, grader, tools, max_steps))
    except (OSError, ValueError, KeyError, ImportError) as exc:
        print(f"dry-run: {exc}", file=sys.stderr)
        return 2
    if args.episodes:
        write_episodes(args.episodes, report.episodes)
    extra, text, code = findings(report, args)
    if args.json:
        print(json.dumps({**report.to_dict(), **extra}, indent=2))
    else:
        print("\n".join([report.render(), *text]))
    if args.episodes and not args.json:
        print(f"Episodes: {len(report.episodes)} written to {args.episodes}")
    return code
