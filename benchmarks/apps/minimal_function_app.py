"""The start-up baseline: the smallest FastAPI app inside `AsgiFunctionApp`, as the Azure Functions template has it.

Served as `minimal_function_app:fastapi_app` (uvicorn) and imported as the Functions entry point would be."""

from __future__ import annotations

import azure.functions as func
from fastapi import FastAPI

fastapi_app = FastAPI()


@fastapi_app.post("/tool/search_catalog")
async def search_catalog(body: dict) -> dict:
    return {"type": "function_call_output", "call_id": body.get("call_id", ""), "id": body.get("id", ""),
            "output": "{}"}


@fastapi_app.get("/health")
async def health() -> dict:
    return {"status": "ok"}


app = func.AsgiFunctionApp(app=fastapi_app, http_auth_level=func.AuthLevel.ANONYMOUS)
