"""The endpoints the training service calls in bursts, answered without FastAPI's per-request machinery.

Profiled under load, routing, dependency solving, request parsing and the exception layers cost more than the
search itself (a minimal FastAPI endpoint reaches about a third of a bare Starlette one). This middleware sits
inside `RequestGuardMiddleware` (size limit, access log) and serves a plain `POST /tool/<name>`, `POST /tools` or
`POST /score` (no query string) with the service the routes call, and answers a client's mistake (`ApiError`:
wrong key, wrong content type, a body that is not a JSON object, an invalid wrapper or grader request) itself with
the response the routes send. Anything else — another path or method, a query string — goes to the FastAPI app, as
does an unexpected exception, with the already-read body replayed. Both endpoints are idempotent per call_id /
trace_id, so running one again after such a failure changes nothing.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from typing import Any

from starlette.datastructures import Headers
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ..errors import ApiError
from ..jsonfast import JsonResponse
from ..service import Service
from ..tools import ToolRegistry
from .body import check_json_type, parse_json_object
from .errors import api_error_response

Handler = Callable[[Service, Headers, bytes, dict[str, Any]], Awaitable[Response]]


def _tool(route_tool: str | None) -> Handler:
    async def handle(service: Service, headers: Headers, raw: bytes, log_context: dict[str, Any]) -> Response:
        started = time.perf_counter()
        service.auth["tool"].check(headers)
        check_json_type(headers.get("content-type", ""))
        answer = await service.call_tool(parse_json_object(raw), log_context, started, route_tool)
        return Response(answer, media_type="application/json")
    return handle


async def _score(service: Service, headers: Headers, raw: bytes, log_context: dict[str, Any]) -> Response:
    service.auth["score"].check(headers)
    check_json_type(headers.get("content-type", ""))
    return JsonResponse(await service.grade(parse_json_object(raw), False, log_context))


def handlers(tools: ToolRegistry) -> dict[str, Handler]:
    """Path -> handler: one per tool route, `/tools` and `/score` (the same paths `routes` serves)."""
    served: dict[str, Handler] = {f"/tool/{tool.name}": _tool(tool.name) for tool in tools}
    served["/tools"] = _tool(None)
    served["/score"] = _score
    return served


class FastPathMiddleware:
    def __init__(self, app: ASGIApp, service: Service):
        self.app = app
        self.service = service
        self.handlers = handlers(service.tools)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        handler = self.handlers.get(scope["path"]) if scope["type"] == "http" else None
        if handler is None or scope["method"] != "POST" or scope.get("query_string"):
            await self.app(scope, receive, send)
            return
        chunks: list[bytes] = []
        while True:
            message = await receive()
            if message["type"] != "http.request":  # the client left mid-body: the app sees exactly that
                await self.app(scope, _replay(b"".join(chunks), receive, message), send)
                return
            chunks.append(message.get("body", b""))
            if not message.get("more_body", False):
                break
        raw = b"".join(chunks)
        try:
            response = await handler(self.service, Headers(scope=scope), raw, scope.setdefault("rft.log", {}))
        except ApiError as exc:  # a client's mistake: the routes' own error response, sent once
            response = api_error_response(exc)
        except Exception:  # unexpected: the routes run it again and answer as they would
            await self.app(scope, _replay(raw, receive), send)
            return
        await response(scope, receive, send)


def _replay(body: bytes, receive: Receive, last: Message | None = None) -> Receive:
    """A receive callable that first hands back the body already read (and `last`, if any), then the real one."""
    pending: list[Message] = [{"type": "http.request", "body": body, "more_body": last is not None}]
    if last is not None:
        pending.append(last)

    async def replayed() -> Message:
        return pending.pop(0) if pending else await receive()

    return replayed
