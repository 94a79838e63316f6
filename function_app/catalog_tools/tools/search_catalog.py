"""The `search_catalog` tool: full-text search with filters and sorts; the output is kept inside its size budget
(descriptions go first, then items from the end) and the search inside its time budget."""

from __future__ import annotations

import json
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

from ..search import Catalog, Filters, SearchResult, SearchTimeout, SortOrder, Warmth
from .base import Tool, ToolContext, compact

NAME = "search_catalog"
TOOL_DESCRIPTION = (
    "Search the product catalog. Full-text `query` over product names, SKUs, categories, attributes and "
    "descriptions (misspellings are corrected), narrowed by optional filters and ordered by `sort`. "
    "Returns JSON with `items` (sku, name, category, price, rating, in_stock, attributes, description), "
    "`total` matches and the `filters` applied."
)
TOP_K_MAX = 20
# Descriptions whose examples come from the catalog (`_for_catalog`); the argument model shows the shipped one's.
_QUERY = "Words to look for, e.g. {example} or a product name or SKU. Use an empty string to list by filters alone."
_CATEGORY = "Only this category, e.g. {examples}."
_COLOR = "Available in this colour, e.g. {examples}."
_SIZE = "Available in this size, e.g. {examples}."
_MAX_CATEGORIES_SHOWN = 30
# Filters on attributes a catalog may not have: offered only when some product has the attribute.
_ATTRIBUTE_FILTERS = {"waterproof": "waterproof", "min_warmth": "warmth"}


def _quoted(values: Any, joiner: str) -> str:
    return joiner.join(f"'{v}'" for v in values)


class SearchArguments(BaseModel):
    """Arguments of `search_catalog`. Omitted filters do not constrain the search."""

    model_config = ConfigDict(extra="forbid")

    query: str = Field(max_length=300, description=_QUERY.format(example="'warm jacket'"))
    category: str | None = Field(default=None, max_length=64, description=_CATEGORY.format(examples=_quoted(
        ("jackets", "boots", "backpacks", "tents", "sleeping_bags", "gloves", "hats", "base_layers", "pants",
         "fleece"), ", ")))
    min_price: float | None = Field(default=None, ge=0, description="Lowest price, inclusive (USD).")
    max_price: float | None = Field(default=None, ge=0, description="Highest price, inclusive (USD).")
    in_stock: bool | None = Field(default=None, description="true: only products in stock.")
    min_rating: float | None = Field(default=None, ge=0, le=5, description="Lowest average rating (0-5).")
    waterproof: bool | None = Field(default=None, description="Only waterproof (true) or non-waterproof (false).")
    min_warmth: Warmth | None = Field(
        default=None, description="At least this warm: light < medium < warm < extra_warm.")
    color: str | None = Field(default=None, max_length=32, description=_COLOR.format(examples="'navy'"))
    size: str | None = Field(default=None, max_length=16, description=_SIZE.format(examples="'M' or '10'"))
    sort: SortOrder = Field(
        default="relevance", description="Order of results.")
    top_k: int = Field(default=5, ge=1, le=TOP_K_MAX, description=f"How many results to return (1-{TOP_K_MAX}).")

    @model_validator(mode="after")
    def _price_range(self) -> SearchArguments:
        if self.min_price is not None and self.max_price is not None and self.min_price > self.max_price:
            raise ValueError("min_price must not be greater than max_price")
        return self

    def filters(self) -> Filters:
        return Filters(category=self.category, min_price=self.min_price, max_price=self.max_price,
                       in_stock=self.in_stock, min_rating=self.min_rating, waterproof=self.waterproof,
                       min_warmth=self.min_warmth, color=self.color, size=self.size)


def _unknown_values(args: SearchArguments, catalog: Catalog) -> list[dict[str, Any]]:
    problems = []
    checks = (("category", args.category, catalog.categories, str),
              ("color", args.color, catalog.colors, str.lower),
              ("size", args.size, catalog.sizes, str.upper))
    for name, value, known, norm in checks:
        if value is not None and norm(value) not in known:
            problems.append({"field": name, "problem": f"unknown {name} {value!r}", "valid": list(known)})
    return problems


def _payload(args: SearchArguments, result: SearchResult, filters: Filters, items: bool = True) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "query": args.query,
        "terms": result.terms,
        "match": result.match,
        "filters": filters.applied(),
        "sort": args.sort,
        "total": result.total,
        "returned": len(result.items),
        "truncated": False,
        "items": [p.public() for p in result.items] if items else [],
    }
    if result.corrections:
        payload["corrected"] = result.corrections
    if result.ignored:
        payload["ignored_words"] = result.ignored
    if result.match == "any_term":
        payload["note"] = "No product matches every word; showing products that match some of them."
    return payload


def _fit(payload: dict[str, Any], budget: int) -> dict[str, Any]:
    # Keep the output inside its budget: drop descriptions first, then whole items from the end.
    while len(json.dumps(payload, separators=(",", ":"))) > budget and payload["items"]:
        payload["truncated"] = True
        with_text = [i for i in payload["items"] if i.get("description")]
        if with_text:
            with_text[-1]["description"] = ""
        else:
            payload["items"].pop()
        payload["returned"] = len(payload["items"])
    if payload["truncated"]:
        payload["note"] = ("Output shortened to fit the tool's size budget; narrow the search or lower top_k "
                           "to see full descriptions.")
    return payload


def _run(args: SearchArguments, context: ToolContext) -> tuple[str, bool]:
    catalog, budget, time_budget = context.catalog, context.output_char_budget, context.time_budget_seconds
    problems = _unknown_values(args, catalog)
    if problems:
        return compact(TOOL.error("invalid_arguments", "some filter values are not in the catalog", problems)), False
    try:
        filters = args.filters()
        result = catalog.search(args.query, filters, args.sort, args.top_k, time_budget)
    except SearchTimeout:
        return compact(TOOL.error("search_timeout", f"the search took longer than {time_budget} s and was stopped; "
                                  "use fewer words or more filters")), False
    # The usual case, fast: the products' JSON comes from the catalog's cache and is spliced into the payload's
    # (`"items":[]` can only be the key itself: inside a JSON string its quotes would be escaped). When that text
    # is ASCII it is also what the budget is measured on; otherwise, or over budget, the general path below.
    shell = json.dumps(_payload(args, result, filters, items=False), separators=(",", ":"), ensure_ascii=False)
    items = ",".join(catalog.public_json(p) for p in result.items)
    text = shell.replace('"items":[]', f'"items":[{items}]', 1)
    if text.isascii() and len(text) <= budget:
        return text, True
    return json.dumps(_fit(_payload(args, result, filters), budget), separators=(",", ":"), ensure_ascii=False), True


def _examples(preferred: tuple[str, ...], present: tuple[str, ...], counted: list[str], most: int) -> tuple[str, ...]:
    """The preferred examples the catalog has, else its most common values."""
    kept = tuple(v for v in preferred if v in present)
    if kept:
        return kept
    order = {v: i for i, v in enumerate(counted)}
    return tuple(sorted(present, key=lambda v: (-counted.count(v), order.get(v, 0)))[:most])


def _for_catalog(definition: dict[str, Any], catalog: Catalog) -> dict[str, Any]:
    """The definition for `catalog`: its categories, only the filters its products can answer, example values it
    has. For the shipped catalog this is the argument model's own schema, byte for byte."""
    properties = definition["function"]["parameters"]["properties"]
    example = "'warm jacket'"
    if catalog.search("warm jacket").match != "all_terms":  # the example must find something in this catalog
        example = f"'{catalog.products[0].category.replace('_', ' ')}'"
    properties["query"]["description"] = _QUERY.format(example=example)
    categories = list(dict.fromkeys(p.category for p in catalog.products))  # in order of first appearance
    properties["category"]["description"] = _CATEGORY.format(
        examples=_quoted(categories[:_MAX_CATEGORIES_SHOWN], ", "))
    attributes = {key for p in catalog.products for key in p.attributes}
    for argument, attribute in _ATTRIBUTE_FILTERS.items():
        if attribute not in attributes:
            del properties[argument]
    for argument, template, present, key, preferred, norm in (
            ("color", _COLOR, catalog.colors, "colors", ("navy",), str.lower),
            ("size", _SIZE, catalog.sizes, "sizes", ("M", "10"), str.upper)):
        if not present:
            del properties[argument]
            continue
        counted = [norm(str(v)) for p in catalog.products for v in p.attributes.get(key, [])]
        properties[argument]["description"] = template.format(
            examples=_quoted(_examples(preferred, present, counted, len(preferred)), " or "))
    return definition


TOOL: Tool[SearchArguments] = Tool(NAME, TOOL_DESCRIPTION, SearchArguments, _run,
                                   example={"query": "Urban Puffer", "top_k": 3}, for_catalog=_for_catalog)


def run_search(raw_arguments: Any, catalog: Catalog, budget: int,
               time_budget: float | None = None) -> tuple[str, bool]:
    """Run the tool on raw arguments; return (output JSON string, ok). Never raises for bad input."""
    return TOOL.invoke(raw_arguments, ToolContext(catalog, budget, time_budget))
