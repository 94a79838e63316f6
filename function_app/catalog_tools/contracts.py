"""Wire shapes of the two endpoints, as the training service sends and expects them.

See docs/service-contract.md#tool-endpoint and docs/service-contract.md#endpoint-grader.
"""

from __future__ import annotations

import uuid
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

MAX_ID_CHARS = 256  # id, call_id and trace_id: the service's are far shorter


class FunctionCall(BaseModel):
    """The service's tool-call wrapper. Extra fields are allowed and ignored."""

    model_config = ConfigDict(extra="allow")

    type: str = "function_call"
    id: str | None = Field(default=None, max_length=MAX_ID_CHARS)
    call_id: str | None = Field(default=None, max_length=MAX_ID_CHARS)
    name: str | None = None  # on /tool/<name> it defaults to that tool; `/tools` needs it
    arguments: str | dict[str, Any] = "{}"
    trace_id: str | None = Field(default=None, max_length=MAX_ID_CHARS)
    item: Any = None


class FunctionCallOutput(BaseModel):
    """What the tool answers: `output` is always a string (JSON-encoded results or an error for the model)."""

    type: Literal["function_call_output"] = "function_call_output"
    call_id: str
    id: str
    output: str


def is_wrapper(body: dict[str, Any]) -> bool:
    """The service's wrapper carries `arguments` or `type: function_call`; anything else is direct arguments."""
    return "arguments" in body or body.get("type") == "function_call" or "call_id" in body


def new_call_ids() -> tuple[str, str]:
    """Well-formed Responses-style ids for a direct-form call: (id, call_id)."""
    token = uuid.uuid4().hex
    return f"fc_{token}", f"call_{token}"


class GraderResponse(BaseModel):
    score: float = Field(ge=0, le=1)


class GraderDetails(BaseModel):
    answer: str
    answer_source: str
    verdict: str
    reference: str
    components: dict[str, float]
    tool_calls: int
    tool_offered: bool


class ScoreResponse(GraderResponse):
    """`/score`'s body: exactly `{"score": x}`; `details` is present only with `?explain=true`."""

    details: GraderDetails | None = None


class ErrorBody(BaseModel):
    code: str
    message: str
    details: list[dict[str, Any]] | None = None


class ErrorResponse(BaseModel):
    """Every 4xx/5xx this app sends has this JSON shape."""

    error: ErrorBody


TOOL_WRAPPER_EXAMPLE = {
    "type": "function_call", "id": "fc_123", "call_id": "call_123", "name": "search_catalog",
    "arguments": "{\"query\":\"Urban Puffer\",\"top_k\":3}", "trace_id": "trace_abc", "item": {},
}
GRADER_EXAMPLE = {
    "sample": {"choices": [{"index": 0, "message": {"role": "assistant", "content": "JKT-URB-009", "tool_calls": []},
                            "finish_reason": "stop"}],
               "output_text": "JKT-URB-009", "output_json": None, "output_tools": [],
               "output_reasoning_summary": None},
    "item": {"reference_answer": "JKT-URB-009"},
    "trace_id": "trace_abc",
}
