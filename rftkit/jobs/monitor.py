"""Following a submitted job: wait for a terminal status, and read the reward curve from its `metrics` events.

Works the same against Azure and the local stand-in (both answer with the service's job and event shapes).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from rftkit.jobs.status import TERMINAL_STATUSES

__all__ = ["TERMINAL_STATUSES", "reward_curve", "wait_for_job", "wait_for_jobs"]


def wait_for_jobs(client: Any, job_ids: Mapping[str, str], *, poll_interval: float = 5.0,
                  max_interval: float | None = None, timeout: float | None = None,
                  on_update: Callable[[str, Any], None] | None = None) -> dict[str, Any]:
    """Poll `client.fine_tuning.jobs.retrieve` for every job (`{label: job_id}`) until all have ended; the final
    jobs by label (check `status` and `error`). `on_update(label, job)` after every poll.

    The interval starts at `poll_interval` and doubles up to `max_interval` (default: it stays fixed). TimeoutError
    after `timeout` seconds. A paused job is not terminal: this keeps waiting until it is resumed or cancelled.
    """
    deadline = None if timeout is None else time.monotonic() + timeout
    longest = poll_interval if max_interval is None else max_interval
    interval, final, status = poll_interval, {}, {}
    while True:
        for label, job_id in job_ids.items():
            if label in final:
                continue
            job = client.fine_tuning.jobs.retrieve(job_id)
            status[label] = job.status
            if on_update is not None:
                on_update(label, job)
            if job.status in TERMINAL_STATUSES:
                final[label] = job
        if len(final) == len(job_ids):
            return final
        if deadline is not None and time.monotonic() > deadline:
            running = ", ".join(f"{label} ({status[label]})" for label in job_ids if label not in final)
            raise TimeoutError(f"jobs still running after {timeout} s: {running}")
        time.sleep(interval)
        interval = min(interval * 2, longest)


def wait_for_job(client: Any, job_id: str, *, poll_interval: float = 5.0, timeout: float | None = None,
                 on_update: Callable[[Any], None] | None = None) -> Any:
    """`wait_for_jobs` for one job: the final job; `on_update(job)` after every poll."""
    update = (lambda _label, job: on_update(job)) if on_update is not None else None
    return wait_for_jobs(client, {job_id: job_id}, poll_interval=poll_interval, timeout=timeout,
                         on_update=update)[job_id]


def _field(obj: Any, name: str) -> Any:
    return obj.get(name) if isinstance(obj, dict) else getattr(obj, name, None)


def reward_curve(events: Iterable[Any]) -> list[dict[str, Any]]:
    """`[{step, total_steps, train_mean_reward, full_valid_mean_reward}]` by step, from a job's events
    (SDK objects or dicts, in any order; the API lists them newest first)."""
    by_step: dict[int, dict[str, Any]] = {}
    for event in events:
        data = _field(event, "data")
        if _field(event, "type") != "metrics" or not isinstance(data, dict) or not isinstance(data.get("step"), int):
            continue
        by_step[data["step"]] = {key: data.get(key) for key in ("step", "total_steps", "train_mean_reward",
                                                                "full_valid_mean_reward")}
    return [by_step[step] for step in sorted(by_step)]


def _metrics_data(events: Iterable[Any]) -> list[dict[str, Any]]:
    data = [_field(e, "data") for e in events if _field(e, "type") == "metrics"]
    return sorted((d for d in data if isinstance(d, dict) and isinstance(d.get("step"), int)), key=lambda d: d["step"])


def final_rewards(events: Iterable[Any]) -> dict[str, Any]:
    """The job's last rewards, each with what it was measured on.

    On Azure `train_mean_reward` is the step's training batch and `full_valid_mean_reward` the validation set at
    the last evaluation. A stand-in dry run (`data.dry_run`) plays validation rows only, with a scripted policy:
    its `train_mean_reward` is the step's share of the VALIDATION rows, so it is never called a train reward here.
    """
    metrics = _metrics_data(events)
    last = metrics[-1] if metrics else {}
    dry_run = bool(last.get("dry_run"))
    valid = next((d for d in reversed(metrics) if d.get("full_valid_mean_reward") is not None), {})
    if not metrics:
        step_on = valid_on = "nothing: the job reported no metrics step"
    elif dry_run:
        def played(data: dict[str, Any]) -> int:
            return (data.get("rollouts") or {}).get("played") or 0

        every = sum(played(d) for d in metrics if d["step"] <= valid.get("step", 0))
        step_on = (f"the {played(last)} rollouts of step {last['step']} (validation rows: a dry run plays no "
                   "training rows; scripted policy)")
        valid_on = f"all {every} validation rollouts of steps 1-{valid.get('step')} (scripted policy)"
    else:
        step_on = f"the training batch of step {last.get('step')}"
        valid_on = (f"the validation set, evaluated at step {valid['step']}" if valid
                    else "nothing yet: no validation evaluation was reported")
    return {"steps": len(metrics), "dry_run": dry_run,
            "last_step_reward": {"value": last.get("train_mean_reward"), "measured_on": step_on},
            "validation_reward": {"value": valid.get("full_valid_mean_reward"), "measured_on": valid_on}}
