"""The dry-run baseline: both endpoints with no work behind them. The tool answers every call with the same
realistic search output (one product) and echoes the ids; /score answers {"score": 1.0}. Rollouts/s against this
stub is the ceiling the runner and the machine allow; the real app is measured against it."""

from __future__ import annotations

import json

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

_OUTPUT = json.dumps({"query": "warm jacket", "terms": ["warm", "jacket"], "match": "all_terms", "filters": {},
                      "sort": "relevance", "total": 1, "returned": 1, "truncated": False,
                      "items": [{"sku": "JKT-URB-009", "name": "Urban Puffer", "category": "jackets", "price": 149.5,
                                 "currency": "USD", "rating": 4.4, "in_stock": True,
                                 "attributes": {"warmth": "warm", "waterproof": False},
                                 "description": "A warm city puffer."}]}, separators=(",", ":"))
_SCORE = b'{"score":1.0}'


async def tool(request: Request) -> Response:
    body = json.loads(await request.body())
    answer = {"type": "function_call_output", "call_id": body.get("call_id", "call_0"), "id": body.get("id", "fc_0"),
              "output": _OUTPUT}
    return Response(json.dumps(answer), media_type="application/json")


async def score(request: Request) -> Response:
    await request.body()
    return Response(_SCORE, media_type="application/json")


app = Starlette(routes=[Route("/tool/search_catalog", tool, methods=["POST"]),
                        Route("/score", score, methods=["POST"])])
