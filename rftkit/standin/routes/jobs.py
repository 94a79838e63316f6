"""/fine_tuning/jobs: create (checked, then a background dry run), retrieve, list, events, checkpoints,
cancel, pause, resume. Lists are newest first, with `after` cursors, like the service's."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request

from rftkit.jobs.builders import spec_cautions
from rftkit.jobs.rules import GPT5_PREFIX, RFT_MODELS, is_known_model
from rftkit.standin.body import read_standin_json_object
from rftkit.standin.dryrun import run_dry_run
from rftkit.standin.errors import StandinError
from rftkit.standin.ids import new_id
from rftkit.standin.job_checks import check_create
from rftkit.standin.state import Job, StandinState, page

router = APIRouter(tags=["fine_tuning"])
PREFIX = "/fine_tuning/jobs"


def _state(request: Request) -> StandinState:
    return request.app.state.standin


@router.post(PREFIX)
async def create_job(request: Request) -> dict[str, Any]:
    state = _state(request)
    body = await read_standin_json_object(request)
    _, validation = check_create(body, state)
    job = state.add_job(Job(new_id("ftjob"), body, rows=list(validation.rows) if validation else []))
    job.event(f"Created fine-tuning job: {job.id}")
    if body["method"]["type"] == "supervised":
        from rftkit.sft.standin import run_supervised

        job.task = state.spawn(run_supervised(job, state))
        return job.public()
    if not is_known_model(body["model"]):  # only reached with allow_any_model (check_create refuses it otherwise)
        job.event(f"Model {body['model']!r} does not support reinforcement fine-tuning on Azure "
                  f"(supported: {', '.join(RFT_MODELS)}); the stand-in runs it because --allow-any-model is set.",
                  level="warn")
    for caution in spec_cautions(body):
        job.event(caution, level="warn")
    job.task = state.spawn(run_dry_run(job, state))
    return job.public()


@router.get(PREFIX)
async def list_jobs(request: Request, after: str | None = None, limit: int = 20) -> dict[str, Any]:
    # The SDK sends a metadata filter as `metadata[key]=value`.
    wanted = {k[len("metadata["):-1]: v for k, v in request.query_params.items()
              if k.startswith("metadata[") and k.endswith("]")}
    jobs = [j.public() for j in reversed(_state(request).jobs.values())
            if all((j.request.get("metadata") or {}).get(k) == v for k, v in wanted.items())]
    return page(jobs, after, limit)


@router.get(PREFIX + "/{job_id}")
async def retrieve_job(request: Request, job_id: str) -> dict[str, Any]:
    return _state(request).job(job_id).public()


@router.get(PREFIX + "/{job_id}/events")
async def list_events(request: Request, job_id: str, after: str | None = None, limit: int = 20) -> dict[str, Any]:
    return page(list(reversed(_state(request).job(job_id).events)), after, limit)


@router.get(PREFIX + "/{job_id}/checkpoints")
async def list_checkpoints(request: Request, job_id: str, after: str | None = None,
                           limit: int = 10) -> dict[str, Any]:
    return page(list(reversed(_state(request).job(job_id).checkpoints)), after, limit)


def _refuse(job: Job, action: str, why: str) -> StandinError:
    return StandinError(400, f"Cannot {action} job {job.id} (status {job.status!r}): {why}.",
                        param="fine_tuning_job_id", code="invalid_job_state")


@router.post(PREFIX + "/{job_id}/cancel")
async def cancel_job(request: Request, job_id: str) -> dict[str, Any]:
    job = _state(request).job(job_id)
    if job.finished:
        raise _refuse(job, "cancel", "it has already finished")
    job.finish("cancelled", "Job cancelled.")
    if job.task is not None:
        job.task.cancel()
    return job.public()


def _refuse_gpt5(job: Job, action: str) -> None:
    """Azure's preview: user-triggered pause and resume do not work for GPT-5 RFT jobs (no resumable checkpoints)."""
    if job.request["model"].startswith(GPT5_PREFIX):
        raise StandinError(400, f"Cannot {action} job {job.id}: user-triggered pause and resume are not supported for "
                            f"GPT-5 reinforcement fine-tuning jobs ({job.request['model']}); cancel the job instead, "
                            "or use o4-mini-2025-04-16 for a job you want to pause.",
                       param="fine_tuning_job_id", code="operation_not_supported")


@router.post(PREFIX + "/{job_id}/pause")
async def pause_job(request: Request, job_id: str) -> dict[str, Any]:
    job = _state(request).job(job_id)
    _refuse_gpt5(job, "pause")
    if job.status != "running" or job.steps_done == 0:
        raise _refuse(job, "pause", "only a running job that has completed a step can be paused")
    job.resumed.clear()
    job.set_status("paused", "Job paused (the dry run stops before its next step).")
    return job.public()


@router.post(PREFIX + "/{job_id}/resume")
async def resume_job(request: Request, job_id: str) -> dict[str, Any]:
    job = _state(request).job(job_id)
    _refuse_gpt5(job, "resume")
    if job.status != "paused":
        raise _refuse(job, "resume", "only a paused job can be resumed")
    job.set_status("pending", "Job resumed.")  # back to running when the dry run takes its next step
    job.resumed.set()
    return job.public()
