"""Oracles: the structured constraint behind each dataset request, resolved through the tool's own code path.

An oracle is plain JSON stored in a row's `metadata.oracle`, so anyone can recompute the answer:

- `{"kind": "search", "query", "filters", "sort"}`: one `search_catalog` call. With a sort on price or
  rating the answer is the first result, and the first must beat the second on that key (no tie). With
  `"relevance"` (name lookups, "the only X that ...") exactly one product may match.
- `{"kind": "compare", "lookups": [search, ...], "pick": "lowest_price" | "highest_price" | "highest_rating"}`:
  each lookup names one product; the answer is the one with the strictly best value.
- `{"kind": "chain", "anchor": search, "derived": {...}, "then": search}`: look the anchor product up, then
  run `then`, whose `derived` filters come from the anchor (e.g. `"max_price": "anchor.price - 0.01"`).
- `{"kind": "details", "search": search, "take": 2, "require": {...}}` or `{..., "pick": {"spec", "best"}}`: the
  sorted search's first `take` products (a shortlist: no tie with the next one), each then read whole with
  `get_product`; the answer is the only one that meets every `require` (`in_stock`, `color` in its colours,
  `size` in its sizes, `waterproof`), or the one with the strictly best `pick` spec (`warmth`, `capacity_l`,
  `weight_kg`; `best` is "max" or "min"). Only `get_product`'s answer decides: stock is one flag per product.

Every search runs through `run_search` and every product read through `get_product`'s own run (argument
validation, filter values, the catalog's SQL), exactly as the deployed tools answer the model.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from catalog_tools.search import WARMTH_LEVELS, Catalog
from catalog_tools.tools import GET_PRODUCT, SEARCH_CATALOG, ToolContext, run_search
from catalog_tools.tools.get_product import TOOL as PRODUCT_TOOL

PICKS = {"lowest_price": ("price", min), "highest_price": ("price", max), "highest_rating": ("rating", max)}
SORT_KEYS = {"price_asc": "price", "price_desc": "price", "rating_desc": "rating"}
# Derived filters a chain may take from its anchor product.
DERIVATIONS = {
    "anchor.category": lambda p: p["category"],
    "anchor.price - 0.01": lambda p: round(p["price"] - 0.01, 2),
    "anchor.rating + 0.1": lambda p: round(p["rating"] + 0.1, 1),
}
_BUDGET = 1_000_000  # never truncate oracle searches
# `require` keys of a details oracle -> does get_product's answer meet the value?
REQUIREMENTS = {
    "in_stock": lambda details, value: details["in_stock"] is value,
    "color": lambda details, value: value in details["colors"],
    "size": lambda details, value: value in details["sizes"],
    "waterproof": lambda details, value: details["specs"].get("waterproof") is value,
}
# `pick` specs of a details oracle -> their value as a number (warmth levels are ordered).
SPEC_VALUES = {
    "warmth": lambda value: WARMTH_LEVELS.index(value) if value in WARMTH_LEVELS else None,
    "capacity_l": lambda value: value if isinstance(value, (int, float)) else None,
    "weight_kg": lambda value: value if isinstance(value, (int, float)) else None,
}


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


def shortlist(oracle: dict[str, Any], catalog: Catalog) -> list[str]:
    """The SKUs of a details oracle's shortlist: the sorted search's first `take` products, in order."""
    spec, take = oracle["search"], oracle["take"]
    if spec["sort"] not in SORT_KEYS:
        raise AmbiguousOracle("a shortlist needs a search sorted by price or rating")
    hits = run(spec, catalog, top_k=take + 1)
    if len(hits.items) < take:
        raise AmbiguousOracle(f"{hits.total} products match, the shortlist needs {take}")
    key = SORT_KEYS[spec["sort"]]
    if len(hits.items) > take and hits.items[take - 1][key] == hits.items[take][key]:
        raise AmbiguousOracle(f"tie on {key} at the end of the shortlist")
    return [item["sku"] for item in hits.items[:take]]


def product_details(sku: str, catalog: Catalog) -> dict[str, Any]:
    """What `get_product` answers for `sku` (AmbiguousOracle if it answers an error)."""
    output, ok = PRODUCT_TOOL.invoke(json.dumps({"sku": sku}), ToolContext(catalog, _BUDGET))
    if not ok:
        raise AmbiguousOracle(f"get_product refused {sku!r}: {output}")
    return json.loads(output)


def spec_value(details: dict[str, Any], spec: str) -> float:
    value = SPEC_VALUES[spec](details["specs"].get(spec))
    if value is None:
        raise AmbiguousOracle(f"{details['sku']} has no {spec}")
    return value


def _resolve_details(oracle: dict[str, Any], catalog: Catalog) -> dict[str, Any]:
    products = [product_details(sku, catalog) for sku in shortlist(oracle, catalog)]
    if "require" in oracle:
        chosen = [p for p in products if all(REQUIREMENTS[k](p, v) for k, v in oracle["require"].items())]
        if len(chosen) != 1:
            raise AmbiguousOracle(f"{len(chosen)} of the shortlist meet the requirements, the request needs one")
        return chosen[0]
    spec, best = oracle["pick"]["spec"], {"max": max, "min": min}[oracle["pick"]["best"]]
    winner = best(spec_value(p, spec) for p in products)
    chosen = [p for p in products if spec_value(p, spec) == winner]
    if len(chosen) != 1:
        raise AmbiguousOracle(f"tie on {spec}")
    return chosen[0]


def reference_calls(oracle: dict[str, Any], catalog: Catalog | None = None) -> list[dict[str, Any]]:
    """The tool calls that resolve an oracle, in order (a row's `metadata.reference_calls`, for the replay policy):
    one `search_catalog` per search (a chain's second search already carries the filters derived from its
    anchor); a details oracle's search, then one `get_product` per shortlisted SKU (which needs the `catalog`)."""
    kind = oracle["kind"]
    if kind == "details":
        if catalog is None:
            raise ValueError("a details oracle's calls depend on the catalog: pass it")
        search = {"name": SEARCH_CATALOG, "arguments": tool_arguments(oracle["search"], oracle["take"])}
        return [search, *({"name": GET_PRODUCT, "arguments": {"sku": sku}} for sku in shortlist(oracle, catalog))]
    searches = ([oracle] if kind == "search" else oracle["lookups"] if kind == "compare"
                else [oracle["anchor"], oracle["then"]] if kind == "chain" else None)
    if searches is None:
        raise ValueError(f"unknown oracle kind {kind!r}")
    return [{"name": SEARCH_CATALOG, "arguments": tool_arguments(spec)} for spec in searches]


def resolve(oracle: dict[str, Any], catalog: Catalog) -> dict[str, Any]:
    """The product (as the tool returns it) that an oracle of any kind singles out."""
    kind = oracle["kind"]
    if kind == "search":
        return resolve_search(oracle, catalog)
    if kind == "compare":
        return _resolve_compare(oracle, catalog)
    if kind == "chain":
        return _resolve_chain(oracle, catalog)
    if kind == "details":
        return _resolve_details(oracle, catalog)
    raise ValueError(f"unknown oracle kind {kind!r}")
