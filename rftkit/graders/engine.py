"""`run_grader` / `arun_grader`: grade one sample locally, answering in the shape of the service's `graders/run`.

Grading has one I/O step, the endpoint grader's HTTP call. `_Grading` does everything else as pure code: it
checks the grader, lists the endpoint calls to make, and once their replies are in, computes the outcome. The sync
and async entry points differ only in how they make those calls, so both grade identically.

Errors are reported in `metadata.errors` (and `metadata.error_messages`), never raised: a sub-grader's error makes
a multi grader return its `invalid_grade`; any other grader then scores 0.
"""

from __future__ import annotations

import asyncio
import math
import time
from typing import Any

import httpx

from rftkit.graders.endpoint import EndpointReply, acall_endpoint, call_endpoint
from rftkit.graders.formula import FormulaError, parse_formula
from rftkit.graders.result import Outcome, response
from rftkit.graders.templates import TemplateVariableError, render
from rftkit.graders.text_similarity import similarity, string_check
from rftkit.graders.validation import grader_problems
from rftkit.util.endpoint_errors import shown_url
from rftkit.wire import grader_body, new_trace_id

Path = tuple[str, ...]  # where a grader sits: () for the top level, (key,) inside a multi grader

NOT_RUN_LOCALLY = "not_run_locally"
_PYTHON_NOT_RUN = ("python graders are not run locally: the service runs `source` in its sandbox image (no network, "
                   "2 min, 2 GB); only its shape was checked here (it parses and defines grade(sample, item))")
_MODEL_NOT_RUN = ("score_model graders are not run locally: their score comes from sampling the grader model on the "
                  "service; only their shape was checked here")  # label_model: the same, with its name


def run_grader(grader: dict, sample: dict, item: dict, *, trace_id: str | None = None,
               http_client: httpx.Client | None = None) -> dict:
    """Grade `sample` (the service's sample shape) against the dataset row `item`; the `graders/run` response.

    `trace_id` is sent to endpoint graders (a fresh `trace_<hex>` when None); `http_client` is reused for their
    calls when given (its timeout applies), else one client per call.
    """
    started = time.perf_counter()
    grading = _Grading(grader, sample, item, trace_id or new_trace_id())
    replies = {path: call_endpoint(node, grading.body, http_client) for path, node in grading.endpoint_calls()}
    return grading.finish(replies, started)


async def arun_grader(grader: dict, sample: dict, item: dict, *, trace_id: str | None = None,
                      http_client: httpx.AsyncClient | None = None) -> dict:
    """`run_grader` for asyncio callers: endpoint calls go through an `httpx.AsyncClient`, concurrently."""
    started = time.perf_counter()
    grading = _Grading(grader, sample, item, trace_id or new_trace_id())
    calls = grading.endpoint_calls()
    replies = await asyncio.gather(*(acall_endpoint(node, grading.body, http_client) for _, node in calls))
    return grading.finish({path: reply for (path, _), reply in zip(calls, replies, strict=True)}, started)


class _Grading:
    def __init__(self, grader: Any, sample: Any, item: Any, trace_id: str):
        self.grader = grader
        self.early = Outcome()  # problems found before any grading: the grader, the sample, the item
        for problem in grader_problems(grader):
            self.early.fail(problem.kind, problem.message)
        if not isinstance(sample, dict):
            self.early.fail("sample_parse_error", f"sample must be a JSON object, got {type(sample).__name__}")
        item = {} if item is None else item
        if not isinstance(item, dict):
            self.early.fail("other_error", f"item must be a JSON object, got {type(item).__name__}")
        self.context = {"item": item, "sample": sample}
        self.body = grader_body(sample, item, trace_id)

    def endpoint_calls(self) -> list[tuple[Path, dict[str, Any]]]:
        """The endpoint graders to call, none when the grading already failed."""
        if self.early.failed:
            return []
        if self.grader["type"] == "endpoint":
            return [((), self.grader)]
        if self.grader["type"] == "multi":
            return [((key,), sub) for key, sub in self.grader["graders"].items() if sub["type"] == "endpoint"]
        return []

    def finish(self, replies: dict[Path, EndpointReply], started: float) -> dict:
        if self.early.failed:
            self.early.reward = _invalid_grade(self.grader)
            outcome = self.early
        else:
            outcome = self.grade(self.grader, (), replies)
        return response(self.grader, outcome, time.perf_counter() - started)

    def grade(self, grader: dict[str, Any], path: Path, replies: dict[Path, EndpointReply]) -> Outcome:
        kind = grader["type"]
        outcome = Outcome()
        if kind == "multi":
            return self.grade_multi(grader, replies)
        if kind == "endpoint":
            reply = replies[path]
            if reply.error_flag:
                return outcome.fail(reply.error_flag, f"{shown_url(grader['url'])}: {reply.error}")
            outcome.reward = reply.score
            return outcome
        if kind == "python":
            return outcome.fail("python_grader_server_error", _PYTHON_NOT_RUN,
                                python_grader_server_error_type=NOT_RUN_LOCALLY)
        if kind in ("score_model", "label_model"):
            message = _MODEL_NOT_RUN.replace("score_model", kind)
            return outcome.fail("model_grader_server_error", message, model_grader_server_error_details=message)
        try:
            text, reference = render(grader["input"], self.context), render(grader["reference"], self.context)
        except TemplateVariableError as exc:
            return outcome.fail("invalid_variable_error", str(exc))
        if kind == "string_check":
            outcome.reward = string_check(text, reference, grader["operation"])
            return outcome
        metric = grader["evaluation_metric"]
        outcome.reward = similarity(metric, text, reference)
        outcome.scores[metric] = outcome.reward
        if "pass_threshold" in grader:
            outcome.scores["passed"] = outcome.reward >= grader["pass_threshold"]
        return outcome

    def grade_multi(self, grader: dict[str, Any], replies: dict[Path, EndpointReply]) -> Outcome:
        outcome = Outcome()
        for key, sub in grader["graders"].items():
            sub_outcome = self.grade(sub, (key,), replies)
            outcome.sub_rewards[key] = sub_outcome.reward
            outcome.absorb(sub_outcome, f"graders.{key}")
        outcome.scores = dict(outcome.sub_rewards)
        if not outcome.failed:
            try:
                formula = parse_formula(grader["calculate_output"], grader["graders"])
                outcome.reward = formula.evaluate(outcome.sub_rewards)
            except FormulaError as exc:
                outcome.fail(exc.kind, f"calculate_output: {exc}")
        if outcome.failed:
            outcome.reward = _invalid_grade(grader)
        return outcome


def _invalid_grade(grader: Any) -> float:
    """A multi grader's `invalid_grade` when usable, else 0."""
    value = grader.get("invalid_grade") if isinstance(grader, dict) and grader.get("type") == "multi" else None
    if isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value):
        return float(value)
    return 0.0
