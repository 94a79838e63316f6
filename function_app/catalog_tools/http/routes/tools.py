"""POST /tool/<name> for each registered tool, and POST /tools for all of them (dispatch on the wrapper's `name`):
the service's wrapper or direct arguments in, a function_call_output out."""

from __future__ import annotations

import json
import time
from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import APIRouter, Request, Response

from ...contracts import TOOL_WRAPPER_EXAMPLE, ErrorResponse, FunctionCall, FunctionCallOutput
from ...tools import Tool, ToolRegistry
from ..body import read_json_object
from ..deps import ServiceDep, ToolAuth

_ERRORS = {status: {"model": ErrorResponse} for status in (400, 401, 413, 415, 422)}


def _direct_form(description: str) -> dict[str, Any]:
    # The direct form is any object that is not a wrapper (see contracts.is_wrapper); its fields are the tool's
    # arguments, and mistakes in them are answered in `output`, like the wrapper's.
    return {
        "type": "object", "description": description,
        "not": {"anyOf": [{"required": ["arguments"]}, {"required": ["call_id"]},
                          {"required": ["type"], "properties": {"type": {"const": "function_call"}}}]},
    }


def _wrapper_example(tool: Tool[Any]) -> dict[str, Any]:
    return {**TOOL_WRAPPER_EXAMPLE, "name": tool.name, "arguments": json.dumps(tool.example, separators=(",", ":"))}


def _request_doc(schema: dict[str, Any], examples: dict[str, Any]) -> dict[str, Any]:
    return {"requestBody": {"required": True, "content": {"application/json": {"schema": schema,
                                                                               "examples": examples}}}}


def _tool_endpoint(tool_name: str | None) -> Callable[..., Awaitable[Response]]:
    async def endpoint(request: Request, _: ToolAuth, service: ServiceDep) -> Response:
        started = time.perf_counter()
        body = await read_json_object(request)
        answer = await service.call_tool(body, request.scope["rft.log"], started, tool_name)
        return Response(answer, media_type="application/json")
    return endpoint


def tools_router(tools: ToolRegistry) -> APIRouter:
    """The routes of every tool in `tools`, documented with each tool's argument schema."""
    router = APIRouter(tags=["tools"])
    wrapper_schema = FunctionCall.model_json_schema()
    for tool in tools:
        doc = _request_doc(
            {"anyOf": [wrapper_schema, _direct_form(f"Direct arguments of {tool.name} (smoke tests), e.g. "
                                                    f"{json.dumps(tool.example)}")]},
            {"wrapper": {"summary": "What the training service sends", "value": _wrapper_example(tool)},
             "direct": {"summary": "Direct arguments (curl smoke test)", "value": tool.example}})
        router.add_api_route(f"/tool/{tool.name}", _tool_endpoint(tool.name), methods=["POST"],
                             summary=f"The {tool.name} tool", description=tool.description,
                             name=tool.name, openapi_extra=doc,
                             responses={200: {"model": FunctionCallOutput}, **_ERRORS})
    examples = {tool.name: {"summary": f"A {tool.name} call", "value": _wrapper_example(tool)} for tool in tools}
    router.add_api_route("/tools", _tool_endpoint(None), methods=["POST"], name="tools",
                         summary="Every tool at one URL: dispatch on the wrapper's `name`",
                         description="An unknown or missing `name` is answered in `output` with the tools' names.",
                         openapi_extra=_request_doc({"anyOf": [wrapper_schema, _direct_form(
                             "Not a wrapper: names no tool, answered with an `unknown_tool` output")]}, examples),
                         responses={200: {"model": FunctionCallOutput}, **_ERRORS})
    return router
