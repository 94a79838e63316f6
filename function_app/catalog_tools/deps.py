"""FastAPI dependencies: the app's settings, catalog and trace store, and the per-endpoint key checks.

All are `async def`: FastAPI runs plain `def` dependencies in its thread pool, and four thread hand-offs per
request cost more than the whole search (none of these block).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from .catalog import Catalog
from .config import Settings
from .traces import TraceStore


async def get_settings(request: Request) -> Settings:
    return request.app.state.settings


async def get_catalog(request: Request) -> Catalog:
    return request.app.state.catalog


async def get_store(request: Request) -> TraceStore:
    return request.app.state.store


async def require_tool_key(request: Request) -> None:
    request.app.state.auth["tool"].check(request.headers)


async def require_score_key(request: Request) -> None:
    request.app.state.auth["score"].check(request.headers)


SettingsDep = Annotated[Settings, Depends(get_settings)]
CatalogDep = Annotated[Catalog, Depends(get_catalog)]
StoreDep = Annotated[TraceStore, Depends(get_store)]
ToolAuth = Annotated[None, Depends(require_tool_key)]
ScoreAuth = Annotated[None, Depends(require_score_key)]
