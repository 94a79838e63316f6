"""A second tool for the several-tools tests: `get_product` (look a SKU up) on its own small app, recording calls.

The app (`function_app/`) serves its own `get_product` too; here this loopback server plays another team's tool,
answering the service's wrapper with a `function_call_output` and reading mistakes back as an error `output`.
"""

from __future__ import annotations

import copy
import json
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from catalog_tools.tools.search_catalog import run_search
from rftkit import DATA_DIR
from rftkit.util.jsonl import read_jsonl
from tests.support import shipped_catalog

GET_PRODUCT = {"type": "function", "function": {
    "name": "get_product", "description": "Look one product up by its SKU.",
    "parameters": {"type": "object", "properties": {"sku": {"type": "string", "minLength": 3, "maxLength": 32}},
                   "required": ["sku"], "additionalProperties": False}}}


def product_app() -> FastAPI:
    """POST /tool/get_product, and POST /tools serving both tools; `app.state.calls` keeps (path, wrapper body,
    headers) of every call."""
    app = FastAPI()
    app.state.calls = []
    products = {p.sku: p.public() for p in shipped_catalog().products}

    async def answer(request: Request) -> JSONResponse:
        body = await request.json()
        app.state.calls.append((request.url.path, body, dict(request.headers)))
        output: dict[str, Any]
        try:
            arguments = json.loads(body["arguments"])
            sku = arguments["sku"]
            output = products[sku] if sku in products else {"error": "not_found", "message": f"no SKU {sku!r}"}
        except (KeyError, TypeError, ValueError):
            output = {"error": "invalid_arguments", "message": "give {\"sku\": \"...\"}"}
        return JSONResponse({"type": "function_call_output", "call_id": body.get("call_id", ""),
                             "output": json.dumps(output)})

    @app.post("/tool/get_product")
    async def get_product(request: Request) -> JSONResponse:
        return await answer(request)

    @app.post("/tools")
    async def dispatch(request: Request) -> JSONResponse:
        """Several tools on one URL, as in Microsoft's retail agent sample: the wrapper's `name` picks the tool."""
        body = await request.json()
        if body.get("name") != "search_catalog":
            return await answer(request)
        app.state.calls.append((request.url.path, body, dict(request.headers)))
        output, _ = run_search(body["arguments"], shipped_catalog(), 1_000_000)
        return JSONResponse({"type": "function_call_output", "call_id": body.get("call_id", ""), "output": output})

    return app


def two_tool_rows(limit: int = 4) -> list[dict[str, Any]]:
    """Shipped validation rows that need only searches, offering this module's `get_product` instead of the app's;
    each reference trajectory ends by looking its answer up with it."""
    rows = []
    for row in read_jsonl(DATA_DIR / "valid_tool.jsonl"):
        if len(rows) == limit:
            break
        if any(call["name"] == "get_product" for call in row["metadata"]["reference_calls"]):
            continue  # already three calls: a fourth would cost reward
        row = copy.deepcopy(row)
        row["tools"] = [t for t in row["tools"] if t["function"]["name"] != "get_product"] + [GET_PRODUCT]
        row["metadata"]["reference_calls"].append({"name": "get_product",
                                                   "arguments": {"sku": row["reference_answer"]}})
        rows.append(row)
    return rows
