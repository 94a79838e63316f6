"""Following a submitted job: wait for a terminal status, and read the reward curve from its `metrics` events.

Works the same against Azure and the local stand-in (both answer with the service's job and event shapes).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from typing import Any

from .job_status import TERMINAL_STATUSES

__all__ = ["TERMINAL_STATUSES", "reward_curve", "wait_for_job"]


def wait_for_job(client: Any, job_id: str, *, poll_interval: float = 5.0, timeout: float | None = None,
                 on_update: Callable[[Any], None] | None = None) -> Any:
    """Poll `client.fine_tuning.jobs.retrieve` until the job ends; `on_update(job)` after every poll.

    Returns the final job (check `status` and `error`); TimeoutError after `timeout` seconds. A paused job is
    not terminal: this keeps waiting until it is resumed or cancelled.
    """
    deadline = None if timeout is None else time.monotonic() + timeout
    while True:
        job = client.fine_tuning.jobs.retrieve(job_id)
        if on_update is not None:
            on_update(job)
        if job.status in TERMINAL_STATUSES:
            return job
        if deadline is not None and time.monotonic() > deadline:
            raise TimeoutError(f"job {job_id} is still {job.status!r} after {timeout} s")
        time.sleep(poll_interval)


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
