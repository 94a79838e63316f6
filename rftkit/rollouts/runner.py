"""Play rollouts the way the training service does, many at once, and report on them.

Per rollout: one `trace_id`; the policy's turns; each turn's tool calls POSTed together (parallel calls run
concurrently) to the job's tool `server_url` with its `headers`; then the grader. A bounded pool of workers
(`concurrency`) runs the rollouts — the service sends bursts of hundreds at step boundaries — under a total
`time_limit`; every request has its own `request_timeout`.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx

from rftkit.rollouts.clients import ClientSlots
from rftkit.rollouts.episode import DISCARDED, FAILED, PENDING, TIME_LIMIT, Episode, RolloutToolCall
from rftkit.rollouts.policy import Policy, PolicyError, ToolResult
from rftkit.rollouts.report import DryRunReport
from rftkit.rollouts.scoring import Scorer, make_scorer
from rftkit.rollouts.transport import post_json, transient
from rftkit.wire import (
    RetryPolicy,
    ToolRequest,
    build_sample,
    last_user_text,
    new_trace_id,
    normalize_item,
    tool_call_body,
)


def _output_problem(body: Any) -> str | None:
    if not isinstance(body, dict) or not isinstance(body.get("output"), str):
        return "no string `output` in the tool's answer (a function_call_output is required)"
    return None


def _shown_to_model(status: int | None, body: Any, text: str, kind: str) -> str:
    """What the model reads after a failed call: the tool's `output` if it sent one, else the error payload."""
    if isinstance(body, dict) and isinstance(body.get("output"), str):
        return body["output"]
    if kind == "response_too_large":
        return json.dumps({"error": {"code": 413, "message": "tool response larger than 1 MB"}})
    if status is not None:
        return json.dumps(body) if body is not None else text[:2000]
    return json.dumps({"error": kind})


@dataclass
class _Context:
    policy: Policy
    scorer: Scorer
    tools: dict[str, dict[str, Any]]
    timeout: float
    retry: RetryPolicy
    max_steps: int


async def _call_tool(ctx: _Context, http: httpx.AsyncClient, episode: Episode, request: ToolRequest, turn: int,
                     item: dict[str, Any]) -> ToolResult:
    record = RolloutToolCall(call_id=request.call_id, id=request.id, name=request.name, arguments=request.arguments,
                            turn=turn)
    episode.tool_calls.append(record)
    tool = ctx.tools.get(request.name)
    if tool is None:
        record.output = json.dumps({"error": "unknown_tool", "message": f"no tool named {request.name!r} in the job"})
        episode.add_error("tool", "unknown_tool", f"the policy called {request.name!r}, which the job does not route")
        return ToolResult(request, record.output)
    reply = await post_json(http, tool["server_url"], tool_call_body(request, episode.trace_id, item),
                            headers=tool.get("headers"), timeout=ctx.timeout, retry=ctx.retry,
                            validate=_output_problem, retry_when=transient)
    record.latency_ms, record.status_code, record.attempts, record.ok = (reply.latency_ms, reply.status_code,
                                                                         reply.attempts, reply.ok)
    for failure in reply.failures:
        episode.add_error("tool", failure.kind, failure.message, failure.attempt)
    failure = reply.last_failure
    if failure is None:
        record.output = reply.body["output"]
    else:
        record.output = _shown_to_model(reply.status_code, reply.body, reply.text, failure.kind)
        if transient(failure, reply.status_code):
            episode.status = DISCARDED  # the service gives up after its retries and drops the rollout
    return ToolResult(request, record.output)


async def _play(ctx: _Context, http: httpx.AsyncClient, episode: Episode, item: dict[str, Any]) -> None:
    started = time.perf_counter()
    try:
        await _play_turns(ctx, http, episode, item)
    finally:
        episode.duration_ms = round((time.perf_counter() - started) * 1000, 3)


async def _play_turns(ctx: _Context, http: httpx.AsyncClient, episode: Episode, item: dict[str, Any]) -> None:
    session = ctx.policy.start(item, row_id=episode.row_id, sample_index=episode.sample_index)
    results: list[ToolResult] = []
    last_calls: tuple[ToolRequest, ...] = ()
    for step in range(ctx.max_steps):
        try:
            turn = await session.next_turn(results)
        except PolicyError as exc:
            episode.add_error("policy", exc.kind, str(exc))
            episode.status = FAILED
            return
        episode.steps = step + 1
        episode.notes.update(turn.notes)
        if turn.is_final:
            episode.final_answer, episode.finish_reason, last_calls = turn.text, "stop", ()
            break
        last_calls = turn.tool_calls
        results = list(await asyncio.gather(*(_call_tool(ctx, http, episode, call, step, item)
                                              for call in turn.tool_calls)))
        if episode.status == DISCARDED:
            return
    else:
        episode.finish_reason = "max_steps"  # still calling tools after max_episode_steps turns
    await ctx.scorer.score(episode, build_sample(episode.final_answer, last_calls), item, http)


def _tool_routes(tools: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    routes = {}
    for tool in tools:
        if not isinstance(tool, dict) or not tool.get("name") or not tool.get("server_url"):
            raise ValueError("each tool needs `name` and `server_url` (the job's tools entry shape)")
        routes[tool["name"]] = tool
    return routes


def _new_episode(row: dict[str, Any], index: int, sample_index: int, policy: Policy,
                 item: dict[str, Any]) -> Episode:
    row_id = str(row.get("id") if row.get("id") is not None else f"row-{index}")
    metadata = row.get("metadata") if isinstance(row.get("metadata"), dict) else {}
    return Episode(row_id=row_id, sample_index=sample_index, trace_id=new_trace_id(), policy=policy.name,
                   metadata=metadata, prompt=last_user_text(item), reference_answer=row.get("reference_answer"))


async def run_rollouts(rows: list[dict], *, tools: list[dict], grader: dict, policy: Policy,
                       samples_per_row: int = 1, concurrency: int = 64, time_limit: float = 300.0,
                       max_episode_steps: int = 10, http: httpx.AsyncClient | None = None,
                       request_timeout: float = 60.0, retries: int = 3, retry_backoff: float = 0.5,
                       solved_threshold: float = 1.0, explain: bool = False,
                       on_episode: Callable[[Episode], None] | None = None) -> DryRunReport:
    """Play `samples_per_row` rollouts of every row and grade them; never raises for a failed request.

    `tools`: the job's entries `{"name", "server_url", "headers"?}`. `grader`: the job's grader (an `endpoint`
    grader is POSTed exactly as the service does; built-in graders run in `rftkit.graders`). `explain`: also fetch
    the endpoint grader's details with a separate `?explain=true` call (for episode files). `on_episode` is called
    as each rollout finishes. `http`: one client for every request (its pool limits apply); by default the runner
    uses a few small clients, since one httpx pool with hundreds of connections is slow to schedule.
    """
    if samples_per_row < 1 or concurrency < 1 or max_episode_steps < 1:
        raise ValueError("samples_per_row, concurrency and max_episode_steps must be at least 1")
    routes = _tool_routes(tools)
    retry = RetryPolicy(retries=retries, backoff=retry_backoff)
    ctx = _Context(policy, make_scorer(grader, timeout=request_timeout, retry=retry, explain=explain), routes,
                   request_timeout, retry, max_episode_steps)
    jobs = []
    for index, row in enumerate(rows):
        item = normalize_item(row)
        jobs.extend((_new_episode(row, index, s, policy, item), item) for s in range(samples_per_row))
    slots = ClientSlots(concurrency, request_timeout, http)

    async def worker(episode: Episode, item: dict[str, Any]) -> None:
        async with slots.slot() as client:
            try:
                await _play(ctx, client, episode, item)
            except Exception as exc:  # a bug in a policy or scorer: this rollout fails, the run goes on
                episode.add_error("runner", "exception", f"{type(exc).__name__}: {exc}")
                episode.status = FAILED
        if on_episode:
            on_episode(episode)

    started = time.perf_counter()
    tasks = [asyncio.create_task(worker(e, i)) for e, i in jobs]
    try:
        done, _ = await asyncio.wait(tasks, timeout=time_limit) if tasks else (set(), set())
    finally:  # the time limit, or our caller was cancelled: stop every rollout still running
        pending = [t for t in tasks if not t.done()]
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)
        await slots.aclose()
    for task in done:
        if not task.cancelled() and task.exception() is not None:
            raise task.exception()  # only an `on_episode` callback can get here: the caller's own error
    for episode, _ in jobs:
        if episode.status == PENDING:
            state = "cut short" if episode.steps else "never started"
            episode.status = TIME_LIMIT
            episode.add_error("runner", "time_limit", f"{state}: the run's time limit of {time_limit:g} s was reached")
    return DryRunReport([e for e, _ in jobs], threshold=solved_threshold, samples_per_row=samples_per_row,
                        concurrency=concurrency, time_limit=time_limit, wall_seconds=time.perf_counter() - started,
                        policy=policy.name, grader_type=str(grader.get("type")))
