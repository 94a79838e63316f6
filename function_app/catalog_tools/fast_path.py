"""The two endpoints the training service calls in bursts, answered without FastAPI's per-request machinery.

Profiled under load, routing, dependency solving, request parsing and the exception layers cost more than the
search itself (a minimal FastAPI endpoint reaches about a third of a bare Starlette one). This middleware sits
inside `RequestGuardMiddleware` (size limit, access log) and serves a plain `POST /tool/search_catalog` or
`POST /score` (no query string) with the same functions the routes call. Anything else — another path, a query
string, a wrong key, a body that is not a JSON object, an invalid wrapper or grader request, any exception — goes
to the FastAPI app with the already-read body replayed, so every error response is exactly the routes' own.
Both endpoints are idempotent per call_id / trace_id, so running one again after a failure changes nothing.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from typing import Any

from starlette.datastructures import Headers, State
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .body import check_json_type, parse_json_object
from .jsonfast import JsonResponse
from .routes.grader import grade_request
from .routes.tool import tool_call

Handler = Callable[[State, Headers, bytes, dict[str, Any]], Awaitable[Response]]


async def _tool(state: State, headers: Headers, raw: bytes, log_context: dict[str, Any]) -> Response:
    started = time.perf_counter()
    state.auth["tool"].check(headers)
    check_json_type(headers.get("content-type", ""))
    body = parse_json_object(raw)
    answer = await tool_call(body, state.catalog, state.store, state.settings, log_context, started, state.telemetry)
    return Response(answer, media_type="application/json")


async def _score(state: State, headers: Headers, raw: bytes, log_context: dict[str, Any]) -> Response:
    state.auth["score"].check(headers)
    check_json_type(headers.get("content-type", ""))
    body = parse_json_object(raw)
    return JsonResponse(await grade_request(body, state.store, state.settings, False, log_context, state.telemetry))


HANDLERS: dict[str, Handler] = {"/tool/search_catalog": _tool, "/score": _score}


class FastPathMiddleware:
    def __init__(self, app: ASGIApp, state: State):
        self.app = app
        self.state = state

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        handler = HANDLERS.get(scope["path"]) if scope["type"] == "http" else None
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
            response = await handler(self.state, Headers(scope=scope), raw, scope.setdefault("rft.log", {}))
        except Exception:  # any failure is answered by the routes themselves
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
