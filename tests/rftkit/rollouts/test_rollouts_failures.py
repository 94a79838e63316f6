"""Tool and grader failures are reported per rollout, classified, retried like the service — never raised."""

from __future__ import annotations

import asyncio
import json
import time

import pytest

from rftkit.rollouts import ScriptedPolicy, run_rollouts
from rftkit.rollouts.scripted import NOT_FOUND
from tests.rollouts_support import endpoint_grader, make_row, misbehaving_app, tool_entry
from tests.support import free_port, make_app, serve

ROW = make_row("row-1", "What is the SKU of the Urban Puffer?", "JKT-URB-009")


@pytest.fixture(scope="module")
def policy(catalog) -> ScriptedPolicy:
    return ScriptedPolicy(catalog=catalog)


@pytest.fixture(scope="module")
def grader_url():
    """The real app, for grading."""
    with serve(make_app()) as url:
        yield url


def dry_run(tool_url, grader_url, policy, rows=(ROW,), **options):
    options = {"retry_backoff": 0.01, "time_limit": 30, **options}
    return asyncio.run(run_rollouts(list(rows), tools=[tool_entry(tool_url, options.pop("headers", None))],
                                    grader=endpoint_grader(grader_url), policy=policy, **options))


def test_a_tool_5xx_is_retried_three_times_then_the_rollout_is_discarded(grader_url, policy):
    tool = misbehaving_app(status=503)
    with serve(tool) as url:
        report = dry_run(url, grader_url, policy, samples_per_row=2)

    assert tool.state.calls["n"] == 2 * 4  # 1 try + 3 retries per rollout
    assert report.status_counts() == {"graded": 0, "discarded": 2, "failed": 0, "time_limit": 0}
    assert report.error_counts() == {"tool:http_503": 8}
    assert report.exit_code == 1
    assert all(e.reward is None and e.tool_calls[0].attempts == 4 for e in report.episodes)
    assert "tool:http_503 x8" in report.render()


def test_a_transient_5xx_that_recovers_is_graded_but_still_reported(grader_url, policy):
    tool = misbehaving_app(fail_first=1)
    with serve(tool) as url:
        report = dry_run(url, grader_url, policy)

    (episode,) = report.episodes
    assert episode.status == "graded" and episode.final_answer == "JKT-URB-009"
    assert episode.tool_calls[0].attempts == 2 and report.error_counts() == {"tool:http_503": 1}
    assert report.exit_code == 1


@pytest.mark.slow
def test_a_tool_that_times_out_is_reported_within_the_request_timeout(grader_url, policy):
    tool = misbehaving_app(sleep=2)
    with serve(tool) as url:
        started = time.monotonic()
        report = dry_run(url, grader_url, policy, request_timeout=0.3, retries=1)
        elapsed = time.monotonic() - started

    assert elapsed < 3
    assert report.error_counts() == {"tool:timeout": 2}
    assert report.status_counts()["discarded"] == 1 and report.exit_code == 1
    assert report.episodes[0].tool_calls[0].latency_ms >= 300


def test_a_tool_nobody_listens_on_is_a_connection_error(grader_url, policy):
    report = dry_run(f"http://127.0.0.1:{free_port()}", grader_url, policy, retries=0)
    assert report.error_counts() == {"tool:connection_error": 1} and report.exit_code == 1


def test_a_4xx_is_shown_to_the_model_and_the_rollout_goes_on(policy):
    locked = make_app(tool_auth_disabled=False, tool_api_key="s3cret")
    with serve(locked) as url:
        report = dry_run(url, url, policy)
        fixed = dry_run(url, url, policy, headers={"X-Functions-Key": "s3cret"})

    (episode,) = report.episodes
    # The scripted policy reads the error, retries with fewer filters, then gives up: graded, reward 0.
    assert episode.status == "graded" and episode.final_answer == NOT_FOUND and episode.reward == 0.0
    assert [c.status_code for c in episode.tool_calls] == [401, 401]
    assert json.loads(episode.tool_calls[0].output)["error"]["code"]
    assert report.error_counts() == {"tool:http_401": 2} and report.exit_code == 1
    assert fixed.exit_code == 0 and fixed.episodes[0].reward == 1.0  # the job's headers are forwarded


def test_a_tool_answer_without_output_is_malformed(grader_url, policy):
    with serve(misbehaving_app(body={"items": []})) as url:
        report = dry_run(url, grader_url, policy)
    # The policy reads the raw answer, finds nothing, retries once with fewer filters: two malformed answers.
    assert report.error_counts() == {"tool:malformed_output": 2} and report.exit_code == 1
    (episode,) = report.episodes
    assert [json.loads(c.output) for c in episode.tool_calls] == [{"items": []}] * 2
    assert episode.status == "graded" and episode.final_answer == NOT_FOUND


def test_a_failing_grader_is_retried_then_the_rollout_is_discarded(policy):
    with serve(make_app()) as tool_url, serve(misbehaving_app(status=500)) as bad_grader:
        report = dry_run(tool_url, bad_grader, policy, samples_per_row=3)
    assert report.error_counts() == {"grader:http_500": 12}
    assert report.status_counts()["discarded"] == 3 and report.exit_code == 1
    assert report.summary()["latency_ms"]["grader"]["n"] == 3


def test_a_grader_score_outside_0_1_is_used_and_noted(policy):
    """Endpoint graders may score on their own scale (Azure's sample: 0-5): kept, with a note, not discarded."""
    with serve(make_app()) as tool_url, serve(misbehaving_app(body={"score": 7})) as own_scale:
        report = dry_run(tool_url, own_scale, policy, retries=0)
    assert report.error_counts() == {} and report.status_counts()["graded"] == 1
    episode = report.episodes[0]
    assert episode.reward == 7.0 and "outside [0, 1]" in episode.notes["score_outside_0_1"]
    assert report.summary()["rewards_outside_0_1"] == 1
    assert "1 graded rollouts scored outside [0, 1]" in report.render()


def test_a_grader_score_that_is_not_a_number_is_malformed(policy):
    with serve(make_app()) as tool_url, serve(misbehaving_app(body={"score": "high"})) as bad_grader:
        report = dry_run(tool_url, bad_grader, policy, retries=0)
    assert report.error_counts() == {"grader:malformed_output": 1}


@pytest.mark.slow
def test_the_total_time_limit_stops_the_run_and_reports_every_unfinished_rollout(grader_url, policy):
    with serve(misbehaving_app(sleep=3)) as url:
        started = time.monotonic()
        report = dry_run(url, grader_url, policy, rows=[ROW] * 4, concurrency=2, time_limit=0.5,
                         request_timeout=10)
        elapsed = time.monotonic() - started

    assert elapsed < 2.5
    assert report.status_counts()["time_limit"] == 4 and report.exit_code == 1
    assert report.error_counts() == {"runner:time_limit": 4}
    messages = sorted(e.errors[0].message.split(":")[0] for e in report.episodes)
    assert messages == ["cut short", "cut short", "never started", "never started"]


@pytest.mark.slow
def test_on_episode_sees_each_rollout_and_a_cancelled_caller_stops_the_run(grader_url, policy):
    seen = []
    tool = misbehaving_app(sleep=0.5)
    with serve(tool) as url:
        report = dry_run(url, grader_url, policy, rows=[ROW] * 3, on_episode=seen.append)
        assert sorted(id(e) for e in seen) == sorted(id(e) for e in report.episodes)

        async def impatient():
            await asyncio.wait_for(run_rollouts([ROW] * 20, tools=[tool_entry(url)],
                                                grader=endpoint_grader(grader_url), policy=policy, concurrency=2),
                                   timeout=0.2)

        calls_before = tool.state.calls["n"]
        with pytest.raises(asyncio.TimeoutError):
            asyncio.run(impatient())
        time.sleep(0.7)
        assert tool.state.calls["n"] - calls_before == 2  # the two rollouts in flight, then nothing more
