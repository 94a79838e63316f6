"""run_grader / arun_grader: the graders/run response shape, Job A's grader, samples, and graders not run locally."""

from __future__ import annotations

import asyncio

import pytest
from rapidfuzz import fuzz

from rftkit.graders import arun_grader, run_grader, sample_from_text, validate_grader
from rftkit.graders.presets import endpoint_grader, job_a_grader
from rftkit.graders.result import ERROR_DETAILS, ERROR_FLAGS

ITEM = {"reference_answer": "JKT-URB-009", "id": "valid-0001"}
SERVICE_ERROR_KEYS = {  # openai-python GraderRunResponse.metadata.errors
    "formula_parse_error", "invalid_variable_error", "model_grader_parse_error", "model_grader_refusal_error",
    "model_grader_server_error", "model_grader_server_error_details", "other_error", "python_grader_runtime_error",
    "python_grader_runtime_error_details", "python_grader_server_error", "python_grader_server_error_type",
    "sample_parse_error", "truncated_observation_error", "unresponsive_reward_error",
}


def test_response_has_the_service_shape():
    result = run_grader(job_a_grader(), sample_from_text("JKT-URB-009"), ITEM)
    assert set(result) == {"reward", "metadata", "sub_rewards", "model_grader_token_usage_per_model"}
    metadata = result["metadata"]
    assert set(metadata) == {"name", "type", "errors", "execution_time", "scores", "token_usage",
                             "sampled_model_name", "error_messages"}
    assert set(metadata["errors"]) == SERVICE_ERROR_KEYS == set(ERROR_FLAGS) | set(ERROR_DETAILS)
    assert not any(metadata["errors"].values())
    assert metadata["name"] == job_a_grader()["name"] and metadata["type"] == "multi"
    assert metadata["token_usage"] is None and metadata["sampled_model_name"] is None
    assert 0 <= metadata["execution_time"] < 5
    assert result["sub_rewards"] == {"exact": 1.0, "fuzzy": 1.0} == metadata["scores"]
    assert result["reward"] == pytest.approx(1.0)


@pytest.mark.parametrize(("answer", "expected"), [
    ("JKT-URB-009", 1.0),
    ("jkt-urb-009", 0.0),                      # exact is case-sensitive, and 10/22 similar is no near miss
    ("JKT-URB-008", 0.1 * 20 / 22),            # near miss: the fuzzy tenth pays from 80 % similar up
    ("JKT-URB-009 JKT-URB-008", 0.0),          # a hedge: 22/34 similar, under 80 %: nothing
    ("JKT-URB-009, JKT-ALP-001, TNT-BAS-110", 0.0),
    ("JKT-URB-009 ", 0.1 * fuzz.ratio("JKT-URB-009 ", "JKT-URB-009") / 100),  # no trimming
    ("", 0.0),
])
def test_job_a_grader_rewards(answer, expected):
    result = run_grader(job_a_grader(), sample_from_text(answer), ITEM)
    assert result["reward"] == pytest.approx(expected, abs=1e-12)
    assert result["metadata"]["error_messages"] == []


def test_presets_match_the_contract():
    grader = job_a_grader()
    assert validate_grader(grader) == []
    assert grader["type"] == "multi" and grader["calculate_output"] == "0.9 * exact + 0.1 * fuzzy * floor(fuzzy + 0.2)"
    assert grader["invalid_grade"] == 0.0
    exact, fuzzy = grader["graders"]["exact"], grader["graders"]["fuzzy"]
    assert (exact["type"], exact["operation"]) == ("string_check", "eq")
    assert (fuzzy["type"], fuzzy["evaluation_metric"]) == ("text_similarity", "fuzzy_match")
    for sub in (exact, fuzzy):
        assert (sub["input"], sub["reference"]) == ("{{sample.output_text}}", "{{item.reference_answer}}")
    assert endpoint_grader("https://app.example/score") == {
        "type": "endpoint", "name": "catalog_grader", "url": "https://app.example/score", "rate_limit": 50}
    assert endpoint_grader("https://h/score", name="g", rate_limit=5)["rate_limit"] == 5


def test_sample_from_text_has_the_service_sample_shape():
    sample = sample_from_text("JKT-URB-009")
    assert sample == {
        "choices": [{"index": 0, "message": {"role": "assistant", "content": "JKT-URB-009", "tool_calls": []},
                     "finish_reason": "stop"}],
        "output_text": "JKT-URB-009", "output_json": None, "output_tools": [], "output_reasoning_summary": None}
    assert sample_from_text('{"sku": "A-1"}')["output_json"] == {"sku": "A-1"}
    assert sample_from_text("123")["output_json"] is None
    assert sample_from_text("")["output_text"] == ""


def test_tool_call_templates_grade_a_full_sample():
    grader = {"type": "string_check", "name": "tool", "input": "{{sample.output_tools[0].function.name}}",
              "reference": "search_catalog", "operation": "eq"}
    sample = {**sample_from_text("JKT-URB-009"), "output_tools": [
        {"id": "fc_1", "type": "function", "function": {"name": "search_catalog", "arguments": "{}"}}]}
    assert run_grader(grader, sample, ITEM)["reward"] == 1.0
    no_tools = run_grader(grader, sample_from_text("JKT-URB-009"), ITEM)
    assert no_tools["reward"] == 0.0 and no_tools["metadata"]["errors"]["invalid_variable_error"] is True


def test_python_grader_is_validated_but_not_run():
    grader = {"type": "python", "name": "py", "source": "def grade(sample, item):\n    return 1.0\n"}
    result = run_grader(grader, sample_from_text("x"), ITEM)
    errors = result["metadata"]["errors"]
    assert result["reward"] == 0.0
    assert errors["python_grader_server_error"] is True
    assert errors["python_grader_server_error_type"] == "not_run_locally"
    assert "not run locally" in result["metadata"]["error_messages"][0]
    broken = run_grader({**grader, "source": "import os\n"}, sample_from_text("x"), ITEM)
    assert broken["metadata"]["errors"]["other_error"] is True
    assert "defines no top-level function grade" in broken["metadata"]["error_messages"][0]


def test_score_model_is_validated_but_not_run():
    grader = {"type": "score_model", "name": "judge", "model": "o4-mini", "input": [{"role": "user",
              "content": "Rate {{sample.output_text}} against {{item.reference_answer}}"}]}
    result = run_grader(grader, sample_from_text("x"), ITEM)
    assert result["reward"] == 0.0
    assert result["metadata"]["errors"]["model_grader_server_error"] is True
    assert "not run locally" in result["metadata"]["errors"]["model_grader_server_error_details"]


def test_label_model_inside_a_multi_is_validated_but_not_run():
    grader = job_a_grader()
    grader["graders"]["tone"] = {"type": "label_model", "name": "tone", "model": "o4-mini", "labels": ["ok", "bad"],
                                 "passing_labels": ["ok"],
                                 "input": [{"role": "user", "content": "{{sample.output_text}}"}]}
    grader["calculate_output"] = "exact * tone"
    result = run_grader(grader, sample_from_text("JKT-URB-009"), ITEM)
    assert result["metadata"]["errors"]["model_grader_server_error"] is True
    assert result["metadata"]["error_messages"][0].startswith("graders.tone: label_model graders are not run locally")
    alone = run_grader(grader["graders"]["tone"], sample_from_text("x"), ITEM)
    assert alone["metadata"]["error_messages"][0].startswith("type: a label_model grader is accepted only inside")


def test_multi_with_an_unrunnable_sub_grader_gives_invalid_grade():
    grader = job_a_grader()
    grader["graders"]["py"] = {"type": "python", "name": "py", "source": "def grade(s, i):\n    return 1\n"}
    grader["calculate_output"] = "exact * py"
    grader["invalid_grade"] = 0.5
    result = run_grader(grader, sample_from_text("JKT-URB-009"), ITEM)
    assert result["reward"] == 0.5
    assert result["sub_rewards"] == {"exact": 1.0, "fuzzy": 1.0, "py": 0.0}
    assert result["metadata"]["error_messages"][0].startswith("graders.py: python graders are not run locally")


@pytest.mark.parametrize(("grader", "flag", "message"), [
    ({"type": "bogus", "name": "x"}, "other_error", "type: unknown grader type 'bogus'"),
    ({**job_a_grader(), "graders": {"inner": job_a_grader()}, "calculate_output": "inner"}, "other_error",
     "graders.inner.type: a multi grader cannot contain another multi grader"),
    ({"type": "text_similarity", "name": "c", "input": "{{sample.output_text}}", "reference": "x",
      "evaluation_metric": "cosine"}, "other_error", "evaluation_metric: 'cosine' is for evals only"),
])
def test_invalid_graders_are_reported_not_raised(grader, flag, message):
    result = run_grader(grader, sample_from_text("JKT-URB-009"), ITEM)
    assert result["reward"] == 0.0
    assert result["metadata"]["errors"][flag] is True
    assert result["metadata"]["error_messages"][0].startswith(message)


def test_bad_sample_and_item_are_reported():
    bad_sample = run_grader(job_a_grader(), "JKT-URB-009", ITEM)
    assert bad_sample["metadata"]["errors"]["sample_parse_error"] is True and bad_sample["reward"] == 0.0
    bad_item = run_grader(job_a_grader(), sample_from_text("x"), ["JKT-URB-009"])
    assert bad_item["metadata"]["errors"]["other_error"] is True
    no_item = run_grader(job_a_grader(), sample_from_text("x"), None)
    assert no_item["metadata"]["errors"]["invalid_variable_error"] is True


def test_async_and_sync_grade_identically():
    answers = ["JKT-URB-009", "jkt-urb-009", "JKT-URB-008", "The answer is JKT-URB-009", ""]

    async def grade_all() -> list[dict]:
        return await asyncio.gather(*(arun_grader(job_a_grader(), sample_from_text(a), ITEM) for a in answers))

    async_results = asyncio.run(grade_all())
    for answer, result in zip(answers, async_results, strict=True):
        sync = run_grader(job_a_grader(), sample_from_text(answer), ITEM)
        assert result["reward"] == sync["reward"] and result["sub_rewards"] == sync["sub_rewards"]
