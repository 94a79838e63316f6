"""Azure Functions entry point: one anonymous HTTP function routing every path to the FastAPI app.

The app does its own auth (TOOL_/SCORE_AUTH_DISABLED, TOOL_/SCORE_API_KEY), so the host adds none.
`uvicorn function_app:fastapi_app --app-dir function_app` serves the same app without Core Tools.
With the table trace store a timer function also purges old rollouts from the table (TRACE_PURGE_SCHEDULE).
"""

from urllib.parse import unquote_to_bytes, urlparse

import azure.functions as func

from catalog_tools.app import create_app
from catalog_tools.errors import error_content
from catalog_tools.jsonfast import dumps
from catalog_tools.purge import purge_expired


class _PathCheckingMiddleware(func.AsgiMiddleware):
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
    def _add_http_app(self, http_middleware: func.AsgiMiddleware, function_name: str = "http_app_func") -> None:
        # AsgiFunctionApp.__init__ hands in its own middleware; serve (and shut down) through the checking one.
        self.middleware = _PathCheckingMiddleware(fastapi_app)
        super()._add_http_app(self.middleware, function_name)


fastapi_app = create_app()
settings = fastapi_app.state.settings
app = _AsgiFunctionApp(app=fastapi_app, http_auth_level=func.AuthLevel.ANONYMOUS)

if fastapi_app.state.trace_store.kind == "table":
    # Only the table store needs it (the memory store expires by itself), and timer triggers need
    # AzureWebJobsStorage: registering it always would break `func start` without a storage emulator.
    @app.timer_trigger(schedule=settings.trace_purge_schedule, arg_name="timer", run_on_startup=False)
    async def purge_traces(timer: func.TimerRequest) -> None:
        await purge_expired(fastapi_app.state.store, settings.trace_retention_hours)
