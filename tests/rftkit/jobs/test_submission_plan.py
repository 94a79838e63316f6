"""The plan shown before submitting (counts, billing, no price invented), the stop without SUBMIT, and reward
labels that say what each figure was measured on."""

from __future__ import annotations

from pathlib import Path

import pytest

from rftkit.jobs.builders import job_b_spec
from rftkit.jobs.monitor import final_rewards
from rftkit.jobs.submission import BILLING_NOTE, NothingSubmitted, require_submit, submission_plan

ROWS = [{"messages": [{"role": "user", "content": "x"}],
         "tools": [{"type": "function", "name": "search_catalog", "parameters": {"type": "object"}}],
         "reference_answer": "A"}]


def spec(**hyperparameters: object) -> dict:
    return job_b_spec(training_file="train.jsonl", validation_file="valid.jsonl", rows=ROWS,
                      tool_base_url="https://app.azurewebsites.net", func_key="secret-function-key",
                      hyperparameters=hyperparameters)


FILES = {"train.jsonl": (Path("data/train.jsonl"), 300), "valid.jsonl": (Path("data/valid.jsonl"), 50)}


def test_numeric_hyperparameters_give_samples_steps_and_evaluations():
    text = submission_plan({"B": spec(n_epochs=2, batch_size=16, eval_interval=5, eval_samples=4)}, FILES,
                           local=False)
    assert "300 training rows x 2 epochs = 600 training samples" in text
    assert "about 38 steps (2 x ceil(300 / batch_size 16))" in text
    assert "about 7 evaluations (every 5 steps)" in text
    assert "50 validation rows x 4 samples = 200 rollouts" in text
    assert BILLING_NOTE in text and "$5,000" in text
    assert "https://app.azurewebsites.net/tool/search_catalog (headers: X-Functions-Key)" in text
    assert "secret-function-key" not in text


def test_auto_hyperparameters_are_said_to_be_the_services_choice_and_no_price_is_invented():
    text = submission_plan({"B": spec()}, FILES, local=False)
    assert "n_epochs auto: the service picks the epochs" in text and "step count is the service's choice" in text
    assert "$" not in text.replace("$5,000", "")


def test_the_standin_plan_says_free_and_never_stops():
    text = submission_plan({"B": spec()}, FILES, local=True)
    assert text.startswith("LOCAL STAND-IN") and "HOUR" not in text
    assert "dry runs" in require_submit(local=True, submit=False)


def test_azure_without_submit_stops_with_how_to_submit():
    with pytest.raises(NothingSubmitted, match="Nothing was submitted.*SUBMIT = True.*--submit"):
        require_submit(local=False, submit=False)
    assert "SUBMIT = True" in require_submit(local=False, submit=True)
    assert NothingSubmitted("stop")._render_traceback_() == ["NothingSubmitted: stop"]


def metrics(step: int, train: float, valid: float | None, **extra: object) -> dict:
    return {"type": "metrics", "data": {"step": step, "train_mean_reward": train, "full_valid_mean_reward": valid,
                                        **extra}}


def test_azure_rewards_are_train_batch_and_the_last_evaluation():
    events = [metrics(1, 0.2, None), metrics(3, 0.5, 0.6), metrics(4, 0.55, None), {"type": "message"}]
    rewards = final_rewards(list(reversed(events)))  # the API lists newest first
    assert rewards["dry_run"] is False and rewards["steps"] == 3
    assert rewards["last_step_reward"] == {"value": 0.55, "measured_on": "the training batch of step 4"}
    assert rewards["validation_reward"] == {"value": 0.6, "measured_on": "the validation set, evaluated at step 3"}


def test_dry_run_rewards_are_never_called_train_rewards():
    events = [metrics(s, 0.5 + s / 10, 0.7, dry_run=True, rollouts={"played": 20}) for s in (1, 2, 3)]
    rewards = final_rewards(events)
    assert rewards["dry_run"] is True
    assert rewards["last_step_reward"]["measured_on"].startswith("the 20 rollouts of step 3 (validation rows")
    assert rewards["validation_reward"]["measured_on"] == "all 60 validation rollouts of steps 1-3 (scripted policy)"
    assert "train" not in rewards["last_step_reward"]["measured_on"].replace("no training rows", "")


def test_a_job_without_metrics_claims_no_reward():
    rewards = final_rewards([{"type": "message", "data": None}])
    assert rewards["steps"] == 0 and rewards["last_step_reward"]["value"] is None
    assert rewards["validation_reward"]["measured_on"] == "nothing: the job reported no metrics step"
