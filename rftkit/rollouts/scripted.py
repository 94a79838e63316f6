"""A deterministic scripted policy: parse the request, search, answer the top result's SKU.

With `error_rate` > 0 some rollouts make one of the mistakes a base model makes, chosen by a seeded RNG per
(row, sample index), so the same run gives the same rewards at any concurrency:
- `wrong_pick`: answers another result's SKU (reward 0);
- `skip_tool`: answers from "memory" (a local search of the catalog) without calling the tool — right answer,
  but a grader that checks tool use should pay less;
- `prose`: wraps the right SKU in a sentence.
"""

from __future__ import annotations

import json
import random
from typing import Any

from catalog_tools.search import Catalog, Filters

from .policy import ToolResult, Turn
from .request_parser import SearchPlan, Vocabulary, follow_up_search, parse_request
from .wire import ToolRequest, last_user_text

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
        self.notes: dict[str, Any] = {"mistake": mistake} if mistake else {}

    async def next_turn(self, results: list[ToolResult]) -> Turn:
        if not results:
            if self.mistake == "skip_tool" or not _offers_tool(self.item, self.policy.tool_name):
                return self._answer(self._from_memory())
            return self._calls(self.plan.searches)
        found = [_items_of(r.output) or [] for r in results]
        if not any(found) and not self.relaxed and self.base is None:
            # Nothing usable: retry once with the words and category only, as a model would.
            self.relaxed = True
            return self._calls(_relaxed(self.searches))
        if self.plan.follow_up and self.base is None:
            if not found[0]:
                return self._answer([])
            self.base = found[0][0]
            return self._calls((follow_up_search(self.plan.follow_up, self.base),))
        return self._answer(self._candidates(found))

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
                 tool_name: str = "search_catalog"):
        if not 0.0 <= error_rate <= 1.0:
            raise ValueError("error_rate must be between 0 and 1")
        self.error_rate = error_rate
        self.seed = seed
        self.tool_name = tool_name
        if catalog is None:  # the app's catalog setting, CATALOG_PATH (environment, then .env)
            from ..settings import catalog_path

            catalog = Catalog.from_path(catalog_path())
        self.catalog = catalog
        self.vocabulary = Vocabulary.from_catalog(self.catalog)
        self.skus = tuple(p.sku for p in self.catalog.products)

    def start(self, item: dict[str, Any], *, row_id: str, sample_index: int) -> ScriptedSession:
        rng = random.Random(f"{self.seed}:{row_id}:{sample_index}")  # str seeds are stable across processes
        mistake = rng.choice(MISTAKES) if rng.random() < self.error_rate else None
        return ScriptedSession(self, item, mistake, rng)
