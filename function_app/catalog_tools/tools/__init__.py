"""The tool registry: every tool the app serves. A tool is one module (its argument model and run function, see
`base.Tool`); registering it here gives it `POST /tool/<name>`, a place in `POST /tools`, the fast path, trace
recording and its JSON schema (`tool_definition(name)`), which dataset rows carry."""

from __future__ import annotations

from typing import Any

from ..search import Catalog
from . import get_product, search_catalog
from .base import Tool, ToolContext, ToolRegistry, error_output
from .search_catalog import SearchArguments, run_search

SEARCH_CATALOG = search_catalog.NAME
GET_PRODUCT = get_product.NAME

TOOLS = ToolRegistry([search_catalog.TOOL, get_product.TOOL])


def tool_definition(name: str = SEARCH_CATALOG, catalog: Catalog | None = None) -> dict[str, Any]:
    """The Chat-Completions function definition of one registered tool for `catalog` (the one the app serves; None:
    the argument model's own, which is the shipped catalog's). KeyError for an unknown name."""
    tool = TOOLS.get(name)
    if tool is None:
        raise KeyError(f"no tool named {name!r}; registered: {', '.join(TOOLS.names)}")
    return tool.definition(catalog)


def tool_parameters(name: str = SEARCH_CATALOG, catalog: Catalog | None = None) -> dict[str, Any]:
    """The `parameters` JSON Schema of one registered tool, generated from its argument model (for `catalog`)."""
    return tool_definition(name, catalog)["function"]["parameters"]


def tool_definitions(catalog: Catalog | None = None) -> list[dict[str, Any]]:
    """Every registered tool's definition for `catalog`, in registration order."""
    return TOOLS.definitions(catalog)


__all__ = ["GET_PRODUCT", "SEARCH_CATALOG", "TOOLS", "SearchArguments", "Tool", "ToolContext", "ToolRegistry",
           "error_output", "run_search", "tool_definition", "tool_definitions",
           "tool_parameters"]
