"""A client's mistake (`ApiError`, raised by the service and the auth check) and the one JSON error shape of every
4xx/5xx: {"error": {"code", "message", "details"?}}. The HTTP adapters turn one into the other (`http.errors`)."""

from __future__ import annotations

from typing import Any


class ApiError(Exception):
    def __init__(self, status: int, code: str, message: str, details: list[dict[str, Any]] | None = None,
                 headers: dict[str, str] | None = None):
        super().__init__(message)
        self.status, self.code, self.message, self.details, self.headers = status, code, message, details, headers


def error_content(code: str, message: str, details: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """The one error body of the app (the HTTP error handlers, the middleware's refusals, the Functions adapter)."""
    body: dict[str, Any] = {"code": code, "message": message}
    if details:
        body["details"] = details
    return {"error": body}
