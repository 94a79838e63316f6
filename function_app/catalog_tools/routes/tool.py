"""POST /tool/search_catalog: the service's wrapper or direct arguments in, a function_call_output out."""

from __future__ import annotations

import json
import logging
import time
from typing import Any

from fastapi import APIRouter, Request, Response
from pydantic import ValidationError

from ..body import read_json_object
from ..catalog import Catalog
from ..config import Settings
from ..contracts import (
    TOOL_DIRECT_EXAMPLE,
    TOOL_WRAPPER_EXAMPLE,
    ErrorResponse,
    FunctionCall,
    FunctionCallOutput,
    is_wrapper,
    new_call_ids,
)
from ..deps import CatalogDep, SettingsDep, StoreDep, ToolAuth
from ..errors import ApiError
from ..search_tool import TOOL_NAME, error_output, run_search
from ..telemetry import OFF, Telemetry
from ..traces import ARGUMENTS_KEEP_CHARS, ToolCallRecord, TraceStore, TraceStoreError

router = APIRouter(tags=["tool"])
log = logging.getLogger("catalog_tools.tool")

# The direct form is any object that is not a wrapper (see contracts.is_wrapper); its fields are the tool's
# arguments, and mistakes in them are answered in `output`, like the wrapper's.
_DIRECT_FORM = {
    "type": "object", "description": "Direct arguments of search_catalog (smoke tests), e.g. {\"query\": \"puffer\"}",
    "not": {"anyOf": [{"required": ["arguments"]}, {"required": ["call_id"]},
                      {"required": ["type"], "properties": {"type": {"const": "function_call"}}}]},
}
_REQUEST_DOC = {
    "requestBody": {
        "required": True,
        "content": {"application/json": {
            "schema": {"anyOf": [FunctionCall.model_json_schema(), _DIRECT_FORM]},
            "examples": {"wrapper": {"summary": "What the training service sends", "value": TOOL_WRAPPER_EXAMPLE},
                         "direct": {"summary": "Direct arguments (curl smoke test)", "value": TOOL_DIRECT_EXAMPLE}},
        }},
    }
}
_ERRORS = {status: {"model": ErrorResponse} for status in (400, 401, 413, 415, 422)}


@router.post("/tool/search_catalog", summary="The search_catalog tool", openapi_extra=_REQUEST_DOC,
             responses={200: {"model": FunctionCallOutput}, **_ERRORS})
async def search_catalog(request: Request, _: ToolAuth, catalog: CatalogDep, store: StoreDep,
                         settings: SettingsDep) -> Response:
    started = time.perf_counter()
    body = await read_json_object(request)
    answer = await tool_call(body, catalog, store, settings, request.scope["rft.log"], started,
                             request.app.state.telemetry)
    return Response(answer, media_type="application/json")


async def tool_call(body: dict[str, Any], catalog: Catalog, store: TraceStore, settings: Settings,
                    log_context: dict[str, Any], started: float, telemetry: Telemetry = OFF) -> bytes:
    """The endpoint's work on a parsed body: the function_call_output JSON (also used by `fast_path`)."""
    if is_wrapper(body):
        try:
            call = FunctionCall.model_validate(body)
        except ValidationError as exc:
            details = [{"field": ".".join(str(p) for p in e["loc"]), "problem": e["msg"]}
                       for e in exc.errors(include_url=False, include_context=False, include_input=False)]
            raise ApiError(422, "invalid_function_call", "the function_call wrapper is not valid", details) from exc
        fc_id, call_id = call.id, call.call_id
        if not fc_id or not call_id:  # the service sends both; uuid4 costs a system call, so only when missing
            generated_id, generated_call_id = new_call_ids()
            fc_id, call_id = fc_id or generated_id, call_id or generated_call_id
        name, arguments, trace_id = call.name, call.arguments, call.trace_id
    else:
        fc_id, call_id = new_call_ids()
        name, arguments, trace_id = TOOL_NAME, body, None
    log_context.update(trace_id=trace_id, call_id=call_id)

    if name != TOOL_NAME:
        output = json.dumps(error_output("unknown_tool", f"this endpoint serves {TOOL_NAME!r}, not {name!r}"))
        ok = False
    else:
        output, ok = run_search(arguments, catalog, settings.tool_output_char_budget,
                                settings.tool_time_budget_seconds)
    latency_ms = round((time.perf_counter() - started) * 1000, 3)
    log_context.update(tool=name, tool_ok=ok)

    if trace_id:
        raw = arguments if isinstance(arguments, str) else json.dumps(arguments)
        record = ToolCallRecord(trace_id=trace_id, call_id=call_id, name=name, arguments=raw[:ARGUMENTS_KEEP_CHARS],
                                ok=ok, latency_ms=latency_ms, recorded_at=time.time())
        try:
            await store.record(record)
        except TraceStoreError:
            # The model still gets its answer; the grader will refuse to score with missing facts.
            log.exception("could not record tool call %s of trace %s", call_id, trace_id)
    if telemetry.enabled:
        telemetry.tool_call(trace_id, call_id, name, ok, round((time.perf_counter() - started) * 1000, 3))
    return FunctionCallOutput(call_id=call_id, id=fc_id, output=output).model_dump_json().encode()
