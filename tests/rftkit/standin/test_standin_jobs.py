"""The stand-in's fine-tuning jobs with the real `openai` client: create A and B, events, checkpoints, list,
cancel, pause and resume, bounds, and following a job with `rftkit.jobs.monitor`."""

from __future__ import annotations

import csv
import io
import re

import openai
import pytest

from rftkit.jobs.builders import job_a_spec, job_b_spec
from rftkit.jobs.monitor import reward_curve, wait_for_job
from rftkit.standin import StandinConfig, StandinServer
from rftkit.util.servers import BackgroundServer
from tests import standin_support
from tests.rft_rows import ROWS
from tests.standin_support import client_for, events, metrics, upload_rows, wait_for, wait_job

# The module-scoped fixtures shared by the stand-in test files (pytest finds them by name here).
app_url, standin, client, files = (standin_support.app_url, standin_support.standin, standin_support.client,
                                   standin_support.files)


@pytest.fixture(scope="module")
def finished_jobs(client, files, app_url):
    """Job A and Job B, created from the builders' specs and run to the end."""
    train, valid = files
    common = {"training_file": train.id, "validation_file": valid.id, "rows": ROWS, "tool_base_url": app_url}
    created = [client.fine_tuning.jobs.create(**job_a_spec(**common)),
               client.fine_tuning.jobs.create(**job_b_spec(**common))]
    return created, [wait_job(client, job.id) for job in created]


# -- jobs ------------------------------------------------------------------------------------------------------------

def test_create_returns_a_service_shaped_job(finished_jobs, app_url):
    created, _ = finished_jobs
    job_a, job_b = created
    for job in created:
        assert re.fullmatch(r"ftjob-[0-9a-f]{24}", job.id)
        assert job.object == "fine_tuning.job" and job.status == "validating_files"
        assert job.fine_tuned_model is None and job.finished_at is None
    assert job_a.model == "gpt-5-2025-08-07" and job_b.model == "o4-mini-2025-04-16"
    reinforcement = job_b.to_dict(warnings=False)["method"]["reinforcement"]  # the SDK has no endpoint grader type
    assert reinforcement["tools"] == [{"name": "search_catalog", "server_url": f"{app_url}/tool/search_catalog"}]
    assert reinforcement["max_episode_steps"] == 10
    assert reinforcement["grader"]["type"] == "endpoint"


def test_jobs_succeed_with_a_fine_tuned_model_name(finished_jobs):
    created, finished = finished_jobs
    for before, job in zip(created, finished, strict=True):
        assert job.status == "succeeded", job.error
        assert job.fine_tuned_model == f"{before.model}.ft-{job.id.removeprefix('ftjob-')}-{before.suffix}"
        assert job.finished_at is not None and job.error is None


def test_events_say_it_is_a_dry_run_and_carry_metrics(client, finished_jobs):
    _, finished = finished_jobs
    for job in finished:
        listed = events(client, job.id)
        assert all(e.object == "fine_tuning.job.event" and e.id.startswith("ftevent-") for e in listed)
        assert any("DRY RUN" in e.message and "no model is trained" in e.message for e in listed)
        steps = [e for e in listed if e.type == "metrics"]
        assert len(steps) == 3  # 3 validation rows, 3 steps
        for number, event in enumerate(steps, 1):
            assert re.match(rf"Step {number}/3 , train mean reward=[0-9.]+, full validation mean reward=[0-9.]+",
                            event.message)
            data = event.data
            assert (data["step"], data["total_steps"]) == (number, 3)
            assert data["train_mean_reward"] == 1.0 and data["full_valid_mean_reward"] == 1.0
            assert set(data["scores"]) == {"train_reward_mean", "valid_reward_mean", "graders"}
            assert all({"name", "type", "train_reward_mean", "valid_reward_mean"} <= set(g)
                       for g in data["scores"]["graders"])
        assert listed[-1].message == "The job has successfully completed."


def test_multi_grader_metrics_list_each_sub_grader(client, finished_jobs):
    job_a = finished_jobs[1][0]
    graders = metrics(client, job_a.id)[-1]["scores"]["graders"]
    assert [(g["name"], g["type"]) for g in graders] == [("exact", "string_check"), ("fuzzy", "text_similarity")]


def test_events_are_newest_first_and_paginate(client, finished_jobs):
    job = finished_jobs[1][1]
    first = client.fine_tuning.jobs.list_events(job.id, limit=2)
    assert len(first.data) == 2 and first.has_more
    everything = list(client.fine_tuning.jobs.list_events(job.id, limit=2))  # the SDK follows `after`
    assert [e.id for e in everything] == [e.id for e in reversed(events(client, job.id))]
    assert everything[0].created_at >= everything[-1].created_at


def test_checkpoints_and_result_file(client, finished_jobs):
    job = finished_jobs[1][1]
    checkpoints = list(client.fine_tuning.jobs.checkpoints.list(job.id))
    assert len(checkpoints) == 1
    checkpoint = checkpoints[0]
    assert checkpoint.object == "fine_tuning.job.checkpoint" and checkpoint.id.startswith("ftckpt-")
    assert (checkpoint.step_number, checkpoint.fine_tuning_job_id) == (3, job.id)
    assert checkpoint.fine_tuned_model_checkpoint.startswith(job.fine_tuned_model)
    rows = list(csv.DictReader(io.StringIO(client.files.content(job.result_files[0]).text)))
    assert [r["step"] for r in rows] == ["1", "2", "3"]


def test_list_jobs_newest_first(client, finished_jobs):
    created, _ = finished_jobs
    listed = [j.id for j in client.fine_tuning.jobs.list(limit=100)]
    assert listed.index(created[1].id) < listed.index(created[0].id)


def test_unknown_ids_are_404_in_the_error_shape(client):
    with pytest.raises(openai.NotFoundError) as info:
        client.fine_tuning.jobs.retrieve("ftjob-nope")
    assert (info.value.param, info.value.code) == ("fine_tuning_job_id", "not_found")
    with pytest.raises(openai.NotFoundError):
        client.fine_tuning.jobs.list_events("ftjob-nope")
    with pytest.raises(openai.NotFoundError):
        client.files.retrieve("file-nope")


# -- cancel, pause, resume -------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def slow_standin():
    """Steps that take a while, so that pause, resume and cancel act mid-run."""
    with StandinServer(StandinConfig(status_delay=0.3, step_delay=0.8, retry_backoff=0.01)) as server:
        yield server


@pytest.fixture(scope="module")
def slow(slow_standin, app_url, tmp_path_factory):
    """A client of the slow stand-in and Job A's spec (gpt-5); `slow_b` gives Job B's (o4-mini)."""
    client = client_for(slow_standin)
    tmp = tmp_path_factory.mktemp("slow")
    train, valid = upload_rows(client, tmp, name="t.jsonl"), upload_rows(client, tmp, name="v.jsonl")
    spec = job_a_spec(training_file=train.id, validation_file=valid.id, rows=ROWS, tool_base_url=app_url)
    return client, spec


@pytest.fixture(scope="module")
def slow_b(slow, app_url):
    client, spec_a = slow
    return client, job_b_spec(training_file=spec_a["training_file"], validation_file=spec_a["validation_file"],
                              rows=ROWS, tool_base_url=app_url)


def test_cancel_stops_the_job(slow):
    client, spec = slow
    job = client.fine_tuning.jobs.create(**spec)
    cancelled = client.fine_tuning.jobs.cancel(job.id)
    assert cancelled.status == "cancelled" and cancelled.finished_at is not None
    # The background run reports its own end; a cancel that left it running never says so (and it moves on).
    wait_for(lambda: "Dry run stopped after 0 step(s)." in _status_messages(client, job.id))
    assert client.fine_tuning.jobs.retrieve(job.id).status == "cancelled"
    assert metrics(client, job.id) == []
    with pytest.raises(openai.BadRequestError) as info:
        client.fine_tuning.jobs.cancel(job.id)
    assert info.value.code == "invalid_job_state"


def _status_messages(client, job_id):
    return [e.message for e in events(client, job_id)]


def test_a_job_goes_through_pending_before_running(client, files, app_url):
    train, valid = files
    spec = job_b_spec(training_file=train.id, validation_file=valid.id, rows=ROWS, tool_base_url=app_url)
    job = client.fine_tuning.jobs.create(**spec)
    assert wait_job(client, job.id).status == "succeeded"
    messages = _status_messages(client, job.id)
    order = [next(i for i, m in enumerate(messages) if m.startswith(prefix))
             for prefix in ("Validating training file", "Job enqueued", "Job pending", "Fine-tuning job started")]
    assert order == sorted(order)


@pytest.mark.slow
def test_pause_stops_the_steps_and_resume_passes_through_pending(slow_b):
    client, spec = slow_b
    job = client.fine_tuning.jobs.create(**spec)
    with pytest.raises(openai.BadRequestError) as early:
        client.fine_tuning.jobs.pause(job.id)  # not running yet: nothing trained to pause after
    assert early.value.code == "invalid_job_state"
    wait_for(lambda: len(metrics(client, job.id)) >= 1)
    paused = client.fine_tuning.jobs.pause(job.id)
    assert paused.status == "paused"
    # The dry run itself reports that it stopped, naming the last step it finished; a dry run that ignored the
    # pause never says so (and would go on reporting steps).
    held = wait_for(lambda: [m for m in _status_messages(client, job.id) if m.startswith("Training paused after")])
    steps_before = int(held[0].split("step ")[1].split(":")[0])
    assert [m["step"] for m in metrics(client, job.id)] == list(range(1, steps_before + 1))
    assert client.fine_tuning.jobs.retrieve(job.id).status == "paused"
    with pytest.raises(openai.BadRequestError):
        client.fine_tuning.jobs.pause(job.id)
    assert client.fine_tuning.jobs.resume(job.id).status == "pending"
    done = wait_job(client, job.id)
    assert done.status == "succeeded"
    assert [m["step"] for m in metrics(client, job.id)] == [1, 2, 3]
    messages = _status_messages(client, job.id)
    resumed, continued = messages.index("Job resumed."), messages.index(f"Training continues from step "
                                                                        f"{steps_before + 1}.")
    assert messages.index(held[0]) < resumed < continued
    with pytest.raises(openai.BadRequestError) as late:
        client.fine_tuning.jobs.resume(job.id)
    assert late.value.code == "invalid_job_state"


@pytest.mark.slow
def test_gpt5_jobs_refuse_pause_and_resume(slow):
    client, spec = slow  # Job A: gpt-5-2025-08-07
    job = client.fine_tuning.jobs.create(**spec)
    wait_for(lambda: len(metrics(client, job.id)) >= 1)  # a state in which an o4-mini job could be paused
    for action in (client.fine_tuning.jobs.pause, client.fine_tuning.jobs.resume):
        with pytest.raises(openai.BadRequestError) as refused:
            action(job.id)
        assert refused.value.code == "operation_not_supported" and "GPT-5" in refused.value.message
    assert client.fine_tuning.jobs.retrieve(job.id).status not in ("paused", "pending")
    client.fine_tuning.jobs.cancel(job.id)


# -- bounds ----------------------------------------------------------------------------------------------------------

@pytest.mark.slow
def test_job_count_is_bounded_and_finished_jobs_make_room(app_url, tmp_path):
    config = StandinConfig(max_jobs=1, status_delay=0.3, retry_backoff=0.01)
    with StandinServer(config) as server:
        client = client_for(server)
        train, valid = upload_rows(client, tmp_path, name="t.jsonl"), upload_rows(client, tmp_path, name="v.jsonl")
        spec = job_a_spec(training_file=train.id, validation_file=valid.id, rows=ROWS, tool_base_url=app_url)
        first = client.fine_tuning.jobs.create(**spec)
        with pytest.raises(openai.BadRequestError) as full:
            client.fine_tuning.jobs.create(**spec)  # the first one is still running
        assert full.value.code == "quota_exceeded"
        assert wait_job(client, first.id).status == "succeeded"
        second = client.fine_tuning.jobs.create(**spec)  # the finished job is forgotten to make room
        assert [j.id for j in client.fine_tuning.jobs.list()] == [second.id]
        with pytest.raises(openai.NotFoundError):
            client.fine_tuning.jobs.retrieve(first.id)
        assert wait_job(client, second.id).status == "succeeded"


def test_a_server_that_cannot_start_says_so():
    async def broken_lifespan(scope, receive, send):
        if scope["type"] == "lifespan":
            await receive()
            await send({"type": "lifespan.startup.failed", "message": "boom"})

    server = BackgroundServer(broken_lifespan)
    with pytest.raises(RuntimeError, match="did not start"):
        server.start(timeout=10)


# -- following a job (rftkit.jobs.monitor) -----------------------------------------------------------------------------

def test_wait_for_job_and_reward_curve(client, files, app_url):
    train, valid = files
    spec = job_b_spec(training_file=train.id, validation_file=valid.id, rows=ROWS, tool_base_url=app_url)
    job = client.fine_tuning.jobs.create(**spec)
    seen = []
    done = wait_for_job(client, job.id, poll_interval=0.05, timeout=30, on_update=lambda j: seen.append(j.status))
    assert done.status == "succeeded" and seen[-1] == "succeeded" and len(seen) >= 2
    curve = reward_curve(client.fine_tuning.jobs.list_events(job.id, limit=100))
    assert [(p["step"], p["total_steps"]) for p in curve] == [(1, 3), (2, 3), (3, 3)]
    assert all(p["train_mean_reward"] == 1.0 and p["full_valid_mean_reward"] == 1.0 for p in curve)


def test_wait_for_job_times_out(slow):
    client, spec = slow
    job = client.fine_tuning.jobs.create(**spec)
    with pytest.raises(TimeoutError, match="still"):
        wait_for_job(client, job.id, poll_interval=0.05, timeout=0.1)
    client.fine_tuning.jobs.cancel(job.id)


def test_reward_curve_ignores_other_events():
    events = [{"type": "message", "data": {}}, {"type": "metrics", "data": {"step": 2, "total_steps": 2}},
              {"type": "metrics", "data": {"step": 1, "total_steps": 2, "train_mean_reward": 0.5}}]
    assert [p["step"] for p in reward_curve(events)] == [1, 2]
    assert reward_curve(events)[0]["train_mean_reward"] == 0.5
