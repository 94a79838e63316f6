"""A deterministic scripted policy: parse the request, search, answer the top result's SKU. A request about a
shortlist ("of the two cheapest X, which one comes in red?") searches, reads each of the first two results with
`get_product` (in parallel), then answers the one that passes the check; without `get_product` among the row's
tools it checks the search results' own fields.

With `error_rate` > 0 some rollouts make one of the mistakes a base model makes, chosen by a seeded RNG per
(row, sample index), so the same run gives the same rewards at any concurrency:
- `wrong_pick`: answers another result's SKU (reward 0);
- `skip_tool`: answers from "memory" (a local search of the catalog) without calling a tool — right answer,
  but a grader that checks tool use should pay less;
- `prose`: wraps the right SKU in a sentence.
"""

from __future__ import annotations

import json
import random
from typing import Any

from catalog_tools.search import WARMTH_LEVELS, Catalog, Filters
from catalog_tools.tools import GET_PRODUCT, SEARCH_CATALOG
from rftkit.rollouts.policy import ToolResult, Turn
from rftkit.rollouts.request_parser import DetailCheck, SearchPlan, Vocabulary, follow_up_search, parse_request
from rftkit.wire import ToolRequest, last_user_text

MISTAKES = ("wrong_pick", "skip_tool", "prose")
NOT_FOUND = "I could not find a matching product."
_FILTER_KEYS = ("category", "min_price", "max_price", "in_stock", "min_rating", "waterproof", "min_warmth",
                "color", "size")


def _offers_tool(item: dict[str, Any], tool_name: str) -> bool:
    for tool in item.get("tools") or []:
        function = tool.get("function", tool) if isinstance(tool, dict) else {}
        if isinstance(function, dict) and function.get("name") == tool_name:
            return True
    return False


def _items_of(output: str) -> list[dict[str, Any]] | None:
    """The `items` of a search output, or None when the output is an error or not a search result."""
    try:
        payload = json.loads(output)
    except (TypeError, ValueError):
        return None
    if not isinstance(payload, dict) or "error" in payload or not isinstance(payload.get("items"), list):
        return None
    return [i for i in payload["items"] if isinstance(i, dict) and isinstance(i.get("sku"), str)]


def _details_of(output: str) -> dict[str, Any] | None:
    """A `get_product` answer, or None when the output is an error or something else."""
    try:
        payload = json.loads(output)
    except (TypeError, ValueError):
        return None
    if not isinstance(payload, dict) or "error" in payload or not isinstance(payload.get("sku"), str):
        return None
    return payload


def _facts(product: dict[str, Any]) -> dict[str, Any]:
    """Stock, colours, sizes and specs of a `get_product` answer or of a search result item alike."""
    if isinstance(product.get("specs"), dict):  # get_product
        return {"in_stock": product.get("in_stock"), "colors": product.get("colors") or [],
                "sizes": product.get("sizes") or [], "specs": product["specs"]}
    attributes = product.get("attributes") if isinstance(product.get("attributes"), dict) else {}
    return {"in_stock": product.get("in_stock"), "colors": attributes.get("colors") or [],
            "sizes": attributes.get("sizes") or [], "specs": attributes}


def _meets(facts: dict[str, Any], require: dict[str, Any]) -> bool:
    checks = {"in_stock": lambda v: facts["in_stock"] is v, "color": lambda v: v in facts["colors"],
              "size": lambda v: v in facts["sizes"], "waterproof": lambda v: facts["specs"].get("waterproof") is v}
    return all(checks[key](value) for key, value in require.items() if key in checks)


def _spec_rank(facts: dict[str, Any], spec: str) -> float | None:
    value = facts["specs"].get(spec)
    if spec == "warmth":
        return WARMTH_LEVELS.index(value) if value in WARMTH_LEVELS else None
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def _checked(products: list[dict[str, Any]], check: DetailCheck) -> list[dict[str, Any]]:
    """The shortlist best first for the check; empty when none passes (the other one stays second, so a wrong
    pick names it)."""
    if check.pick is None:
        passing = [p for p in products if _meets(_facts(p), check.require)]
        return passing + [p for p in products if p not in passing] if passing else []
    spec, best = check.pick
    ranked = [(rank, p) for p in products if (rank := _spec_rank(_facts(p), spec)) is not None]
    ranked.sort(key=lambda pair: pair[0], reverse=best == "max")
    return [p for _, p in ranked]


def _choose(candidates: list[dict[str, Any]], pick: str) -> list[dict[str, Any]]:
    """Candidates ordered best first for `pick` (the tool already sorted a single search; comparisons are not)."""
    if pick == "cheapest":
        return sorted(candidates, key=lambda i: float(i.get("price", 0)))
    if pick == "priciest":
        return sorted(candidates, key=lambda i: -float(i.get("price", 0)))
    if pick == "best_rated":
        return sorted(candidates, key=lambda i: -float(i.get("rating", 0)))
    return candidates


def _relaxed(searches: tuple[dict[str, Any], ...]) -> tuple[dict[str, Any], ...]:
    return tuple({k: v for k, v in s.items() if k in ("query", "category", "sort", "top_k")} for s in searches)


class ScriptedSession:
    def __init__(self, policy: ScriptedPolicy, item: dict[str, Any], mistake: str | None, rng: random.Random):
        self.policy = policy
        self.item = item
        self.mistake = mistake
        self.rng = rng
        self.plan: SearchPlan = parse_request(last_user_text(item), policy.vocabulary)
        self.searches = self.plan.searches  # the last searches sent
        self.relaxed = False
        self.base: dict[str, Any] | None = None  # the named product a follow-up search is relative to
        self.shortlist: list[dict[str, Any]] | None = None  # the search results a detail check reads
        self.notes: dict[str, Any] = {"mistake": mistake} if mistake else {}

    async def next_turn(self, results: list[ToolResult]) -> Turn:
        if not results:
            if self.mistake == "skip_tool" or not _offers_tool(self.item, self.policy.tool_name):
                return self._answer(self._from_memory())
            return self._calls(self.plan.searches)
        if self.shortlist is not None:  # the details of the shortlist; a failed read falls back on the search item
            details = [_details_of(r.output) for r in results]
            read = {d["sku"]: d for d in details if d is not None}
            return self._answer(self._checked([read.get(i["sku"], i) for i in self.shortlist]))
        found = [_items_of(r.output) or [] for r in results]
        if not any(found) and not self.relaxed and self.base is None:
            # Nothing usable: retry once with the words and category only, as a model would.
            self.relaxed = True
            return self._calls(_relaxed(self.searches))
        if self.plan.check is not None:
            self.shortlist = found[0][:self.plan.check.take]
            if not self.shortlist or not _offers_tool(self.item, self.policy.detail_tool):
                return self._answer(self._checked(self.shortlist))
            calls = tuple(ToolRequest.new(self.policy.detail_tool, {"sku": i["sku"]}) for i in self.shortlist)
            return Turn(tool_calls=calls, notes=dict(self.notes))
        if self.plan.follow_up and self.base is None:
            if not found[0]:
                return self._answer([])
            self.base = found[0][0]
            return self._calls((follow_up_search(self.plan.follow_up, self.base),))
        return self._answer(self._candidates(found))

    def _checked(self, products: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return _checked(products, self.plan.check) if self.plan.check is not None else products

    def _candidates(self, found: list[list[dict[str, Any]]]) -> list[dict[str, Any]]:
        if len(found) > 1:  # a comparison: the best hit of each search
            candidates = [items[0] for items in found if items]
        else:
            candidates = found[0]
        if self.base is not None:
            candidates = [c for c in candidates if c.get("sku") != self.base.get("sku")]
        return _choose(candidates, self.plan.pick)

    def _calls(self, searches: tuple[dict[str, Any], ...]) -> Turn:
        self.searches = searches
        calls = tuple(ToolRequest.new(self.policy.tool_name, s) for s in searches)
        return Turn(tool_calls=calls, notes=dict(self.notes))

    def _search_locally(self, search: dict[str, Any]) -> list[dict[str, Any]]:
        filters = Filters(**{k: search[k] for k in _FILTER_KEYS if k in search})
        result = self.policy.catalog.search(search.get("query", ""), filters, search.get("sort", "relevance"),
                                            search.get("top_k", 5))
        return [p.public() for p in result.items]

    def _from_memory(self) -> list[dict[str, Any]]:
        """What the tool would have answered, from the catalog the policy "remembers"."""
        found = [self._search_locally(s) for s in self.plan.searches]
        if self.plan.check is not None:
            return self._checked(found[0][:self.plan.check.take])
        if self.plan.follow_up and found[0]:
            self.base = found[0][0]
            found = [self._search_locally(follow_up_search(self.plan.follow_up, self.base))]
        return self._candidates(found)

    def _answer(self, ranked: list[dict[str, Any]]) -> Turn:
        if not ranked:
            return Turn(text=NOT_FOUND, notes=dict(self.notes))
        best = ranked[0]
        if self.mistake == "wrong_pick":
            others = [i["sku"] for i in ranked[1:] if i["sku"] != best["sku"]]
            pool = others or [s for s in self.policy.skus if s != best["sku"]]
            return Turn(text=others[0] if others else self.rng.choice(pool), notes=dict(self.notes))
        if self.mistake == "prose":
            text = f"The best match is the {best.get('name', 'product')} — its SKU is {best['sku']}."
            return Turn(text=text, notes=dict(self.notes))
        return Turn(text=best["sku"], notes=dict(self.notes))


class ScriptedPolicy:
    """Deterministic policy for dry runs. `error_rate` in [0, 1]; `seed` makes the mistakes reproducible."""

    name = "scripted"

    def __init__(self, *, error_rate: float = 0.0, seed: int = 0, catalog: Catalog | None = None,
                 tool_name: str = SEARCH_CATALOG, detail_tool: str = GET_PRODUCT):
        if not 0.0 <= error_rate <= 1.0:
            raise ValueError("error_rate must be between 0 and 1")
        self.error_rate = error_rate
        self.seed = seed
        self.tool_name = tool_name
        self.detail_tool = detail_tool  # reads one product by SKU, for requests about a shortlist
        if catalog is None:  # the app's catalog setting, CATALOG_PATH (environment, then .env)
            from rftkit.settings import catalog_path

            catalog = Catalog.from_path(catalog_path())
        self.catalog = catalog
        self.vocabulary = Vocabulary.from_catalog(self.catalog)
        self.skus = tuple(p.sku for p in self.catalog.products)

    def start(self, item: dict[str, Any], *, row_id: str, sample_index: int) -> ScriptedSession:
        rng = random.Random(f"{self.seed}:{row_id}:{sample_index}")  # str seeds are stable across processes
        mistake = rng.choice(MISTAKES) if rng.random() < self.error_rate else None
        return ScriptedSession(self, item, mistake, rng)
