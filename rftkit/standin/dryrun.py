"""A created job's background run: the service's states, then a DRY RUN that trains nothing.

Each step plays one rollout per validation row of its share against the job's real tool `server_url`s — the
service's wrapper, the job's headers, a fresh trace_id per rollout — and grades it with the job's grader
(`rftkit.rollouts.run_rollouts`, the single implementation shared with the preflight). Per row,
`rftkit.rollouts.policies.AutoPolicy` picks the player: the row's reference trajectory, the catalog's scripted
policy, or calls drawn from the tools' schemas; an event says which played how many rows. A step whose rollouts
all fail ends the job `failed`, with the reason.
"""

from __future__ import annotations

import asyncio
import functools
import logging
from collections import Counter
from typing import Any

from rftkit.standin.errors import StandinError
from rftkit.standin.ids import new_id, now
from rftkit.standin.metrics import step_metrics
from rftkit.standin.state import Job, StandinState, StoredFile

log = logging.getLogger("rftkit.standin")

DRY_RUN_NOTICE = ("DRY RUN by the local stand-in: no model is trained and no weights change. Each step plays one "
                  "rollout per validation row (a scripted player, named in the next event) against the job's "
                  "tools, and grades it with the job's grader. The rewards show whether data, tools and grader "
                  "work together, not what training would achieve.")


@functools.lru_cache(maxsize=1)
def _catalog() -> Any:
    """The catalog the scripted policy parses requests with (CATALOG_PATH, as the app), loaded once per process."""
    from catalog_tools.search import Catalog
    from rftkit.settings import catalog_path

    return Catalog.from_path(catalog_path())


class DryRunFailure(Exception):
    def __init__(self, code: str, message: str, param: str | None = None):
        super().__init__(message)
        self.error = {"code": code, "message": message, "param": param}


def split(rows: list[dict[str, Any]], parts: int) -> list[list[dict[str, Any]]]:
    """`rows` in `parts` contiguous chunks of near-equal size (fewer chunks when there are fewer rows)."""
    parts = max(1, min(parts, len(rows)))
    size, extra = divmod(len(rows), parts)
    chunks, start = [], 0
    for i in range(parts):
        end = start + size + (1 if i < extra else 0)
        chunks.append(rows[start:end])
        start = end
    return chunks


def _failure_of(episodes: list[Any], job: Job) -> DryRunFailure | None:
    """Why no rollout of a step could be graded, naming the tool endpoint or the grader."""
    if any(e.status == "graded" for e in episodes):
        return None
    errors = [err for e in episodes for err in e.errors]
    by_stage = Counter(err.stage for err in errors)
    first = {err.stage: err for err in reversed(errors)}
    if by_stage["tool"]:
        urls = ", ".join(t["server_url"] for t in job.reinforcement.get("tools") or [])
        err = first["tool"]
        unreachable = err.kind in ("connection_error", "timeout")
        return DryRunFailure("tool_endpoint_unreachable" if unreachable else "tool_endpoint_failed",
                             f"Every rollout of the step was discarded: the tool endpoint ({urls}) failed: "
                             f"{err.kind}: {err.message}", "method.reinforcement.tools")
    if by_stage["grader"]:
        err = first["grader"]
        return DryRunFailure("grader_failed", f"Every rollout of the step was discarded: the grader failed: "
                                              f"{err.kind}: {err.message}", "method.reinforcement.grader")
    reason = f"{errors[0].stage}: {errors[0].kind}: {errors[0].message}" if errors else "no rollout was graded"
    return DryRunFailure("rollouts_failed", f"Every rollout of the step was discarded ({reason}).")


def _result_file(state: StandinState, job: Job, rows: list[tuple[int, Any, Any]]) -> None:
    """A `fine-tune-results` CSV of the step metrics, as the service attaches to a finished job."""
    text = "step,train_mean_reward,full_valid_mean_reward\n" + "".join(
        f"{s},{'' if t is None else t},{'' if v is None else v}\n" for s, t, v in rows)
    stored = StoredFile(new_id("file"), "step_metrics.csv", "fine-tune-results", text.encode(), status="processed")
    try:
        state.add_file(stored)
    except StandinError as exc:
        job.event(f"No result file: {exc.message}", level="warn")
        return
    job.result_files.append(stored.id)


async def _hold_while_paused(job: Job) -> None:
    """Between steps: stop while the job is paused; a resumed job passes through `pending` back to `running`."""
    if job.resumed.is_set():
        return
    job.event(f"Training paused after step {job.steps_done}: no further step runs until the job is resumed.")
    await job.resumed.wait()
    if not job.finished:
        job.set_status("running", f"Training continues from step {job.steps_done + 1}.")


async def _play(job: Job, state: StandinState) -> None:
    from rftkit.rollouts import ScriptedPolicy, run_rollouts
    from rftkit.rollouts.policies import AutoPolicy

    config = state.config
    body = job.reinforcement
    chunks = split(job.rows, config.steps)
    seed = job.request.get("seed") or 0
    policy = AutoPolicy(ScriptedPolicy(error_rate=config.policy_error_rate, seed=seed, catalog=_catalog()),
                        tool_names=[t["name"] for t in body.get("tools") or []], seed=seed)
    job.event(f"Rollouts are played by: {policy.describe(job.rows)}.")
    played: list[Any] = []
    metrics_rows = []
    for step, chunk in enumerate(chunks, 1):
        await _hold_while_paused(job)
        report = await run_rollouts(chunk, tools=body.get("tools") or [], grader=body["grader"], policy=policy,
                                    samples_per_row=config.samples_per_row, concurrency=config.concurrency,
                                    time_limit=config.rollout_time_limit,
                                    max_episode_steps=body.get("max_episode_steps") or 10,
                                    request_timeout=config.request_timeout, retries=config.retries,
                                    retry_backoff=config.retry_backoff)
        failure = _failure_of(report.episodes, job)
        if failure:
            raise failure
        played += report.episodes
        message, data = step_metrics(step, len(chunks), body["grader"], report.episodes, played)
        job.event(message, kind="metrics", data=data)
        discarded = data["rollouts"]["discarded"]
        if discarded:
            kinds = Counter(f"{err.stage}:{err.kind}" for e in report.episodes for err in e.errors)
            job.event(f"Step {step}: {discarded} of {len(report.episodes)} rollouts discarded "
                      f"({', '.join(f'{k} x{n}' for k, n in kinds.most_common())}).", level="warn")
        job.steps_done = step
        metrics_rows.append((step, data["train_mean_reward"], data["full_valid_mean_reward"]))
        if step < len(chunks) and config.step_delay > 0:
            await asyncio.sleep(config.step_delay)
    model = f"{job.request['model']}.ft-{job.id.removeprefix('ftjob-')}"
    if job.request.get("suffix"):
        model += f"-{job.request['suffix']}"
    last = metrics_rows[-1]
    job.checkpoints.append({
        "id": new_id("ftckpt"), "object": "fine_tuning.job.checkpoint", "created_at": now(),
        "fine_tuned_model_checkpoint": f"{model}:ckpt-step-{last[0]}", "fine_tuning_job_id": job.id,
        "step_number": last[0],
        "metrics": {"step": last[0], "train_mean_reward": last[1], "full_valid_mean_reward": last[2]},
    })
    job.event(f"Checkpoint created at step {last[0]} (dry run: the base model's weights).")
    _result_file(state, job, metrics_rows)
    job.fine_tuned_model = model
    job.event(f"New fine-tuned model created: {model} (dry run: a name only, nothing to deploy).")
    job.finish("succeeded", "The job has successfully completed.")


async def run_dry_run(job: Job, state: StandinState) -> None:
    config = state.config
    try:
        job.event(f"Validating training file: {job.request['training_file']} and validation file: "
                  f"{job.request['validation_file']}")
        await asyncio.sleep(config.status_delay)
        job.set_status("queued", "Job enqueued. Waiting for jobs ahead to complete.")
        await asyncio.sleep(config.status_delay)
        job.set_status("pending", "Job pending: preparing the training run.")
        await asyncio.sleep(config.status_delay)
        job.set_status("running", "Fine-tuning job started")
        job.event(DRY_RUN_NOTICE)
        await _play(job, state)
    except DryRunFailure as failure:
        job.finish("failed", f"The job failed: {failure}", level="error", error=failure.error)
    except asyncio.CancelledError:
        if not job.finished:  # the server is shutting down, not a user's cancel
            job.finish("cancelled", "Job cancelled: the stand-in is shutting down.")
        else:  # a user's cancel: say that the background run really ended (and after how many steps)
            job.event(f"Dry run stopped after {job.steps_done} step(s).")
        raise
    except Exception as exc:  # a bug in the stand-in must still end the job, visibly
        log.exception("dry run of %s crashed", job.id)
        job.finish("failed", f"The job failed: internal error: {type(exc).__name__}: {exc}", level="error",
                   error={"code": "internal_error", "message": f"{type(exc).__name__}: {exc}", "param": None})
