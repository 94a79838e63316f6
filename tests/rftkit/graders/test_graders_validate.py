"""validate_grader: every problem names its field and why; valid graders of each type pass."""

from __future__ import annotations

import copy

import pytest

from rftkit.graders import validate_grader
from rftkit.graders.presets import endpoint_grader, job_a_grader

STRING_CHECK = {"type": "string_check", "name": "exact", "input": "{{sample.output_text}}",
                "reference": "{{item.reference_answer}}", "operation": "eq"}
SIMILARITY = {"type": "text_similarity", "name": "fuzzy", "input": "{{sample.output_text}}",
              "reference": "{{item.reference_answer}}", "evaluation_metric": "rouge_l", "pass_threshold": 0.5}
PYTHON = {"type": "python", "name": "py", "image_tag": "2025-05-08",
          "source": "def grade(sample, item) -> float:\n    return float(sample['output_text'] == item['ref'])\n"}
JUDGE_TEXT = "{{item.reference_answer}} vs {{sample.output_text}}"
SCORE_MODEL = {"type": "score_model", "name": "judge", "model": "o4-mini-2025-04-16", "range": [0, 1],
               "sampling_params": {"temperature": 0},
               "input": [{"role": "developer", "content": "Score 0-1."},
                         {"role": "user", "content": [{"type": "input_text", "text": JUDGE_TEXT}]}]}


def multi(**changes: object) -> dict:
    grader = job_a_grader()
    grader.update(changes)
    return grader


@pytest.mark.parametrize("grader", [
    job_a_grader(), endpoint_grader("https://app.azurewebsites.net/score"), STRING_CHECK, SIMILARITY, PYTHON,
    SCORE_MODEL, {**endpoint_grader("http://127.0.0.1:8000/score"), "headers": {"x-functions-key": "k"}},
    multi(graders={"exact": STRING_CHECK, "judge": SCORE_MODEL, "py": PYTHON,
                   "ep": endpoint_grader("https://x.example/score")},
          calculate_output="(exact + judge + py + ep) / 4"),
    {**SIMILARITY, "evaluation_metric": "meteor"},
])
def test_valid_graders_have_no_problems(grader):
    assert validate_grader(grader) == []


@pytest.mark.parametrize(("grader", "expected"), [
    ([], "grader: must be a JSON object, got list"),
    ({"name": "x"}, "type: missing"),
    ({**STRING_CHECK, "type": "regex_check"}, "type: unknown grader type 'regex_check'"),
    ({**STRING_CHECK, "type": "label_model"}, "type: a label_model grader is accepted only inside a multi grader"),
    ({**SIMILARITY, "evaluation_metric": "cosine"}, "evaluation_metric: 'cosine' is for evals only"),
    ({**SIMILARITY, "evaluation_metric": "bleu4"}, "evaluation_metric: 'bleu4' is not one of fuzzy_match"),
    ({**STRING_CHECK, "operation": "contains"}, "operation: 'contains' is not one of eq, ne, like, ilike"),
    ({k: v for k, v in STRING_CHECK.items() if k != "reference"}, "reference: missing"),
    ({**STRING_CHECK, "name": ""}, "name: must be a non-empty string"),
    ({**STRING_CHECK, "pass_treshold": 0.5}, "pass_treshold: unknown field for a string_check grader"),
    ({**STRING_CHECK, "input": 5}, "input: must be a string"),
    ({**STRING_CHECK, "input": "{{row.answer}}"}, "input: {{row.answer}}: unknown namespace 'row'"),
    ({**SIMILARITY, "pass_threshold": 2}, "pass_threshold: must be between 0.0 and 1.0"),
    ({**SIMILARITY, "pass_threshold": True}, "pass_threshold: must be a number"),
    (multi(calculate_output="0.9 * exact + 0.1 * fuzy"),
     "calculate_output: unknown name fuzy (graders has: exact, fuzzy)"),
    (multi(calculate_output="pow(exact, 2)"), "calculate_output: function 'pow' at position 0 is not allowed"),
    (multi(calculate_output="exact ** 2"), "calculate_output: unexpected '*'"),
    (multi(calculate_output="exact % 2"), "calculate_output: unexpected character '%'"),
    (multi(calculate_output=3), "calculate_output: must be a string"),
    (multi(invalid_grade="zero"), "invalid_grade: must be a number"),
    (multi(graders={}), "graders: must be a non-empty object"),
    (multi(graders=[STRING_CHECK]), "graders: must be a non-empty object"),
    (multi(graders={"exact-match": STRING_CHECK}, calculate_output="1"), "graders.exact-match: the key cannot"),
    (multi(graders={"inner": job_a_grader()}, calculate_output="inner"),
     "graders.inner.type: a multi grader cannot contain another multi grader"),
    (multi(graders={"exact": {**STRING_CHECK, "operation": "is"}}, calculate_output="exact"),
     "graders.exact.operation: 'is' is not one of"),
    ({**endpoint_grader("ftp://host/score")}, "url: must be an http(s) URL"),
    ({**endpoint_grader("/score")}, "url: must be an http(s) URL"),
    ({**endpoint_grader("https://h/score"), "headers": {"x-key": 1}}, "headers: must be an object"),
    ({**endpoint_grader("https://h/score"), "rate_limit": 0}, "rate_limit: must be greater than 0"),
    ({"type": "endpoint", "name": "e"}, "url: missing"),
    ({**PYTHON, "source": "def score(sample, item):\n    return 1\n"}, "source: defines no top-level function grade"),
    ({**PYTHON, "source": "def grade(sample):\n    return 1\n"}, "source: grade() must take (sample, item)"),
    ({**PYTHON, "source": "def grade(sample, item)\n    return 1\n"}, "source: not valid Python"),
    ({**SCORE_MODEL, "range": [1, 0]}, "range: must be [low, high] with low < high"),
    ({**SCORE_MODEL, "input": []}, "input: must be a non-empty list of messages"),
    ({**SCORE_MODEL, "input": [{"role": "bot", "content": "x"}]}, "input[0].role: must be one of"),
    ({**SCORE_MODEL, "input": [{"role": "user", "content": "{{item}}"}]}, "input[0].content: {{item}}"),
])
def test_problems_name_the_field_and_why(grader, expected):
    problems = validate_grader(grader)
    assert any(problem.startswith(expected) for problem in problems), problems


def test_every_problem_is_listed_not_only_the_first():
    grader = multi(graders={"exact": {**STRING_CHECK, "operation": "is", "input": "{{x.y}}"},
                            "fuzzy": {**SIMILARITY, "evaluation_metric": "cosine", "pass_threshold": 2}},
                   calculate_output="exact + fuzzy + other")
    problems = validate_grader(grader)
    assert len(problems) == 5, problems
    assert {p.split(":")[0] for p in problems} == {"graders.exact.input", "graders.exact.operation",
                                                  "graders.fuzzy.evaluation_metric", "graders.fuzzy.pass_threshold",
                                                  "calculate_output"}


def test_validation_does_not_modify_the_grader():
    grader = job_a_grader()
    before = copy.deepcopy(grader)
    validate_grader(grader)
    assert grader == before


# -- rules aligned with the service (docs/service-contract.md#built-in-graders, #endpoint-grader) ----------------------

LABEL_MODEL = {"type": "label_model", "name": "tone", "model": "o4-mini-2025-04-16", "labels": ["polite", "rude"],
               "passing_labels": ["polite"], "input": [{"role": "user", "content": "Label: {{sample.output_text}}"}]}
ENDPOINT = {"type": "endpoint", "url": "https://app.azurewebsites.net/score"}


def _two(first: dict, second: dict, **changes: object) -> dict:
    return {"type": "multi", "name": "m", "graders": {"a": first, "b": second}, "calculate_output": "(a + b) / 2",
            **changes}


@pytest.mark.parametrize("grader", [
    {**ENDPOINT, "pass_threshold": 8},                              # Azure's README: an endpoint's own scale
    {**PYTHON, "pass_threshold": 3.5},                              # a python grader returns any float
    {**SCORE_MODEL, "range": [0, 10], "pass_threshold": 7},         # inside its range
    _two(PYTHON, ENDPOINT, pass_threshold=2.5),                     # on the multi grader itself
    _two(STRING_CHECK, LABEL_MODEL),                                # label_model inside a multi grader
    ENDPOINT,                                                       # name is optional
    _two(PYTHON, ENDPOINT),                                         # ... also inside a multi grader
])
def test_graders_the_service_accepts(grader):
    assert validate_grader(grader) == []


@pytest.mark.parametrize(("grader", "expected"), [
    (_two({**SIMILARITY, "pass_threshold": 0.5}, STRING_CHECK),
     "graders.a.pass_threshold: cannot be set on a grader inside a multi grader; move it to the multi grader"),
    (_two(STRING_CHECK, {**ENDPOINT, "pass_threshold": 1}), "graders.b.pass_threshold: cannot be set on a grader"),
    ({**SCORE_MODEL, "range": [0, 10], "pass_threshold": 11}, "pass_threshold: must be between 0.0 and 10.0"),
    ({**SCORE_MODEL, "range": [0, 1], "pass_threshold": 1.5}, "pass_threshold: must be between 0.0 and 1.0"),
    ({**SCORE_MODEL, "pass_threshold": 2}, "pass_threshold: must be between 0.0 and 1.0"),  # default range [0, 1]
    ({**ENDPOINT, "pass_threshold": "high"}, "pass_threshold: must be a number"),
    (LABEL_MODEL, "type: a label_model grader is accepted only inside a multi grader"),
    (_two(STRING_CHECK, {**LABEL_MODEL, "passing_labels": ["kind"]}), "graders.b.passing_labels: 'kind' not among"),
    (_two(STRING_CHECK, {**LABEL_MODEL, "labels": []}), "graders.b.labels: must be a non-empty list"),
    ({**ENDPOINT, "name": ""}, "name: must be a non-empty string"),  # optional, but not empty when given
])
def test_graders_the_service_refuses(grader, expected):
    problems = validate_grader(grader)
    assert any(problem.startswith(expected) for problem in problems), problems
