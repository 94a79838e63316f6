"""The HTTP adapters over `catalog_tools.service`: routes, the fast path, body parsing, the error responses, the
request guard middleware and the Azure Functions adapter (`functions`, imported only by function_app.py)."""
