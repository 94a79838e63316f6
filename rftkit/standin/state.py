"""The stand-in's memory: uploaded files and jobs, bounded, plus cursor pagination shaped like the service's.

Everything is touched only from the server's event loop (all handlers are `async def`), so no locks are needed.
"""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from collections.abc import Coroutine
from dataclasses import dataclass, field
from typing import Any

from rftkit.jobs.status import TERMINAL_STATUSES
from rftkit.standin.config import StandinConfig
from rftkit.standin.errors import StandinError, not_found
from rftkit.standin.ids import new_id, now


@dataclass
class StoredFile:
    id: str
    filename: str
    purpose: str
    data: bytes
    created_at: int = field(default_factory=now)
    status: str = "pending"
    status_details: str | None = None
    rows: list[dict[str, Any]] = field(default_factory=list)

    def public(self) -> dict[str, Any]:
        return {"id": self.id, "object": "file", "bytes": len(self.data), "created_at": self.created_at,
                "filename": self.filename, "purpose": self.purpose, "status": self.status,
                "status_details": self.status_details, "expires_at": None}


@dataclass
class Job:
    id: str
    request: dict[str, Any]  # the create body as received (checked)
    rows: list[dict[str, Any]] = field(default_factory=list)  # the validation rows the dry run plays
    created_at: int = field(default_factory=now)
    status: str = "validating_files"
    error: dict[str, Any] | None = None
    fine_tuned_model: str | None = None
    finished_at: int | None = None
    result_files: list[str] = field(default_factory=list)
    events: list[dict[str, Any]] = field(default_factory=list)
    checkpoints: list[dict[str, Any]] = field(default_factory=list)
    steps_done: int = 0
    trained_tokens: int | None = None
    max_events: int = 1_000
    task: asyncio.Task[None] | None = None
    # Set while the job may run; cleared by pause. The dry run waits on it between steps.
    resumed: asyncio.Event = field(default_factory=asyncio.Event)

    def __post_init__(self) -> None:
        self.resumed.set()

    @property
    def reinforcement(self) -> dict[str, Any]:
        return self.request["method"]["reinforcement"]

    @property
    def finished(self) -> bool:
        return self.status in TERMINAL_STATUSES

    def set_status(self, status: str, message: str) -> None:
        """Move to `status`, with the event that says so (so a client sees every state, even a short one)."""
        self.status = status
        self.event(message)

    def event(self, message: str, *, level: str = "info", kind: str = "message",
              data: dict[str, Any] | None = None) -> None:
        self.events.append({"id": new_id("ftevent"), "object": "fine_tuning.job.event", "created_at": now(),
                            "level": level, "message": message, "type": kind, "data": data or {}})
        del self.events[:-self.max_events]  # keep the newest

    def finish(self, status: str, message: str, *, level: str = "info",
               error: dict[str, Any] | None = None) -> None:
        self.status, self.error, self.finished_at = status, error, now()
        self.resumed.set()
        self.event(message, level=level)

    def public(self) -> dict[str, Any]:
        body = self.request
        method = body["method"]
        hyper = (method.get(method["type"]) or {}).get("hyperparameters") or {}
        return {
            "id": self.id, "object": "fine_tuning.job", "created_at": self.created_at, "error": self.error,
            "fine_tuned_model": self.fine_tuned_model, "finished_at": self.finished_at,
            "hyperparameters": {k: hyper.get(k, "auto") for k in ("batch_size", "learning_rate_multiplier",
                                                                   "n_epochs")},
            "model": body["model"], "organization_id": "org-local-standin", "result_files": self.result_files,
            "seed": body.get("seed", 0), "status": self.status, "trained_tokens": self.trained_tokens,
            "training_file": body["training_file"], "validation_file": body.get("validation_file"),
            "estimated_finish": None, "integrations": [], "metadata": body.get("metadata"),
            "method": body["method"], "suffix": body.get("suffix"),
        }


class StandinState:
    def __init__(self, config: StandinConfig):
        self.config = config
        self.files: OrderedDict[str, StoredFile] = OrderedDict()
        self.jobs: OrderedDict[str, Job] = OrderedDict()
        self._tasks: set[asyncio.Task[Any]] = set()  # strong references: the loop keeps only weak ones

    def spawn(self, coro: Coroutine[Any, Any, Any]) -> asyncio.Task[Any]:
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    async def shutdown(self) -> None:
        """Cancel background work (file processing, dry runs) and wait for it to end."""
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    def file_bytes(self) -> int:
        return sum(len(f.data) for f in self.files.values())

    def add_file(self, stored: StoredFile) -> StoredFile:
        if len(self.files) >= self.config.max_files:
            raise StandinError(400, f"The stand-in holds at most {self.config.max_files} files: delete some first.",
                               param="file", code="quota_exceeded")
        if self.file_bytes() + len(stored.data) > self.config.max_total_file_bytes:
            raise StandinError(400, f"The stand-in holds at most {self.config.max_total_file_bytes} bytes of files: "
                                "delete some first.", param="file", code="quota_exceeded")
        self.files[stored.id] = stored
        return stored

    def file(self, file_id: str, param: str = "file_id") -> StoredFile:
        stored = self.files.get(file_id)
        if stored is None:
            raise not_found("file", file_id, param)
        return stored

    def add_job(self, job: Job) -> Job:
        if len(self.jobs) >= self.config.max_jobs:
            oldest_done = next((j for j in self.jobs.values() if j.finished), None)
            if oldest_done is None:
                raise StandinError(400, f"The stand-in runs at most {self.config.max_jobs} jobs at a time: cancel one.",
                                   code="quota_exceeded")
            del self.jobs[oldest_done.id]
        job.max_events = self.config.max_events_per_job
        self.jobs[job.id] = job
        return job

    def job(self, job_id: str) -> Job:
        job = self.jobs.get(job_id)
        if job is None:
            raise not_found("fine-tuning job", job_id, "fine_tuning_job_id")
        return job


def page(items: list[dict[str, Any]], after: str | None, limit: int, max_limit: int = 100) -> dict[str, Any]:
    """A cursor page: `items` in the order listed, starting after the item whose id is `after`."""
    start = 0
    if after is not None:
        ids = [item["id"] for item in items]
        start = ids.index(after) + 1 if after in ids else len(items)
    limit = max(1, min(limit, max_limit))
    chunk = items[start:start + limit]
    return {"object": "list", "data": chunk, "has_more": start + limit < len(items),
            "first_id": chunk[0]["id"] if chunk else None, "last_id": chunk[-1]["id"] if chunk else None}
