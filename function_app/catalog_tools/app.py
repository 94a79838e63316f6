"""`create_app()`: the FastAPI app served by Azure Functions (AsgiFunctionApp) or by uvicorn."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException

from . import __version__
from .config import MAX_BODY_BYTES, Settings, load_settings
from .credentials import CredentialFactory, azure_identity_credential
from .errors import ApiError
from .http.errors import api_error_handler, http_error_handler, validation_error_handler
from .http.fast_path import FastPathMiddleware
from .http.middleware import RequestGuardMiddleware
from .http.routes import grader, health, traces
from .http.routes.tools import tools_router
from .jsonfast import JsonResponse
from .search import Catalog
from .security import EndpointAuth
from .service import Service
from .storage import StoreChoice, choose_trace_store, under_functions_host
from .telemetry import NATIVE_TELEMETRY_OFF, Telemetry, configure_telemetry
from .tools import TOOLS, ToolRegistry
from .traces import MemoryTraceStore, TraceStore

log = logging.getLogger("catalog_tools")

DESCRIPTION = """Endpoints the Azure OpenAI reinforcement fine-tuning service calls during rollouts:
the tools (`/tool/<name>` each, `/tools` for all) and the endpoint grader `/score`. Keys go in
`X-Functions-Key`, `api-key` or `Authorization: Bearer` unless `TOOL_AUTH_DISABLED` / `SCORE_AUTH_DISABLED` is set."""


def _configure_logging(level: str, own_handler: bool) -> None:
    """Every record goes through the standard logging tree once.

    Under the Functions host (its worker's handler is on the root logger) or with telemetry on (the exporter's
    handler is), the app adds no handler of its own: one would print each line a second time. Alone (uvicorn,
    scripts) with no handler anywhere, one plain handler on the root logger, so a handler added later by someone
    else replaces nothing and duplicates nothing of ours.
    """
    logging.getLogger("catalog_tools").setLevel(level.upper())
    root = logging.getLogger()
    if own_handler and not root.handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(message)s"))
        root.addHandler(handler)


def _log_start_up(auth: dict[str, EndpointAuth], choice: StoreChoice) -> None:
    for policy in auth.values():
        closed = not policy.disabled and not policy.key
        log.log(logging.WARNING if closed else logging.INFO, "auth %s: %s", policy.path, policy.status)
    where = f" — {choice.target.describe()}" if choice.target is not None else ""
    log.info("trace store: %s (%s)%s", choice.kind, choice.reason, where)
    if choice.warning:
        log.warning("%s", choice.warning)


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    yield
    # Best effort: the Functions adapter may never run shutdown, and nothing depends on it.
    close = getattr(app.state.service.store, "close", None)
    if close is not None:
        await close()


def make_store(settings: Settings, choice: StoreChoice | None = None,
               credential_factory: CredentialFactory = azure_identity_credential) -> TraceStore:
    choice = choice or choose_trace_store(settings)
    if choice.kind == "table" and choice.target is not None:
        from .table_traces import TableTraceStore  # imported only when used: keeps cold start small

        return TableTraceStore(choice.target, settings.trace_table_name, settings.trace_store_timeout_seconds,
                               credential_factory)
    return MemoryTraceStore(settings.trace_ttl_seconds, settings.trace_max_traces)


def create_app(settings: Settings | None = None, catalog: Catalog | None = None,
               store: TraceStore | None = None, *,
               credential_factory: CredentialFactory = azure_identity_credential,
               telemetry: Telemetry | None = None, tools: ToolRegistry = TOOLS) -> FastAPI:
    """Build the app. Everything not passed in comes from the environment (`load_settings()`); `tools` are the
    tools it serves (the registry's, unless a test hands in more).

    Raises `SettingsError` (one line naming the setting) for a mistyped or half-configured setting.
    """
    settings = settings or load_settings()
    telemetry = telemetry or configure_telemetry(settings, credential_factory)
    _configure_logging(settings.log_level, own_handler=not telemetry.enabled and not under_functions_host(settings))
    if store is None:
        choice = choose_trace_store(settings)
        store = make_store(settings, choice, credential_factory)
    else:  # a store handed in (tests, embedding) is the caller's explicit choice
        choice = StoreChoice("table" if type(store).__name__ == "TableTraceStore" else "memory", "explicit",
                             getattr(store, "target", None))
    service = Service(settings, catalog or Catalog.from_path(settings.catalog_path), store, telemetry, tools)
    _log_start_up(service.auth, choice)
    docs = settings.docs_enabled
    app = FastAPI(title="RFT catalog tool and grader", version=__version__, description=DESCRIPTION,
                  lifespan=_lifespan, default_response_class=JsonResponse,
                  docs_url="/docs" if docs else None, redoc_url="/redoc" if docs else None,
                  openapi_url="/openapi.json" if docs else None, **NATIVE_TELEMETRY_OFF)
    app.state.service = service  # settings, catalog, store, telemetry, auth: the one home of each
    app.state.store = store  # the same object as service.store, for tests and notebooks that read the rollouts
    app.state.trace_store = choice
    app.include_router(tools_router(tools))
    app.include_router(grader.router)
    app.include_router(health.router)
    app.include_router(traces.router)
    app.add_exception_handler(ApiError, api_error_handler)
    app.add_exception_handler(StarletteHTTPException, http_error_handler)
    app.add_exception_handler(RequestValidationError, validation_error_handler)
    # Added first, so it runs inside the guard: the size limit and the access log cover both paths.
    app.add_middleware(FastPathMiddleware, service=service)
    app.add_middleware(RequestGuardMiddleware, max_body_bytes=MAX_BODY_BYTES, record_attributes=telemetry.enabled)
    telemetry.instrument(app)  # outermost: the request span covers the fast path and the routes
    return app
