"""Azure Functions entry point: one anonymous HTTP function routing every path to the FastAPI app.

The app does its own auth (TOOL_/SCORE_AUTH_DISABLED, TOOL_/SCORE_API_KEY), so the host adds none.
`uvicorn function_app:fastapi_app --app-dir function_app` serves the same app without Core Tools.
With the table trace store a timer function also purges old rollouts from the table (TRACE_PURGE_SCHEDULE).
"""

import azure.functions as func

from catalog_tools.app import create_app
from catalog_tools.purge import purge_expired

fastapi_app = create_app()
settings = fastapi_app.state.settings
app = func.AsgiFunctionApp(app=fastapi_app, http_auth_level=func.AuthLevel.ANONYMOUS)

if fastapi_app.state.trace_store.kind == "table":
    # Only the table store needs it (the memory store expires by itself), and timer triggers need
    # AzureWebJobsStorage: registering it always would break `func start` without a storage emulator.
    @app.timer_trigger(schedule=settings.trace_purge_schedule, arg_name="timer", run_on_startup=False)
    async def purge_traces(timer: func.TimerRequest) -> None:
        await purge_expired(fastapi_app.state.store, settings.trace_retention_hours)
