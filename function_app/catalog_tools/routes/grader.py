"""POST /score: the endpoint grader. `{"score": x}`; with `?explain=true` also the details of the score."""

from __future__ import annotations

import time
from typing import Any

from fastapi import APIRouter, Request

from ..body import read_json_object
from ..config import Settings
from ..contracts import GRADER_EXAMPLE, MAX_ID_CHARS, ErrorResponse, GraderResponse, ScoreResponse
from ..deps import ScoreAuth, SettingsDep, StoreDep
from ..errors import ApiError
from ..grading import Weights, grade, reference_of, tools_offered
from ..jsonfast import JsonResponse
from ..telemetry import OFF, Telemetry
from ..traces import TraceStore, TraceStoreError

router = APIRouter(tags=["grader"])

_REQUEST_DOC = {
    "requestBody": {
        "required": True,
        "content": {"application/json": {
            "schema": {"type": "object", "required": ["sample", "item"],
                       "properties": {
                           "sample": {"type": "object", "description": "The model's output: output_text, "
                                      "output_json, output_tools, choices, output_reasoning_summary"},
                           "item": {"type": "object", "required": ["reference_answer"],
                                    "description": "The dataset row as the service normalizes it",
                                    "properties": {"reference_answer": {"type": "string",
                                                                        "pattern": "\\S"}}},
                           "trace_id": {"anyOf": [{"type": "string", "maxLength": MAX_ID_CHARS},
                                                     {"type": "null"}]}}},
            "examples": {"service": {"summary": "The shape the training service sends", "value": GRADER_EXAMPLE}},
        }},
    }
}


def _object(body: dict[str, Any], key: str) -> dict[str, Any]:
    value = body.get(key)
    if not isinstance(value, dict):
        raise ApiError(422, "invalid_grader_request", f"`{key}` must be a JSON object",
                       [{"field": key, "problem": "missing" if value is None else f"got {type(value).__name__}"}])
    return value


@router.post("/score", summary="The endpoint grader", openapi_extra=_REQUEST_DOC,
             responses={200: {"model": ScoreResponse,
                              "description": "`{\"score\": x}`; `details` only with `explain=true`"},
                        **{s: {"model": ErrorResponse} for s in (400, 401, 413, 415, 422, 503)}},
             response_model=None)
async def score(request: Request, _: ScoreAuth, store: StoreDep, settings: SettingsDep,
                explain: bool = False) -> JsonResponse:
    body = await read_json_object(request)
    return JsonResponse(await grade_request(body, store, settings, explain, request.scope["rft.log"],
                                            request.app.state.telemetry))


async def grade_request(body: dict[str, Any], store: TraceStore, settings: Settings, explain: bool,
                        log_context: dict[str, Any], telemetry: Telemetry = OFF) -> dict[str, Any]:
    """The endpoint's work on a parsed body: the response content (also used by `fast_path`)."""
    started = time.perf_counter()
    sample, item = _object(body, "sample"), _object(body, "item")
    trace_id = body.get("trace_id")
    if trace_id is not None and not isinstance(trace_id, str):
        raise ApiError(422, "invalid_grader_request", "`trace_id` must be a string")
    if trace_id is not None and len(trace_id) > MAX_ID_CHARS:  # the tool refuses such ids, so none was recorded
        raise ApiError(422, "invalid_grader_request", f"`trace_id` is longer than {MAX_ID_CHARS} characters")
    log_context["trace_id"] = trace_id
    reference = reference_of(item)
    if reference is None:
        raise ApiError(422, "missing_reference_answer", "item.reference_answer is missing or empty: every dataset "
                       "row needs the expected SKU in `reference_answer`")
    offered = tools_offered(item)
    calls = 0
    if trace_id and (offered or explain):
        try:
            calls = await store.count(trace_id)
        except TraceStoreError as exc:
            raise ApiError(503, "trace_store_unavailable", "cannot read the rollout's tool calls; retry later",
                           headers={"Retry-After": "2"}) from exc
    weights = Weights(settings.grader_prose_credit, settings.grader_no_tool_factor, settings.grader_free_tool_calls,
                      settings.grader_extra_call_penalty, settings.grader_min_call_factor)
    result = grade(sample, reference, calls, offered, weights)
    log_context.update(verdict=result.verdict, score=result.score)
    if telemetry.enabled:
        telemetry.grading(trace_id, result.verdict, result.score, calls, (time.perf_counter() - started) * 1000)
    if not explain:
        return GraderResponse(score=result.score).model_dump()
    details = {"answer": result.answer, "answer_source": result.answer_source, "verdict": result.verdict,
               "reference": reference, "components": result.components, "tool_calls": calls, "tool_offered": offered}
    return ScoreResponse.model_validate({"score": result.score, "details": details}).model_dump()
