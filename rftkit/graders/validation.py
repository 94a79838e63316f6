"""`validate_grader`: what is wrong with a grader definition for a reinforcement fine-tuning job, field by field.

The checks follow docs/service-contract.md (endpoint grader, built-in graders): the grader types RFT accepts
(label_model only inside a multi grader), their fields and `pass_threshold` rules, string_check operations,
text_similarity metrics (not the evals-only `cosine`), templates in the `item`/`sample` namespaces, a multi grader's
`graders` dict and `calculate_output` formula (names = its keys, allowed operators and functions, no multi inside a
multi), and the endpoint grader's URL. Unknown fields are reported too: a misspelt field is otherwise silently
ignored locally and rejected by the service, or the other way round.
"""

from __future__ import annotations

import ast
import math
import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from rftkit.graders.formula import PARSE_ERROR, FormulaError, parse_formula
from rftkit.graders.templates import check_template
from rftkit.graders.text_similarity import EVALS_ONLY_METRICS, METRICS, OPERATIONS
from rftkit.wire import GRADER_MESSAGE_ROLES

OTHER = "other_error"
TEMPLATE = "invalid_variable_error"

# type -> (required fields, optional fields). Sources: docs/service-contract.md#built-in-graders (the Azure how-to
# lists `pass_threshold` on text_similarity and score_model; Azure's endpoint-grader samples set it on python and
# endpoint graders and on the multi grader) and #endpoint-grader (`name` of an endpoint grader is optional).
FIELDS: dict[str, tuple[frozenset[str], frozenset[str]]] = {
    "string_check": (frozenset({"type", "name", "input", "reference", "operation"}), frozenset()),
    "text_similarity": (frozenset({"type", "name", "input", "reference", "evaluation_metric"}),
                        frozenset({"pass_threshold"})),
    "multi": (frozenset({"type", "name", "graders", "calculate_output"}),
              frozenset({"invalid_grade", "pass_threshold"})),
    "python": (frozenset({"type", "name", "source"}), frozenset({"image_tag", "pass_threshold"})),
    "score_model": (frozenset({"type", "name", "model", "input"}),
                    frozenset({"range", "sampling_params", "pass_threshold"})),
    "label_model": (frozenset({"type", "name", "model", "input", "labels", "passing_labels"}),
                    frozenset({"sampling_params"})),
    "endpoint": (frozenset({"type", "url"}), frozenset({"name", "headers", "rate_limit", "max_rps", "pass_threshold"})),
}
GRADER_TYPES = tuple(FIELDS)
# label_model: the SDK's multi grader accepts it among its `graders`, while the reinforcement method's `grader`
# union (string_check, text_similarity, python, score_model, multi) does not; the Azure how-to documents it among
# the RFT graders. So: allowed inside a multi grader, refused at the top level
# (docs/service-contract.md#built-in-graders).
MULTI_ONLY_TYPES = ("label_model",)
TOP_LEVEL_TYPES = tuple(kind for kind in GRADER_TYPES if kind not in MULTI_ONLY_TYPES)
# Graders whose score is not bounded by the service: a python grader returns any float, an endpoint grader answers
# on its own scale (Azure's sample scores 0-5 and its README sets pass_threshold 8).
UNBOUNDED_TYPES = ("python", "endpoint", "multi")
_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


@dataclass(frozen=True)
class Problem:
    """One problem, with the `graders/run` error flag it maps to when the grader is run anyway."""

    kind: str
    message: str


def validate_grader(grader: dict) -> list[str]:
    """Every problem of `grader` as "<field>: <why>"; an empty list means it can be used in an RFT job."""
    return [problem.message for problem in grader_problems(grader)]


def grader_problems(grader: Any, prefix: str = "", inside_multi: bool = False) -> list[Problem]:
    if not isinstance(grader, dict):
        return [Problem(OTHER, f"{prefix or 'grader'}: must be a JSON object, got {type(grader).__name__}")]
    kind = grader.get("type")
    if kind is None:
        return [Problem(OTHER, f"{prefix}type: missing (one of {', '.join(GRADER_TYPES)})")]
    if kind in MULTI_ONLY_TYPES and not inside_multi:
        return [Problem(OTHER, f"{prefix}type: a {kind} grader is accepted only inside a multi grader's `graders`, "
                               f"not as the job's grader (one of {', '.join(TOP_LEVEL_TYPES)}); wrap it in a multi "
                               "grader")]
    if kind not in FIELDS:
        return [Problem(OTHER, f"{prefix}type: unknown grader type {kind!r} (one of {', '.join(GRADER_TYPES)})")]
    if kind == "multi" and inside_multi:
        return [Problem(OTHER, f"{prefix}type: a multi grader cannot contain another multi grader")]
    required, optional = FIELDS[kind]
    problems = [Problem(OTHER, f"{prefix}{name}: missing") for name in sorted(required - grader.keys())]
    nested_threshold = {"pass_threshold"} if inside_multi else set()  # reported below, with what to do instead
    problems += [Problem(OTHER, f"{prefix}{name}: unknown field for a {kind} grader")
                 for name in sorted(grader.keys() - required - optional - nested_threshold)]
    if "name" in grader:
        problems += _non_empty_string(grader, "name", prefix)
    problems += _CHECKS[kind](grader, prefix)
    if "pass_threshold" in grader and (inside_multi or "pass_threshold" in optional):
        problems += _pass_threshold(grader, kind, prefix, inside_multi)
    return problems


def _pass_threshold(grader: dict, kind: str, prefix: str, inside_multi: bool) -> list[Problem]:
    if inside_multi:
        return [Problem(OTHER, f"{prefix}pass_threshold: cannot be set on a grader inside a multi grader; "
                               "move it to the multi grader")]
    if kind in UNBOUNDED_TYPES:
        return _number(grader, "pass_threshold", prefix)
    low, high = 0.0, 1.0
    if kind == "score_model" and _range_problem(grader.get("range", [0, 1])) is None:
        low, high = (float(v) for v in grader.get("range", [0, 1]))
    return _number(grader, "pass_threshold", prefix, low=low, high=high)


def _non_empty_string(grader: dict, name: str, prefix: str) -> list[Problem]:
    value = grader.get(name)
    if not isinstance(value, str) or not value.strip():
        return [Problem(OTHER, f"{prefix}{name}: must be a non-empty string")]
    return []


def _template(grader: dict, name: str, prefix: str) -> list[Problem]:
    if name not in grader:
        return []
    value = grader[name]
    if not isinstance(value, str):
        return [Problem(OTHER, f"{prefix}{name}: must be a string (a template such as {{{{sample.output_text}}}})")]
    return [Problem(TEMPLATE, f"{prefix}{name}: {problem}") for problem in check_template(value)]


def _number(grader: dict, name: str, prefix: str, low: float | None = None, high: float | None = None,
            positive: bool = False) -> list[Problem]:
    value = grader.get(name)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        return [Problem(OTHER, f"{prefix}{name}: must be a number")]
    if positive and value <= 0:
        return [Problem(OTHER, f"{prefix}{name}: must be greater than 0")]
    if (low is not None and value < low) or (high is not None and value > high):
        return [Problem(OTHER, f"{prefix}{name}: must be between {low} and {high}")]
    return []


def _string_check(grader: dict, prefix: str) -> list[Problem]:
    problems = _template(grader, "input", prefix) + _template(grader, "reference", prefix)
    operation = grader.get("operation")
    if "operation" in grader and operation not in OPERATIONS:
        problems.append(Problem(OTHER, f"{prefix}operation: {operation!r} is not one of {', '.join(OPERATIONS)}"))
    return problems


def _text_similarity(grader: dict, prefix: str) -> list[Problem]:
    problems = _template(grader, "input", prefix) + _template(grader, "reference", prefix)
    metric = grader.get("evaluation_metric")
    if metric in EVALS_ONLY_METRICS:
        problems.append(Problem(OTHER, f"{prefix}evaluation_metric: {metric!r} is for evals only, "
                                       "not reinforcement fine-tuning"))
    elif "evaluation_metric" in grader and metric not in METRICS:
        problems.append(Problem(OTHER, f"{prefix}evaluation_metric: {metric!r} is not one of {', '.join(METRICS)}"))
    return problems


def _multi(grader: dict, prefix: str) -> list[Problem]:
    problems: list[Problem] = []
    graders = grader.get("graders")
    keys: list[str] = []
    if "graders" in grader:
        if not isinstance(graders, dict) or not graders:
            problems.append(Problem(OTHER, f"{prefix}graders: must be a non-empty object of name -> grader"))
        else:
            for key, sub in graders.items():
                if not isinstance(key, str) or not _KEY.fullmatch(key):
                    problems.append(Problem(OTHER, f"{prefix}graders.{key}: the key cannot be named in "
                                                   "calculate_output (use letters, digits and _)"))
                keys.append(key)
                problems += grader_problems(sub, f"{prefix}graders.{key}.", inside_multi=True)
    formula = grader.get("calculate_output")
    if "calculate_output" in grader:
        if not isinstance(formula, str):
            problems.append(Problem(PARSE_ERROR, f"{prefix}calculate_output: must be a string"))
        else:
            try:
                parse_formula(formula, keys if isinstance(graders, dict) else None)
            except FormulaError as exc:
                problems.append(Problem(exc.kind, f"{prefix}calculate_output: {exc}"))
    if "invalid_grade" in grader:
        problems += _number(grader, "invalid_grade", prefix)
    return problems


def _python(grader: dict, prefix: str) -> list[Problem]:
    source = grader.get("source")
    if "image_tag" in grader and not isinstance(grader["image_tag"], str):
        return [Problem(OTHER, f"{prefix}image_tag: must be a string")]
    if "source" not in grader:
        return []
    if not isinstance(source, str):
        return [Problem(OTHER, f"{prefix}source: must be a string of Python code")]
    try:
        tree = ast.parse(source)  # parsed only, never executed
    except SyntaxError as exc:
        return [Problem(OTHER, f"{prefix}source: not valid Python: {exc.msg} (line {exc.lineno})")]
    for node in tree.body:
        if isinstance(node, ast.FunctionDef) and node.name == "grade":
            arguments = node.args.posonlyargs + node.args.args
            if len(arguments) >= 2 or node.args.vararg is not None:
                return []
            return [Problem(OTHER, f"{prefix}source: grade() must take (sample, item)")]
    return [Problem(OTHER, f"{prefix}source: defines no top-level function grade(sample, item)")]


def _score_model(grader: dict, prefix: str) -> list[Problem]:
    problems = _non_empty_string(grader, "model", prefix) if "model" in grader else []
    messages = grader.get("input")
    if "input" in grader:
        if not isinstance(messages, list) or not messages:
            problems.append(Problem(OTHER, f"{prefix}input: must be a non-empty list of messages"))
        else:
            for index, message in enumerate(messages):
                problems += _message(message, f"{prefix}input[{index}]")
    if "range" in grader and _range_problem(grader["range"]):
        problems.append(Problem(OTHER, f"{prefix}range: {_range_problem(grader['range'])}"))
    if "sampling_params" in grader and not isinstance(grader["sampling_params"], dict):
        problems.append(Problem(OTHER, f"{prefix}sampling_params: must be an object"))
    return problems


def _range_problem(low_high: Any) -> str | None:
    if (not isinstance(low_high, list) or len(low_high) != 2
            or not all(isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v) for v in low_high)
            or low_high[0] >= low_high[1]):
        return "must be [low, high] with low < high"
    return None


def _label_model(grader: dict, prefix: str) -> list[Problem]:
    problems = [p for p in _score_model(grader, prefix) if not p.message.startswith(f"{prefix}range")]
    labels = grader.get("labels")
    label_list_ok = isinstance(labels, list) and labels and all(isinstance(v, str) and v for v in labels)
    if "labels" in grader and not label_list_ok:
        problems.append(Problem(OTHER, f"{prefix}labels: must be a non-empty list of label strings"))
    passing = grader.get("passing_labels")
    if "passing_labels" in grader:
        if not isinstance(passing, list) or not passing or not all(isinstance(v, str) for v in passing):
            problems.append(Problem(OTHER, f"{prefix}passing_labels: must be a non-empty list of label strings"))
        elif label_list_ok and not set(passing) <= set(labels):
            extra = ", ".join(repr(v) for v in passing if v not in labels)
            problems.append(Problem(OTHER, f"{prefix}passing_labels: {extra} not among labels"))
    return problems


def _message(message: Any, where: str) -> list[Problem]:
    if not isinstance(message, dict):
        return [Problem(OTHER, f"{where}: must be a message object with role and content")]
    problems = []
    if message.get("role") not in GRADER_MESSAGE_ROLES:
        problems.append(Problem(OTHER, f"{where}.role: must be one of {', '.join(GRADER_MESSAGE_ROLES)}"))
    content = message.get("content")
    texts = [content] if isinstance(content, str) else [
        part.get("text") for part in content if isinstance(part, dict) and isinstance(part.get("text"), str)
    ] if isinstance(content, list) else None
    if texts is None:
        problems.append(Problem(OTHER, f"{where}.content: must be a string or a list of content parts"))
    for text in texts or []:
        problems += [Problem(TEMPLATE, f"{where}.content: {problem}") for problem in check_template(text)]
    return problems


def _endpoint(grader: dict, prefix: str) -> list[Problem]:
    problems = []
    url = grader.get("url")
    if "url" in grader:
        parts = urlsplit(url) if isinstance(url, str) else None
        if parts is None or parts.scheme not in ("http", "https") or not parts.netloc:
            problems.append(Problem(OTHER, f"{prefix}url: must be an http(s) URL, got {url!r}"))
    headers = grader.get("headers")
    if "headers" in grader and headers is not None and (
            not isinstance(headers, dict) or not all(isinstance(k, str) and isinstance(v, str)
                                                     for k, v in headers.items())):
        problems.append(Problem(OTHER, f"{prefix}headers: must be an object of header name -> string value"))
    for name in ("rate_limit", "max_rps"):
        if name in grader:
            problems += _number(grader, name, prefix, positive=True)
    return problems


_CHECKS = {"string_check": _string_check, "text_similarity": _text_similarity, "multi": _multi,
           "python": _python, "score_model": _score_model, "label_model": _label_model, "endpoint": _endpoint}
