"""Knobs of the stand-in: memory bounds and the pace of a dry-run job."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class StandinConfig:
    # Memory bounds: everything lives in this process.
    max_files: int = 100
    max_file_bytes: int = 64 * 1024 * 1024
    max_total_file_bytes: int = 256 * 1024 * 1024
    max_jobs: int = 50  # when full, the oldest finished job is forgotten; if none has finished, creation is refused
    max_events_per_job: int = 1_000
    # Azure answers an upload with `pending` and processes later; 0 processes during the upload request.
    file_processing_delay: float = 0.0
    # Seconds spent in `validating_files` and in `queued`, so a poller sees the states the service goes through.
    status_delay: float = 0.2
    # Dry run: the validation rows are split into this many metrics steps (fewer when there are fewer rows).
    steps: int = 3
    samples_per_row: int = 1
    concurrency: int = 16
    rollout_time_limit: float = 300.0  # seconds per step
    request_timeout: float = 60.0  # per tool or grader call
    retries: int = 3  # the service retries a failed call at most 3 times
    retry_backoff: float = 0.5
    step_delay: float = 0.0  # pause between steps, long enough to try pause/resume/cancel on a tiny dataset
    policy_error_rate: float = 0.0  # > 0: the scripted policy makes seeded mistakes, so rewards vary
    # The service refuses models that do not support RFT; True lets the stand-in run any model name (experiments).
    allow_any_model: bool = False
