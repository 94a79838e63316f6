"""The app's error responses: an `ApiError`, FastAPI's own 404/405 and request validation errors, all in the one
error shape (`catalog_tools.errors.error_content`)."""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException

from ..errors import ApiError, error_content
from ..jsonfast import JsonResponse


def error_response(status: int, code: str, message: str, details: list[dict[str, Any]] | None = None,
                   headers: dict[str, str] | None = None) -> JsonResponse:
    return JsonResponse(error_content(code, message, details), status_code=status, headers=headers)


def api_error_response(exc: ApiError) -> JsonResponse:
    """The answer to a client's mistake; the routes' handler and the fast path both send this."""
    return error_response(exc.status, exc.code, exc.message, exc.details, exc.headers)


async def api_error_handler(_: Request, exc: Exception) -> JsonResponse:
    assert isinstance(exc, ApiError)
    return api_error_response(exc)


async def http_error_handler(_: Request, exc: Exception) -> JsonResponse:
    assert isinstance(exc, StarletteHTTPException)
    codes = {404: "not_found", 405: "method_not_allowed"}
    return error_response(exc.status_code, codes.get(exc.status_code, "http_error"), str(exc.detail),
                          headers=getattr(exc, "headers", None))


async def validation_error_handler(_: Request, exc: Exception) -> JsonResponse:
    assert isinstance(exc, RequestValidationError)
    details = [{"field": ".".join(str(p) for p in e.get("loc", ())), "problem": e.get("msg", "")}
               for e in exc.errors()]
    return error_response(422, "invalid_request", "the request is not valid", details)
