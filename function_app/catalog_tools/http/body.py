"""Reading a JSON object body with clear 4xx errors (415 wrong content type; 400 not JSON, not an object, or JSON
`jsonfast.loads` refuses: too deep, a number too large, NaN, invalid UTF-8, a lone surrogate, a duplicate key)."""

from __future__ import annotations

from typing import Any

from fastapi import Request

from .. import jsonfast
from ..errors import ApiError


def _is_json_type(content_type: str) -> bool:
    media = content_type.split(";", 1)[0].strip().lower()
    return media in ("", "application/json", "text/plain") or media.endswith("+json")


async def read_json_object(request: Request) -> dict[str, Any]:
    content_type = request.headers.get("content-type", "")
    check_json_type(content_type)
    return parse_json_object(await request.body())


def check_json_type(content_type: str) -> None:
    if not _is_json_type(content_type):
        raise ApiError(415, "unsupported_media_type", f"send JSON with Content-Type: application/json "
                       f"(got {content_type!r})")


def parse_json_object(raw: bytes) -> dict[str, Any]:
    if not raw.strip():
        raise ApiError(400, "empty_body", "the request body is empty; send a JSON object")
    try:
        body = jsonfast.loads(raw)
    except jsonfast.JsonError as exc:
        problem = "is not valid JSON" if exc.code == "invalid_json" else "is refused"
        raise ApiError(400, exc.code, f"the request body {problem}: {exc.message}") from exc
    if not isinstance(body, dict):
        raise ApiError(400, "invalid_body", f"the request body must be a JSON object, not {type(body).__name__}")
    return body
