"""The tool registry: every tool the app serves. A tool is one module (its argument model and run function, see
`base.Tool`); registering it here gives it `POST /tool/<name>`, a place in `POST /tools`, the fast path, trace
recording and its JSON schema (`tool_definition(name)`), which dataset rows carry."""

from __future__ import annotations

from typing import Any

from . import get_product, search_catalog
from .base import Tool, ToolContext, ToolRegistry, error_output
from .search_catalog import SearchArguments, run_search

SEARCH_CATALOG = search_catalog.NAME
GET_PRODUCT = get_product.NAME

TOOLS = ToolRegistry([search_catalog.TOOL, get_product.TOOL])


def tool_definition(name: str = SEARCH_CATALOG) -> dict[str, Any]:
    """The Chat-Completions function definition of one registered tool (KeyError for an unknown name)."""
    tool = TOOLS.get(name)
    if tool is None:
        raise KeyError(f"no tool named {name!r}; registered: {', '.join(TOOLS.names)}")
    return tool.definition()


def tool_parameters(name: str = SEARCH_CATALOG) -> dict[str, Any]:
    """The `parameters` JSON Schema of one registered tool, generated from its argument model."""
    return tool_definition(name)["function"]["parameters"]


def tool_definitions() -> list[dict[str, Any]]:
    """Every registered tool's definition, in registration order."""
    return [tool.definition() for tool in TOOLS]


__all__ = ["GET_PRODUCT", "SEARCH_CATALOG", "TOOLS", "SearchArguments", "Tool", "ToolContext", "ToolRegistry",
           "error_output", "run_search", "tool_definition", "tool_definitions",
           "tool_parameters"]
