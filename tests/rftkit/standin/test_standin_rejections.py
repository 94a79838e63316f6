"""What the stand-in refuses, as the service documents it: a 400 in the service's error shape.

See docs/service-contract.md#job-body. Also the alpha graders endpoints (validate, run)."""

from __future__ import annotations

import copy
from dataclasses import replace

import httpx
import openai
import pytest

from rftkit.jobs.builders import job_a_spec, job_b_spec
from rftkit.standin import StandinServer
from tests import standin_support
from tests.rft_rows import ROWS
from tests.standin_support import FAST, client_for, events, upload_rows, wait_job

# The module-scoped fixtures shared by the stand-in test files (pytest finds them by name here).
app_url, standin, client, files = (standin_support.app_url, standin_support.standin, standin_support.client,
                                   standin_support.files)


ERROR_KEYS = {"message", "type", "param", "code"}


# -- graders ---------------------------------------------------------------------------------------------------------

def test_graders_validate_and_run(client, app_url):
    from rftkit.graders.presets import endpoint_grader, job_a_grader

    grader = job_a_grader()
    assert client.fine_tuning.alpha.graders.validate(grader=grader).grader.name == grader["name"]
    item = {"reference_answer": "JKT-URB-009"}
    right = client.fine_tuning.alpha.graders.run(grader=grader, model_sample="JKT-URB-009", item=item)
    wrong = client.fine_tuning.alpha.graders.run(grader=grader, model_sample="JKT-ALP-001", item=item)
    assert right.reward == 1.0 and right.sub_rewards == {"exact": 1.0, "fuzzy": 1.0}
    assert wrong.reward < 0.1 and wrong.sub_rewards["exact"] == 0.0
    endpoint = endpoint_grader(f"{app_url}/score")
    assert client.fine_tuning.alpha.graders.run(grader=endpoint, model_sample="JKT-URB-009", item=item).reward == 1.0


def test_graders_refuse_a_bad_grader_or_request(client, standin):
    from rftkit.graders.presets import job_a_grader

    grader = job_a_grader()
    grader["calculate_output"] = "exact + typo"
    with pytest.raises(openai.BadRequestError) as info:
        client.fine_tuning.alpha.graders.validate(grader=grader)
    assert (info.value.param, info.value.code) == ("grader.calculate_output", "invalid_grader")
    assert "typo" in info.value.message
    answer = httpx.post(standin.api_base + "fine_tuning/alpha/graders/run", json={"grader": job_a_grader()})
    assert answer.status_code == 400
    assert answer.json()["error"]["param"] == "model_sample"


# -- rejections of job creation (docs/service-contract.md#job-body) -------------------------------------------------

def test_the_error_shape_on_the_wire(standin):
    answer = httpx.post(standin.api_base + "fine_tuning/jobs", json={"training_file": "file-x"})
    assert answer.status_code == 400
    assert answer.json() == {"error": {"message": "Missing required parameter: 'model'.",
                                       "type": "invalid_request_error", "param": "model",
                                       "code": "missing_required_parameter"}}
    assert set(httpx.get(standin.api_base + "nothing/here").json()["error"]) == ERROR_KEYS


def _reinforcement(spec):
    return spec["method"]["reinforcement"]


REJECTIONS = {
    "no validation file": (lambda s, f: s.pop("validation_file"), "validation_file", "missing_required_parameter"),
    "supervised method": (lambda s, f: s["method"].update(type="supervised"), "method.type", "invalid_value"),
    "no method": (lambda s, f: s.pop("method"), "method.type", "invalid_value"),
    "unknown training file": (lambda s, f: s.update(training_file="file-nope"), "training_file", "invalid_file"),
    "validation file in error": (lambda s, f: s.update(validation_file=f["bad"].id), "validation_file",
                                 "invalid_file"),
    "label_model grader": (lambda s, f: _reinforcement(s).update(grader={"type": "label_model", "name": "x"}),
                           "method.reinforcement.grader.type", "invalid_grader"),
    "formula names no key": (lambda s, f: _reinforcement(s)["grader"].update(calculate_output="0.5 * exakt"),
                             "method.reinforcement.grader.calculate_output", "invalid_grader"),
    "formula operator": (lambda s, f: _reinforcement(s)["grader"].update(calculate_output="exact % 2"),
                         "method.reinforcement.grader.calculate_output", "invalid_grader"),
    "multi in multi": (lambda s, f: _reinforcement(s)["grader"]["graders"].update(
        fuzzy=copy.deepcopy(_reinforcement(s)["grader"])), "method.reinforcement.grader.graders.fuzzy.type",
        "invalid_grader"),
    "cosine metric": (lambda s, f: _reinforcement(s)["grader"]["graders"]["fuzzy"].update(
        evaluation_metric="cosine"), "method.reinforcement.grader.graders.fuzzy.evaluation_metric",
        "invalid_grader"),
    "tools url key": (lambda s, f: _reinforcement(s)["tools"][0].update(url=_reinforcement(s)["tools"][0].pop(
        "server_url")), "method.reinforcement.tools[0].server_url", "invalid_value"),
    "tools plain http": (lambda s, f: _reinforcement(s)["tools"][0].update(server_url="http://example.com/t"),
                         "method.reinforcement.tools[0].server_url", "invalid_value"),
    "tool not in rows": (lambda s, f: _reinforcement(s)["tools"][0].update(name="lookup"),
                         "method.reinforcement.tools[0].name", "invalid_value"),
    "n_epochs 0": (lambda s, f: _reinforcement(s)["hyperparameters"].update(n_epochs=0),
                   "method.reinforcement.hyperparameters.n_epochs", "invalid_value"),
    "batch_size 300": (lambda s, f: _reinforcement(s)["hyperparameters"].update(batch_size=300),
                       "method.reinforcement.hyperparameters.batch_size", "invalid_value"),
    "compute_multiplier 11": (lambda s, f: _reinforcement(s)["hyperparameters"].update(compute_multiplier=11),
                              "method.reinforcement.hyperparameters.compute_multiplier", "invalid_value"),
    "reasoning_effort": (lambda s, f: _reinforcement(s)["hyperparameters"].update(reasoning_effort="max"),
                         "method.reinforcement.hyperparameters.reasoning_effort", "invalid_value"),
    "max_episode_steps 0": (lambda s, f: _reinforcement(s).update(max_episode_steps=0),
                            "method.reinforcement.max_episode_steps", "invalid_value"),
    "max_episode_steps inside": (lambda s, f: _reinforcement(s)["hyperparameters"].update(max_episode_steps=5),
                                 "method.reinforcement.hyperparameters.max_episode_steps", "invalid_value"),
    "too much metadata": (lambda s, f: s.update(metadata={f"k{i}": "v" for i in range(17)}), "metadata",
                          "invalid_value"),
    "too many validation rows": (lambda s, f: s.update(validation_file=f["big"].id), "validation_file",
                                 "invalid_file"),
}


@pytest.fixture(scope="module")
def rejection_files(client, files, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("rejections")
    bad = upload_rows(client, tmp, ["not json"], name="bad.jsonl")
    big = upload_rows(client, tmp, [ROWS[0]] * 1_001, name="big.jsonl")
    assert (bad.status, big.status) == ("error", "processed")
    return {"train": files[0], "valid": files[1], "bad": bad, "big": big}


@pytest.mark.parametrize("name", list(REJECTIONS))
def test_documented_rejections(client, rejection_files, app_url, name):
    mutate, param, code = REJECTIONS[name]
    spec = job_a_spec(training_file=rejection_files["train"].id, validation_file=rejection_files["valid"].id,
                      rows=ROWS, tool_base_url=app_url)
    mutate(spec, rejection_files)
    before = len(list(client.fine_tuning.jobs.list(limit=100)))
    with pytest.raises(openai.BadRequestError) as info:
        client.fine_tuning.jobs.create(**spec)
    error = info.value
    assert (error.status_code, error.param, error.code, error.type) == (400, param, code, "invalid_request_error")
    assert error.message
    assert len(list(client.fine_tuning.jobs.list(limit=100))) == before  # nothing was created


def test_endpoint_grader_must_be_https_off_loopback(client, files, app_url):
    train, valid = files
    spec = job_b_spec(training_file=train.id, validation_file=valid.id, rows=ROWS, tool_base_url=app_url)
    _reinforcement(spec)["grader"]["url"] = "http://example.com/score"
    with pytest.raises(openai.BadRequestError) as info:
        client.fine_tuning.jobs.create(**spec)
    assert (info.value.param, info.value.code) == ("method.reinforcement.grader.url", "invalid_grader")
    assert "https" in info.value.message


def test_a_model_without_rft_support_is_refused_naming_the_supported_ones(client, files, app_url):
    train, valid = files
    spec = job_b_spec(training_file=train.id, validation_file=valid.id, rows=ROWS, tool_base_url=app_url)
    spec["model"] = "gpt-4o-mini"
    with pytest.raises(openai.BadRequestError) as info:
        client.fine_tuning.jobs.create(**spec)
    assert (info.value.param, info.value.code) == ("model", "model_not_supported")
    assert "o4-mini-2025-04-16" in info.value.message and "gpt-5-2025-08-07" in info.value.message
    assert "--allow-any-model" in info.value.message


def test_allow_any_model_runs_another_model_with_a_warning_event(app_url, tmp_path):
    with StandinServer(replace(FAST, allow_any_model=True)) as server:
        client = client_for(server)
        train, valid = upload_rows(client, tmp_path, name="t.jsonl"), upload_rows(client, tmp_path, name="v.jsonl")
        spec = job_b_spec(training_file=train.id, validation_file=valid.id, rows=ROWS, tool_base_url=app_url)
        spec["model"] = "gpt-4o-mini"
        job = client.fine_tuning.jobs.create(**spec)
        warned = [e for e in events(client, job.id) if e.level == "warn"]
        assert warned and "does not support reinforcement fine-tuning" in warned[0].message
        assert wait_job(client, job.id).status == "succeeded"


def test_allow_any_model_is_a_cli_flag():
    from rftkit.__main__ import build_parser
    from rftkit.commands.standin import config_from

    assert config_from(build_parser().parse_args(["standin"])).allow_any_model is False
    assert config_from(build_parser().parse_args(["standin", "--allow-any-model"])).allow_any_model is True


def test_deprecated_and_unknown_keys_are_accepted_with_warning_events(client, files, app_url):
    train, valid = files
    spec = job_b_spec(training_file=train.id, validation_file=valid.id, rows=ROWS, tool_base_url=app_url)
    spec["hyperparameters"] = {"n_epochs": 1}
    _reinforcement(spec)["max_episode_step"] = 3
    job = client.fine_tuning.jobs.create(**spec)
    warned = [e.message for e in events(client, job.id) if e.level == "warn"]
    assert any("deprecated in favour of `method`" in m for m in warned)
    assert any("method.reinforcement.max_episode_step is not a known key (did you mean 'max_episode_steps'?)" in m
               for m in warned)
    assert wait_job(client, job.id).status == "succeeded"
