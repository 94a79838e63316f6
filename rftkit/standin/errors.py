"""The service's error shape: `{"error": {"message", "type", "param", "code"}}` with a 4xx status."""

from __future__ import annotations

from collections.abc import Sequence

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from rftkit.jobs.rules import Problem


class StandinError(Exception):
    def __init__(self, status: int, message: str, *, param: str | None = None, code: str | None = None,
                 type: str = "invalid_request_error"):
        super().__init__(message)
        self.status, self.message, self.param, self.code, self.type = status, message, param, code, type

    def body(self) -> dict[str, object]:
        return {"error": {"message": self.message, "type": self.type, "param": self.param, "code": self.code}}


def invalid(problems: Sequence[Problem], code: str = "invalid_value") -> StandinError:
    """A 400 naming the first problem's field, with every problem in the message."""
    message = "; ".join(str(p) for p in problems)
    return StandinError(400, message, param=problems[0].param, code=code)


def not_found(kind: str, ident: str, param: str) -> StandinError:
    return StandinError(404, f"No {kind} found with id {ident!r}.", param=param, code="not_found")


async def api_error_handler(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StandinError)
    return JSONResponse(exc.body(), status_code=exc.status)


async def http_error_handler(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "http_error")
    return JSONResponse(StandinError(exc.status_code, str(exc.detail), code=code).body(), status_code=exc.status_code,
                        headers=getattr(exc, "headers", None))


async def validation_error_handler(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    first = exc.errors()[0] if exc.errors() else {"loc": (), "msg": "invalid request"}
    param = ".".join(str(p) for p in first["loc"] if p not in ("body", "query", "path")) or None
    return JSONResponse(StandinError(400, first["msg"], param=param, code="invalid_value").body(), status_code=400)
