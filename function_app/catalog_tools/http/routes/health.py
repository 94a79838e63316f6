"""GET /health: liveness and what the app is serving (no auth; reveals no secrets)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request

from ... import __version__
from ..deps import CatalogDep

router = APIRouter(tags=["health"])


@router.get("/health", summary="Liveness and configuration summary")
async def health(request: Request, catalog: CatalogDep) -> dict[str, Any]:
    state = request.app.state
    return {
        "status": "ok",
        "version": __version__,
        "catalog": {"products": len(catalog), "categories": list(catalog.categories)},
        "tools": state.service.tools.names,
        # kind, why (explicit / chosen for Azure / default) and where, never a connection string
        "trace_store": state.trace_store.as_dict(),
        # per endpoint: "open (…_AUTH_DISABLED=true)", "key required" or "closed: …" (never the key)
        "auth": {name: policy.status for name, policy in state.service.auth.items()},
        "telemetry": "application insights" if state.service.telemetry.enabled else "off",
    }
