"""Helpers for the rollout tests: dataset rows, a request-recording ASGI wrapper, and small misbehaving servers."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from catalog_tools.tools import tool_definition

TOOLS = [tool_definition()]  # built once: generating the JSON Schema takes milliseconds
DEVELOPER = {"role": "developer", "content": "Call search_catalog first, then answer with the SKU only."}

# (id, request, reference SKU, task_type, difficulty) — references checked against the shipped catalog.
REQUESTS = (
    ("row-cheap-warm", "Return the SKU of the cheapest warm jacket under $200.", "JKT-URB-009", "filter_sort", "easy"),
    ("row-compare", "Which is cheaper: the Urban Puffer or the Alpine Insulated? Reply with the SKU.", "JKT-URB-009",
     "comparison", "medium"),
    ("row-name", "What is the SKU of the Alpine Insulated?", "JKT-ALP-002", "lookup", "easy"),
)


def make_row(row_id: str, request: str, reference: str, task_type: str = "lookup", difficulty: str = "easy",
             **extra: Any) -> dict[str, Any]:
    return {"messages": [DEVELOPER, {"role": "user", "content": request}], "tools": TOOLS,
            "reference_answer": reference, "id": row_id,
            "metadata": {"task_type": task_type, "difficulty": difficulty}, **extra}


def sample_rows() -> list[dict[str, Any]]:
    return [make_row(*r) for r in REQUESTS]


def tool_entry(base_url: str, headers: dict[str, str] | None = None) -> dict[str, Any]:
    entry: dict[str, Any] = {"name": "search_catalog", "server_url": f"{base_url}/tool/search_catalog"}
    if headers:
        entry["headers"] = headers
    return entry


def endpoint_grader(base_url: str) -> dict[str, Any]:
    return {"type": "endpoint", "name": "catalog_grader", "url": f"{base_url}/score"}


class Recorder:
    """ASGI wrapper that keeps every HTTP request (path, query, headers, JSON body) and the peak in flight."""

    def __init__(self, app: Any):
        self.app = app
        self.requests: list[dict[str, Any]] = []
        self.in_flight = 0
        self.peak = 0

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        chunks: list[bytes] = []

        async def recording_receive() -> dict:
            message = await receive()
            if message["type"] == "http.request":
                chunks.append(message.get("body", b""))
            return message

        self.in_flight += 1
        self.peak = max(self.peak, self.in_flight)
        try:
            await self.app(scope, recording_receive, send)
        finally:
            self.in_flight -= 1
        raw = b"".join(chunks)
        self.requests.append({"path": scope["path"], "query": scope["query_string"].decode(),
                              "headers": {k.decode().lower(): v.decode() for k, v in scope["headers"]},
                              "body": json.loads(raw) if raw else None})

    def bodies(self, path: str, query: str = "") -> list[Any]:
        return [r["body"] for r in self.requests if r["path"] == path and r["query"] == query]


def misbehaving_app(*, status: int = 200, sleep: float = 0.0, body: Any = None, fail_first: int = 0) -> FastAPI:
    """A stand-in tool and grader: sleeps, then answers `status` with `body` (default: a valid answer).
    With `fail_first=n` the first n calls answer 503 and the rest are valid."""
    app = FastAPI()
    calls = {"n": 0}

    async def answer(request: Request, valid: dict[str, Any]) -> JSONResponse:
        payload = await request.json()
        calls["n"] += 1
        if sleep:
            await asyncio.sleep(sleep)
        if calls["n"] <= fail_first:
            return JSONResponse({"error": "busy"}, status_code=503)
        if status != 200:
            return JSONResponse({"error": {"code": "boom", "message": "failure"}}, status_code=status)
        return JSONResponse(body if body is not None else {**valid, "call_id": payload.get("call_id", "")})

    @app.post("/tool/search_catalog")
    async def tool(request: Request) -> JSONResponse:
        return await answer(request, {"type": "function_call_output", "id": "fc_1", "output": json.dumps(
            {"items": [{"sku": "JKT-URB-009", "name": "Urban Puffer", "price": 149.5, "rating": 4.4}]})})

    @app.post("/score")
    async def score(request: Request) -> JSONResponse:
        return await answer(request, {"score": 1.0})

    app.state.calls = calls
    return app
