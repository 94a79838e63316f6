"""POST /score: the endpoint grader. `{"score": x}`; with `?explain=true` also the details of the score."""

from __future__ import annotations

from fastapi import APIRouter, Request

from ...contracts import GRADER_EXAMPLE, MAX_ID_CHARS, ErrorResponse, ScoreResponse
from ...jsonfast import JsonResponse
from ..body import read_json_object
from ..deps import ScoreAuth, ServiceDep

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


@router.post("/score", summary="The endpoint grader", openapi_extra=_REQUEST_DOC,
             responses={200: {"model": ScoreResponse,
                              "description": "`{\"score\": x}`; `details` only with `explain=true`"},
                        **{s: {"model": ErrorResponse} for s in (400, 401, 413, 415, 422, 503)}},
             response_model=None)
async def score(request: Request, _: ScoreAuth, service: ServiceDep, explain: bool = False) -> JsonResponse:
    body = await read_json_object(request)
    return JsonResponse(await service.grade(body, explain, request.scope["rft.log"]))
