"""Azure Functions entry point: one anonymous HTTP function routing every path to the FastAPI app.

The app does its own auth (TOOL_/SCORE_AUTH_DISABLED, TOOL_/SCORE_API_KEY), so the host adds none.
`uvicorn function_app:fastapi_app --app-dir function_app` serves the same app without Core Tools.
"""

import azure.functions as func
from catalog_tools.app import create_app

fastapi_app = create_app()
app = func.AsgiFunctionApp(app=fastapi_app, http_auth_level=func.AuthLevel.ANONYMOUS)
