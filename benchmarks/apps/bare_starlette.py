"""The throughput baseline: a bare Starlette POST endpoint that reads the request body and answers a fixed JSON
body of BENCH_BODY_BYTES bytes (the real endpoint's mean response size), with no parsing, validation or work."""

from __future__ import annotations

import json
import os

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route


def fixed_body(size: int) -> bytes:
    """A JSON object of exactly `size` bytes (at least 12)."""
    shell = json.dumps({"output": ""}, separators=(",", ":"))
    return json.dumps({"output": "x" * max(0, size - len(shell))}, separators=(",", ":")).encode()


BODY = fixed_body(int(os.environ.get("BENCH_BODY_BYTES", "1000")))


async def endpoint(request: Request) -> Response:
    await request.body()
    return Response(BODY, media_type="application/json")


app = Starlette(routes=[Route("/{path:path}", endpoint, methods=["POST"])])
