"""GET /traces/{trace_id}: the recorded tool calls of one rollout, in time order (for debugging)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request

from ...contracts import ErrorResponse
from ...errors import ApiError
from ...traces import TraceStoreError
from ..deps import StoreDep, ToolAuth

router = APIRouter(tags=["traces"])


@router.get("/traces/{trace_id:path}", summary="Tool calls recorded for a rollout",
            responses={**{s: {"model": ErrorResponse} for s in (401, 503)},
                       404: {"model": ErrorResponse, "description": "an empty trace id, or one with control "
                             "characters (e.g. a newline), cannot be addressed in a URL path"}})
async def get_trace(trace_id: str, request: Request, _: ToolAuth, store: StoreDep) -> dict[str, Any]:
    # The path pattern's "$" also matches before a final newline: "/traces/x%0A" must not answer for trace "x".
    if not trace_id or not request.scope["path"].endswith("/traces/" + trace_id):
        raise ApiError(404, "not_found", "no such trace path: GET /traces/{trace_id} with a trace id without "
                       "control characters")
    try:
        calls = await store.calls(trace_id)
    except TraceStoreError as exc:
        raise ApiError(503, "trace_store_unavailable", "cannot read the trace store; retry later",
                       headers={"Retry-After": "2"}) from exc
    return {"trace_id": trace_id, "calls": [c.as_dict() for c in calls]}
