"""The `get_product` tool: everything the catalog knows about one product, by SKU.

Search results are ranked summaries whose descriptions may be cut to fit the output budget; this answers one
product whole, with its colours, sizes and specifications as separate fields. The catalog records stock per
product, not per colour or size, and the output says so instead of inventing per-variant stock.
A SKU that is malformed or not in the catalog gets an error output naming the closest SKUs.
"""

from __future__ import annotations

import re
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from ..search import Catalog, Product, SearchTimeout, exact_key
from .base import Tool, ToolContext, compact

NAME = "get_product"
TOOL_DESCRIPTION = (
    "Get the full details of one product by its SKU (as returned by search_catalog): name, category, price, "
    "rating, whether it is in stock, the colours and sizes it comes in, its specifications and its complete "
    "description."
)
# e.g. JKT-URB-009: letter/digit groups with a digit somewhere (a product name has none); separators and case forgiven
SKU_SHAPE = re.compile(r"^(?=.*[0-9])[A-Za-z0-9]+(?:[-_ ][A-Za-z0-9]+)+$")
STOCK_NOTE = "Stock is recorded for the product as a whole, not per colour or size."
_VARIANT_KEYS = ("colors", "sizes")
_SKU = "The product's SKU, e.g. '{example}'."


def example_sku(catalog: Catalog) -> str:
    """A SKU to show the model: the public sample's when the catalog has it, else the catalog's first."""
    return "JKT-URB-009" if "JKT-URB-009" in catalog.by_sku else catalog.products[0].sku


class ProductArguments(BaseModel):
    """Arguments of `get_product`."""

    model_config = ConfigDict(extra="forbid")

    sku: str = Field(min_length=1, max_length=64, description=_SKU.format(example="JKT-URB-009"))


def details(product: Product) -> dict[str, Any]:
    """The tool's answer for one product."""
    attributes = product.attributes
    return {
        "sku": product.sku,
        "name": product.name,
        "category": product.category,
        "price": product.price,
        "currency": product.currency,
        "rating": product.rating,
        "in_stock": product.in_stock,
        "colors": list(attributes.get("colors", [])),
        "sizes": list(attributes.get("sizes", [])),  # empty: the product is not sold in sizes
        "specs": {k: v for k, v in attributes.items() if k not in _VARIANT_KEYS},
        "description": product.description,
        "stock_note": STOCK_NOTE,
    }


def _find(catalog: Catalog, sku: str) -> Product | None:
    product = catalog.by_sku.get(sku)
    if product is None:  # "jkt-urb-009" or "JKT URB 009": the same SKU, typed loosely
        matches = catalog.close_skus(sku, limit=1)
        if matches and exact_key(matches[0]) == exact_key(sku):
            product = catalog.by_sku[matches[0]]
    return product


def _run(args: ProductArguments, context: ToolContext) -> tuple[str, bool]:
    catalog = context.catalog
    sku = args.sku.strip()
    product = _find(catalog, sku)
    if product is not None:
        return compact(details(product)), True
    close = catalog.close_skus(sku)
    if not (SKU_SHAPE.match(sku) or close):  # a catalog's SKUs may have any shape: near one, it is meant as one
        # Often a product name where a SKU belongs: the search finds what it names.
        found: list[str] = []
        try:
            result = catalog.search(sku, top_k=3, time_budget=context.time_budget_seconds)
            if result.match != "no_text":  # words the catalog knows, not just a listing by rating
                found = [p.sku for p in result.items]
        except SearchTimeout:
            pass
        error = TOOL.error("invalid_sku", f"{args.sku!r} is not a SKU: SKUs look like {example_sku(catalog)!r}; "
                           "to find a product by name or description call search_catalog", [{"field": "sku",
                                                                                    "problem": "not a SKU"}],
                           did_you_mean=found)
    else:
        error = TOOL.error("unknown_sku", f"no product has the SKU {sku!r}", [{"field": "sku",
                                                                              "problem": "not in the catalog"}],
                           did_you_mean=close)
    return compact(error), False


def _for_catalog(definition: dict[str, Any], catalog: Catalog) -> dict[str, Any]:
    definition["function"]["parameters"]["properties"]["sku"]["description"] = _SKU.format(example=example_sku(catalog))
    return definition


TOOL: Tool[ProductArguments] = Tool(NAME, TOOL_DESCRIPTION, ProductArguments, _run, example={"sku": "JKT-URB-009"},
                                    for_catalog=_for_catalog)
