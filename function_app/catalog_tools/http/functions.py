"""The Azure Functions adapter: one anonymous HTTP function routing every path to the FastAPI app, and, with the
table trace store, a timer function that purges old rollouts (TRACE_PURGE_SCHEDULE).

Imported only by function_app.py (it needs `azure.functions`, which the toolkit does not)."""

from __future__ import annotations

from urllib.parse import unquote_to_bytes, urlparse

import azure.functions as func
from fastapi import FastAPI

from ..errors import error_content
from ..jsonfast import dumps
from ..purge import purge_expired


class PathCheckingMiddleware(func.AsgiMiddleware):
    """The adapter decodes the URL path as UTF-8 before the app runs: a path such as /traces/%FF would raise there
    and the host would answer 500. Such a request gets a 400 in the app's error shape instead."""

    async def handle_async(self, req: func.HttpRequest, context: func.Context | None = None) -> func.HttpResponse:
        try:
            unquote_to_bytes(urlparse(req.url).path).decode("utf-8")
        except UnicodeDecodeError:
            body = dumps(error_content("invalid_path", "the URL path is not valid UTF-8 once percent-decoded"))
            return func.HttpResponse(body, status_code=400, mimetype="application/json")
        return await super().handle_async(req, context)


class _AsgiFunctionApp(func.AsgiFunctionApp):
    def __init__(self, app: FastAPI, http_auth_level: func.AuthLevel):
        self._served = app  # read by _add_http_app, which the base __init__ calls
        super().__init__(app=app, http_auth_level=http_auth_level)

    def _add_http_app(self, http_middleware: func.AsgiMiddleware, function_name: str = "http_app_func") -> None:
        # AsgiFunctionApp.__init__ hands in its own middleware; serve (and shut down) through the checking one.
        # `_add_http_app` is the hook azure-functions' ExternalHttpFunctionApp declares for such apps (abstract
        # there, the same signature in 1.26 and 2.3; the adapter tests pass on both).
        self.middleware = PathCheckingMiddleware(self._served)
        super()._add_http_app(self.middleware, function_name)


def function_app(fastapi_app: FastAPI) -> func.AsgiFunctionApp:
    """The Functions app serving `fastapi_app` (the host does no auth: the app checks its own keys)."""
    app = _AsgiFunctionApp(app=fastapi_app, http_auth_level=func.AuthLevel.ANONYMOUS)
    state = fastapi_app.state
    if state.trace_store.kind == "table":
        # Only the table store needs it (the memory store expires by itself), and timer triggers need
        # AzureWebJobsStorage: registering it always would break `func start` without a storage emulator.
        settings = state.service.settings

        @app.timer_trigger(schedule=settings.trace_purge_schedule, arg_name="timer", run_on_startup=False)
        async def purge_traces(timer: func.TimerRequest) -> None:
            await purge_expired(state.service.store, settings.trace_retention_hours)

    return app
