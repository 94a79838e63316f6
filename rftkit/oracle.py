"""Oracles: the structured constraint behind each dataset request, resolved through the tool's own code path.

An oracle is plain JSON stored in a row's `metadata.oracle`, so anyone can recompute the answer:

- `{"kind": "search", "query", "filters", "sort"}`: one `search_catalog` call. With a sort on price or
  rating the answer is the first result, and the first must beat the second on that key (no tie). With
  `"relevance"` (name lookups, "the only X that ...") exactly one product may match.
- `{"kind": "compare", "lookups": [search, ...], "pick": "lowest_price" | "highest_price" | "highest_rating"}`:
  each lookup names one product; the answer is the one with the strictly best value.
- `{"kind": "chain", "anchor": search, "derived": {...}, "then": search}`: look the anchor product up, then
  run `then`, whose `derived` filters come from the anchor (e.g. `"max_price": "anchor.price - 0.01"`).

Every search runs through `run_search` (argument validation, filter values, the catalog's SQL), exactly as
the deployed tool answers the model.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from catalog_tools.search import Catalog
from catalog_tools.tools import run_search

PICKS = {"lowest_price": ("price", min), "highest_price": ("price", max), "highest_rating": ("rating", max)}
SORT_KEYS = {"price_asc": "price", "price_desc": "price", "rating_desc": "rating"}
# Derived filters a chain may take from its anchor product.
DERIVATIONS = {
    "anchor.category": lambda p: p["category"],
    "anchor.price - 0.01": lambda p: round(p["price"] - 0.01, 2),
    "anchor.rating + 0.1": lambda p: round(p["rating"] + 0.1, 1),
}
_BUDGET = 1_000_000  # never truncate oracle searches


class AmbiguousOracle(ValueError):
    """The oracle does not single out exactly one product."""


@dataclass(frozen=True)
class Hits:
    items: list[dict[str, Any]]
    total: int


def search_spec(query: str = "", sort: str = "relevance", **filters: Any) -> dict[str, Any]:
    """A search oracle with a stable key order (filters in the order given)."""
    return {"kind": "search", "query": query, "filters": dict(filters), "sort": sort}


def tool_arguments(spec: dict[str, Any], top_k: int = 2) -> dict[str, Any]:
    """The `search_catalog` arguments a model would send for this search."""
    return {"query": spec["query"], **spec["filters"], "sort": spec["sort"], "top_k": top_k}


def run(spec: dict[str, Any], catalog: Catalog, top_k: int = 2) -> Hits:
    output, ok = run_search(json.dumps(tool_arguments(spec, top_k)), catalog, _BUDGET)
    payload = json.loads(output)
    if not ok:
        raise AmbiguousOracle(f"the tool rejected the oracle's arguments: {payload}")
    return Hits(payload["items"], payload["total"])


def resolve_search(spec: dict[str, Any], catalog: Catalog) -> dict[str, Any]:
    """The one product a search oracle singles out, or `AmbiguousOracle`."""
    hits = run(spec, catalog)
    if not hits.items:
        raise AmbiguousOracle("no product matches")
    if spec["sort"] == "relevance":
        if hits.total != 1:
            raise AmbiguousOracle(f"{hits.total} products match, the request needs exactly one")
        return hits.items[0]
    key = SORT_KEYS[spec["sort"]]
    if len(hits.items) > 1 and hits.items[0][key] == hits.items[1][key]:
        raise AmbiguousOracle(f"tie on {key} between {hits.items[0]['sku']} and {hits.items[1]['sku']}")
    return hits.items[0]


def _resolve_compare(oracle: dict[str, Any], catalog: Catalog) -> dict[str, Any]:
    products = [resolve_search(spec, catalog) for spec in oracle["lookups"]]
    if len({p["sku"] for p in products}) != len(products):
        raise AmbiguousOracle("two lookups name the same product")
    key, best = PICKS[oracle["pick"]]
    winner = best(p[key] for p in products)
    chosen = [p for p in products if p[key] == winner]
    if len(chosen) != 1:
        raise AmbiguousOracle(f"tie on {key}")
    return chosen[0]


def derived_filters(derived: dict[str, str], anchor: dict[str, Any]) -> dict[str, Any]:
    return {name: DERIVATIONS[rule](anchor) for name, rule in derived.items()}


def _resolve_chain(oracle: dict[str, Any], catalog: Catalog) -> dict[str, Any]:
    anchor = resolve_search(oracle["anchor"], catalog)
    expected = derived_filters(oracle["derived"], anchor)
    stated = {name: oracle["then"]["filters"].get(name) for name in expected}
    if stated != expected:
        raise AmbiguousOracle(f"derived filters {stated} do not follow from the anchor ({expected})")
    product = resolve_search(oracle["then"], catalog)
    if product["sku"] == anchor["sku"]:
        raise AmbiguousOracle("the chain leads back to its anchor")
    return product


def reference_calls(oracle: dict[str, Any], tool_name: str = "search_catalog") -> list[dict[str, Any]]:
    """The tool calls that resolve an oracle, in order (a row's `metadata.reference_calls`, for the replay policy):
    one per search; a chain's second search already carries the filters derived from its anchor."""
    kind = oracle["kind"]
    searches = ([oracle] if kind == "search" else oracle["lookups"] if kind == "compare"
                else [oracle["anchor"], oracle["then"]] if kind == "chain" else None)
    if searches is None:
        raise ValueError(f"unknown oracle kind {kind!r}")
    return [{"name": tool_name, "arguments": tool_arguments(spec)} for spec in searches]


def resolve(oracle: dict[str, Any], catalog: Catalog) -> dict[str, Any]:
    """The product (as the tool returns it) that an oracle of any kind singles out."""
    kind = oracle["kind"]
    if kind == "search":
        return resolve_search(oracle, catalog)
    if kind == "compare":
        return _resolve_compare(oracle, catalog)
    if kind == "chain":
        return _resolve_chain(oracle, catalog)
    raise ValueError(f"unknown oracle kind {kind!r}")
