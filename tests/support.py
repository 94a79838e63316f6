"""Test helpers shared by several test files: settings, apps, and a real uvicorn server on loopback."""

from __future__ import annotations

import contextlib
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from fastapi import FastAPI

from catalog_tools.app import create_app
from catalog_tools.config import SHIPPED_CATALOG, Settings
from catalog_tools.search import Catalog
from rftkit.util.servers import BackgroundServer

# The repository root, whatever the depth of the test file that asks.
REPO_ROOT = Path(__file__).resolve().parent.parent

_CATALOG: Catalog | None = None
# AsgiFunctionApp.__del__ runs asyncio.run(...): garbage-collected inside a later test's event loop it fails.
# Function apps made by tests are kept alive until the interpreter exits, where __del__ is harmless.
_FUNCTION_APPS: list[Any] = []


def import_function_app() -> Any:
    """A fresh import of function_app.py (it reads its settings from the environment at import)."""
    import importlib
    import sys

    sys.modules.pop("function_app", None)
    try:
        module = importlib.import_module("function_app")
    finally:
        sys.modules.pop("function_app", None)
    _FUNCTION_APPS.append(module.app)
    return module


def shipped_catalog() -> Catalog:
    """The shipped catalog, indexed once per test session (it is read-only)."""
    global _CATALOG
    if _CATALOG is None:
        _CATALOG = Catalog.from_path(SHIPPED_CATALOG)
    return _CATALOG


def open_settings(**overrides: Any) -> Settings:
    """Settings with both auth switches off (as in the committed local.settings example)."""
    values: dict[str, Any] = {"tool_auth_disabled": True, "score_auth_disabled": True}
    values.update(overrides)
    return Settings(**values)


def make_app(**overrides: Any) -> FastAPI:
    return create_app(open_settings(**overrides), catalog=shipped_catalog())


def free_port() -> int:
    """A loopback port nothing listens on (bound, then closed): for "cannot reach it" tests. Servers bind their own
    socket first (`serve`), so they never race for a port picked here."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def serve(app: Any, port: int = 0, timeout: float = 20.0) -> Iterator[str]:
    """Serve an ASGI app with uvicorn on 127.0.0.1 in a background thread (`rftkit.util.servers`); yield its base
    URL."""
    server = BackgroundServer(app, port=port, lifespan="off").start(timeout)
    try:
        yield server.url
    finally:
        server.stop()


# One rollout on the wire, written out literally (the app's tests check the service's shapes, not rftkit's):
# a tool call that finds the Urban Puffer, then the grading of the answer "JKT-URB-009".
SEARCH_TOOL_ENTRY = {"type": "function", "function": {"name": "search_catalog", "parameters": {"type": "object"}}}


def puffer_call(trace_id: str, call_id: str) -> dict[str, Any]:
    """The service's wrapper of a `search_catalog` call for "Urban Puffer" (top_k 1)."""
    return {"type": "function_call", "id": f"fc_{call_id}", "call_id": call_id, "name": "search_catalog",
            "arguments": '{"query":"Urban Puffer","top_k":1}', "trace_id": trace_id, "item": {}}


def puffer_grading(trace_id: str) -> dict[str, Any]:
    """The endpoint grader's request for the right answer, JKT-URB-009, with the row's tools."""
    return {"sample": {"output_text": "JKT-URB-009"},
            "item": {"reference_answer": "JKT-URB-009", "tools": [SEARCH_TOOL_ENTRY]}, "trace_id": trace_id}
