"""Azure Functions entry point: the FastAPI app (`catalog_tools`) behind one anonymous HTTP function.

The app does its own auth (TOOL_/SCORE_AUTH_DISABLED, TOOL_/SCORE_API_KEY), so the host adds none; the adapter
and the purge timer are in catalog_tools/http/functions.py. `uvicorn function_app:fastapi_app --app-dir
function_app` serves the same app without Core Tools.
"""

from catalog_tools.app import create_app
from catalog_tools.http.functions import function_app

fastapi_app = create_app()
app = function_app(fastapi_app)
