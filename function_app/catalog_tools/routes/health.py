"""GET /health: liveness and what the app is serving (no auth; reveals no secrets)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from .. import __version__
from ..deps import CatalogDep, SettingsDep, StoreDep

router = APIRouter(tags=["health"])


@router.get("/health", summary="Liveness and configuration summary")
async def health(catalog: CatalogDep, settings: SettingsDep, store: StoreDep) -> dict[str, Any]:
    return {
        "status": "ok",
        "version": __version__,
        "catalog": {"products": len(catalog), "categories": list(catalog.categories)},
        "trace_store": type(store).__name__,
        "auth": {"tool": not settings.tool_auth_disabled, "score": not settings.score_auth_disabled},
    }
