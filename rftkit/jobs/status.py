"""The statuses a fine-tuning job goes through, in one place: the stand-in sets them, the monitor and the notebook
wait on them.

The service's order: validating_files -> queued -> pending -> running -> succeeded | failed | cancelled. `pending`
shows before and between running phases (a resumed job passes through it); `paused` is left by resume or cancel.
Sources: docs/service-contract.md#files-job-statuses-and-monitoring.
"""

from __future__ import annotations

JOB_STATUSES = ("validating_files", "queued", "pending", "running", "paused", "succeeded", "failed", "cancelled")
TERMINAL_STATUSES = frozenset({"succeeded", "failed", "cancelled"})
ACTIVE_STATUSES = tuple(status for status in JOB_STATUSES if status not in TERMINAL_STATUSES)


def is_terminal(status: str) -> bool:
    return status in TERMINAL_STATUSES
