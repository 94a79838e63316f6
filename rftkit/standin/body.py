"""Reading request bodies with a size cap, before anything is parsed."""

from __future__ import annotations

import json
from typing import Any

from fastapi import Request

from rftkit.standin.errors import StandinError
from rftkit.wire import MAX_BODY_BYTES


async def read_capped(request: Request, limit: int, param: str | None = None) -> bytes:
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise StandinError(413, f"The request body is larger than {limit} bytes.", param=param,
                           code="request_too_large")
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise StandinError(413, f"The request body is larger than {limit} bytes.", param=param,
                               code="request_too_large")
        chunks.append(chunk)
    return b"".join(chunks)


async def read_standin_json_object(request: Request) -> dict[str, Any]:
    raw = await read_capped(request, MAX_BODY_BYTES)
    try:
        body = json.loads(raw or b"null")
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise StandinError(400, f"The request body is not valid JSON: {exc}", code="invalid_json") from exc
    if not isinstance(body, dict):
        raise StandinError(400, "The request body must be a JSON object.", code="invalid_value")
    return body
