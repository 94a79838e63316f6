"""Pure ASGI middleware (cheaper than BaseHTTPMiddleware on the hot path): the 1 MB body limit and one
structured log line per request. Handlers add `trace_id` / `call_id` to `scope["rft.log"]`."""

from __future__ import annotations

import json
import logging
import time
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ..errors import error_content
from ..jsonfast import dumps

access_log = logging.getLogger("catalog_tools.requests")


class BodyTooLarge(Exception):
    pass


class RequestGuardMiddleware:
    def __init__(self, app: ASGIApp, max_body_bytes: int, record_attributes: bool = False):
        self.app = app
        self.max_body_bytes = max_body_bytes
        # With telemetry on, the line's fields also go on the log record (customDimensions in App Insights).
        self.record_attributes = record_attributes

    async def _refuse(self, send: Send, status: int, code: str, message: str) -> None:
        body = dumps(error_content(code, message))
        await send({"type": "http.response.start", "status": status,
                    "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]})
        await send({"type": "http.response.body", "body": body})

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        context: dict[str, Any] = {}
        scope["rft.log"] = context
        status = 500
        started = False
        limit = self.max_body_bytes
        too_large = f"request body is larger than the {limit} byte limit"

        async def send_wrapper(message: Message) -> None:
            nonlocal status, started
            if message["type"] == "http.response.start":
                status = message["status"]
                started = True
            await send(message)

        received = 0

        async def receive_wrapper() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise BodyTooLarge
            return message

        try:
            length = dict(scope.get("headers", ())).get(b"content-length")
            # Compared as text first: int() of thousands of digits raises (the int-string limit).
            if length is not None and length.isdigit() and (len(length) > 18 or int(length) > limit):
                await self._refuse(send_wrapper, 413, "body_too_large", too_large)
            else:
                try:
                    await self.app(scope, receive_wrapper, send_wrapper)
                except BodyTooLarge:
                    if started:
                        raise
                    await self._refuse(send_wrapper, 413, "body_too_large", too_large)
        finally:
            if access_log.isEnabledFor(logging.INFO):
                line = {"method": scope.get("method"), "route": scope.get("path"), "status": status,
                        "latency_ms": round((time.perf_counter() - start) * 1000, 2), **context}
                extra = {f"rft.{k}": v for k, v in line.items() if v is not None} if self.record_attributes else None
                access_log.info(json.dumps(line), extra=extra)
