"""The work of each endpoint on a parsed JSON body, whatever carries it (the FastAPI routes or the fast path).

`Service` is built once per app from the settings: the auth policy of each endpoint, the grader weights and the
tool context are computed here and nowhere else. A client's mistake raises `ApiError` (a 4xx the adapters answer
in the one error shape); a model's mistake is an error `output` in a 200 answer.
"""

from __future__ import annotations

import json
import logging
import time
from typing import Any

from pydantic import ValidationError

from .config import Settings
from .contracts import (
    MAX_ID_CHARS,
    FunctionCall,
    FunctionCallOutput,
    GraderResponse,
    ScoreResponse,
    is_wrapper,
    new_call_ids,
)
from .errors import ApiError
from .grading import SkuMatcher, grade, reference_of, tools_offered
from .search import Catalog
from .security import EndpointAuth, endpoint_auth
from .telemetry import OFF, Telemetry
from .tools import TOOLS, ToolContext, ToolRegistry, error_output
from .traces import ARGUMENTS_KEEP_CHARS, ToolCallRecord, TraceStore, TraceStoreError

log = logging.getLogger("catalog_tools.tool")


def _object(body: dict[str, Any], key: str) -> dict[str, Any]:
    value = body.get(key)
    if not isinstance(value, dict):
        raise ApiError(422, "invalid_grader_request", f"`{key}` must be a JSON object",
                       [{"field": key, "problem": "missing" if value is None else f"got {type(value).__name__}"}])
    return value


class Service:
    """The app's endpoints as plain async methods over the catalog, the trace store and the settings."""

    def __init__(self, settings: Settings, catalog: Catalog, store: TraceStore, telemetry: Telemetry = OFF,
                 tools: ToolRegistry = TOOLS):
        self.settings = settings
        self.catalog = catalog
        self.store = store
        self.telemetry = telemetry
        self.tools = tools
        self.auth: dict[str, EndpointAuth] = endpoint_auth(settings)
        self.weights = settings.grader_weights()
        self.catalog_codes = SkuMatcher(catalog.by_sku)  # hedging is caught for any SKU format of the catalog
        self.tool_context = ToolContext(catalog, settings.tool_output_char_budget, settings.tool_time_budget_seconds)

    def tool_definitions(self) -> list[dict[str, Any]]:
        """The function definitions of the tools served, for the loaded catalog (what dataset rows must carry)."""
        return self.tools.definitions(self.catalog)

    def _unknown_tool(self, name: str | None, route_tool: str | None) -> str:
        if route_tool is not None:  # /tool/<name> serves one tool (this text predates `/tools`: kept as it was)
            return json.dumps(error_output(route_tool, "unknown_tool", f"this endpoint serves {route_tool!r}, "
                                           f"not {name!r}"))
        problem = "the call names no tool" if not name else f"there is no tool named {name!r}"
        return json.dumps({"error": "unknown_tool", "message": f"{problem}; the tools are "
                           f"{', '.join(self.tools.names)}", "valid": self.tools.names,
                           "hint": "Call one of the tools listed in `valid` by its exact name."},
                          separators=(",", ":"))

    async def call_tool(self, body: dict[str, Any], log_context: dict[str, Any], started: float,
                        route_tool: str | None = None) -> bytes:
        """A tool call (wrapper or direct arguments) -> the function_call_output JSON.

        `route_tool` is the tool of `/tool/<name>` (the wrapper's `name` must match it); None is `/tools`, which
        dispatches on the wrapper's `name`. Every call that carries a trace_id is recorded, whatever its tool.
        """
        if is_wrapper(body):
            try:
                call = FunctionCall.model_validate(body)
            except ValidationError as exc:
                details = [{"field": ".".join(str(p) for p in e["loc"]), "problem": e["msg"]}
                           for e in exc.errors(include_url=False, include_context=False, include_input=False)]
                raise ApiError(422, "invalid_function_call", "the function_call wrapper is not valid",
                               details) from exc
            fc_id, call_id = call.id, call.call_id
            if not fc_id or not call_id:  # the service sends both; uuid4 costs a system call, so only when missing
                generated_id, generated_call_id = new_call_ids()
                fc_id, call_id = fc_id or generated_id, call_id or generated_call_id
            name, arguments, trace_id = call.name or route_tool, call.arguments, call.trace_id
        else:
            fc_id, call_id = new_call_ids()
            name, arguments, trace_id = route_tool, body, None
        log_context.update(trace_id=trace_id, call_id=call_id)

        tool = self.tools.get(name) if name else None
        if tool is None or (route_tool is not None and name != route_tool):
            output, ok = self._unknown_tool(name, route_tool), False
        else:
            output, ok = tool.invoke(arguments, self.tool_context)
        latency_ms = round((time.perf_counter() - started) * 1000, 3)
        log_context.update(tool=name, tool_ok=ok)

        if trace_id:
            raw = arguments if isinstance(arguments, str) else json.dumps(arguments)
            record = ToolCallRecord(trace_id=trace_id, call_id=call_id, name=name or "", ok=ok,
                                    arguments=raw[:ARGUMENTS_KEEP_CHARS], latency_ms=latency_ms,
                                    recorded_at=time.time())
            try:
                await self.store.record(record)
            except TraceStoreError:
                # The model still gets its answer; the grader will refuse to score with missing facts.
                log.exception("could not record tool call %s of trace %s", call_id, trace_id)
        if self.telemetry.enabled:
            self.telemetry.tool_call(trace_id, call_id, name or "", ok,
                                     round((time.perf_counter() - started) * 1000, 3))
        return FunctionCallOutput(call_id=call_id, id=fc_id, output=output).model_dump_json().encode()

    async def grade(self, body: dict[str, Any], explain: bool, log_context: dict[str, Any]) -> dict[str, Any]:
        """A grader request -> `{"score": x}` (with `details` when `explain`)."""
        started = time.perf_counter()
        sample, item = _object(body, "sample"), _object(body, "item")
        trace_id = body.get("trace_id")
        if trace_id is not None and not isinstance(trace_id, str):
            raise ApiError(422, "invalid_grader_request", "`trace_id` must be a string")
        if trace_id is not None and len(trace_id) > MAX_ID_CHARS:  # the tool refuses such ids: none was recorded
            raise ApiError(422, "invalid_grader_request", f"`trace_id` is longer than {MAX_ID_CHARS} characters")
        log_context["trace_id"] = trace_id
        reference = reference_of(item)
        if reference is None:
            raise ApiError(422, "missing_reference_answer", "item.reference_answer is missing or empty: every "
                           "dataset row needs the expected SKU in `reference_answer`")
        offered = tools_offered(item)
        calls = 0
        if trace_id and (offered or explain):
            try:
                calls = await self.store.count(trace_id)  # every recorded call of the rollout, of any tool
            except TraceStoreError as exc:
                raise ApiError(503, "trace_store_unavailable", "cannot read the rollout's tool calls; retry later",
                               headers={"Retry-After": "2"}) from exc
        result = grade(sample, reference, calls, offered, self.weights, self.catalog_codes)
        log_context.update(verdict=result.verdict, score=result.score)
        if self.telemetry.enabled:
            self.telemetry.grading(trace_id, result.verdict, result.score, calls,
                                   (time.perf_counter() - started) * 1000)
        if not explain:
            return GraderResponse(score=result.score).model_dump()
        details = {"answer": result.answer, "answer_source": result.answer_source, "verdict": result.verdict,
                   "reference": reference, "components": result.components, "tool_calls": calls,
                   "tool_offered": offered}
        return ScoreResponse.model_validate({"score": result.score, "details": details}).model_dump()
