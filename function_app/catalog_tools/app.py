"""`create_app()`: the FastAPI app served by Azure Functions (AsgiFunctionApp) or by uvicorn."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException

from . import __version__
from .catalog import Catalog
from .config import MAX_BODY_BYTES, Settings
from .errors import ApiError, api_error_handler, http_error_handler, validation_error_handler
from .fast_path import FastPathMiddleware
from .jsonfast import JsonResponse
from .middleware import RequestGuardMiddleware
from .routes import grader, health, tool, traces
from .traces import MemoryTraceStore, TraceStore

log = logging.getLogger("catalog_tools")

DESCRIPTION = """Endpoints the Azure OpenAI reinforcement fine-tuning service calls during rollouts:
the `search_catalog` tool and the endpoint grader `/score`. Keys go in `X-Functions-Key`, `api-key`
or `Authorization: Bearer` unless `TOOL_AUTH_DISABLED` / `SCORE_AUTH_DISABLED` is set."""


def _warn_about_auth(settings: Settings) -> None:
    for endpoint, disabled, key, switch, key_name in (
        ("/tool/search_catalog", settings.tool_auth_disabled, settings.tool_api_key, "TOOL_AUTH_DISABLED",
         "TOOL_API_KEY"),
        ("/score", settings.score_auth_disabled, settings.score_api_key, "SCORE_AUTH_DISABLED", "SCORE_API_KEY"),
    ):
        if not disabled and (key is None or not key.get_secret_value()):
            log.warning("auth is on for %s but %s is not set: every request will get 401 (set %s, or %s=true)",
                        endpoint, key_name, key_name, switch)


def _configure_logging(level: str) -> None:
    """Our loggers only: the Functions host (or uvicorn) owns the root logger."""
    package_log = logging.getLogger("catalog_tools")
    package_log.setLevel(level.upper())
    if not logging.getLogger().handlers and not package_log.handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(message)s"))
        package_log.addHandler(handler)


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    yield
    # Best effort: the Functions adapter may never run shutdown, and nothing depends on it.
    close = getattr(app.state.store, "close", None)
    if close is not None:
        await close()


def make_store(settings: Settings) -> TraceStore:
    if settings.trace_store == "table":
        from .table_traces import TableTraceStore  # imported only when used: keeps cold start small

        return TableTraceStore(settings.table_connection_string(), settings.trace_table_name,
                               settings.trace_store_timeout_seconds)
    return MemoryTraceStore(settings.trace_ttl_seconds, settings.trace_max_traces)


def create_app(settings: Settings | None = None, catalog: Catalog | None = None,
               store: TraceStore | None = None) -> FastAPI:
    """Build the app. Everything not passed in comes from `Settings()` (environment variables)."""
    settings = settings or Settings()
    _configure_logging(settings.log_level)
    _warn_about_auth(settings)
    app = FastAPI(title="RFT catalog tool and grader", version=__version__, description=DESCRIPTION,
                  lifespan=_lifespan, default_response_class=JsonResponse)
    app.state.settings = settings
    app.state.catalog = catalog or Catalog.from_path(settings.catalog_path)
    app.state.store = store or make_store(settings)
    app.include_router(tool.router)
    app.include_router(grader.router)
    app.include_router(health.router)
    app.include_router(traces.router)
    app.add_exception_handler(ApiError, api_error_handler)
    app.add_exception_handler(StarletteHTTPException, http_error_handler)
    app.add_exception_handler(RequestValidationError, validation_error_handler)
    # Added first, so it runs inside the guard: the size limit and the access log cover both paths.
    app.add_middleware(FastPathMiddleware, state=app.state)
    app.add_middleware(RequestGuardMiddleware, max_body_bytes=MAX_BODY_BYTES)
    return app
