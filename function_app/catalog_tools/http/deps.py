"""FastAPI dependencies: the app's service (and its catalog and trace store) and the per-endpoint key checks.

All are `async def`: FastAPI runs plain `def` dependencies in its thread pool, and thread hand-offs per request
cost more than the whole search (none of these block).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from ..search import Catalog
from ..service import Service
from ..traces import TraceStore


async def get_service(request: Request) -> Service:
    return request.app.state.service


async def get_catalog(request: Request) -> Catalog:
    return request.app.state.service.catalog


async def get_store(request: Request) -> TraceStore:
    return request.app.state.service.store


async def require_tool_key(request: Request) -> None:
    request.app.state.service.auth["tool"].check(request.headers)


async def require_score_key(request: Request) -> None:
    request.app.state.service.auth["score"].check(request.headers)


ServiceDep = Annotated[Service, Depends(get_service)]
CatalogDep = Annotated[Catalog, Depends(get_catalog)]
StoreDep = Annotated[TraceStore, Depends(get_store)]
ToolAuth = Annotated[None, Depends(require_tool_key)]
ScoreAuth = Annotated[None, Depends(require_score_key)]
