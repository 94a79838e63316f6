"""GET /traces/{trace_id}: the recorded tool calls of one rollout, in time order (for debugging)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from ..contracts import ErrorResponse
from ..deps import StoreDep, ToolAuth
from ..errors import ApiError
from ..traces import TraceStoreError

router = APIRouter(tags=["traces"])


@router.get("/traces/{trace_id:path}", summary="Tool calls recorded for a rollout",
            responses={**{s: {"model": ErrorResponse} for s in (401, 503)},
                       404: {"model": ErrorResponse, "description": "no route: a trace id with control characters "
                             "(e.g. a newline) cannot be addressed in a URL path"}})
async def get_trace(trace_id: str, _: ToolAuth, store: StoreDep) -> dict[str, Any]:
    try:
        calls = await store.calls(trace_id)
    except TraceStoreError as exc:
        raise ApiError(503, "trace_store_unavailable", "cannot read the trace store; retry later",
                       headers={"Retry-After": "2"}) from exc
    return {"trace_id": trace_id, "calls": [c.as_dict() for c in calls]}
