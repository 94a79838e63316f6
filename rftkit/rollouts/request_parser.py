"""Turn a shopper's request into `search_catalog` arguments, the way a careful model would.

Deterministic and rule-based (phrases in `parser_phrases.py`):
- two or more product names the catalog knows: a comparison, one name search each, run in parallel;
- one name plus "cheaper / pricier / better rated than": look the product up, then search relative to it;
- one name alone: a name search;
- "of the two cheapest X, which one is in stock / comes in red / is lighter": a search, then each of its first two
  results checked in detail (`DetailCheck`: the policy reads them with get_product);
- otherwise prices ("under $200"), sort words ("cheapest", "best rated"), stock, waterproof, warmth, colour, size
  and rating become filters and the category comes from the catalog's categories. With filters the query keeps
  only product-type words ("beanie"); without, the words left over are the query (partial or misspelled names).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Literal

from catalog_tools.search import STOP_WORDS, Catalog
from rftkit.rollouts import parser_phrases as ph

Pick = Literal["first", "cheapest", "priciest", "best_rated"]
Relation = Literal["cheaper", "pricier", "better_rated"]
_PICK_FOR_SORT: dict[str, Pick] = {"price_asc": "cheapest", "price_desc": "priciest", "rating_desc": "best_rated"}


@dataclass(frozen=True)
class Vocabulary:
    """What the parser may recognise, taken from the catalog: categories, colours, sizes and product names."""

    categories: tuple[str, ...]
    colors: tuple[str, ...]
    sizes: tuple[str, ...]
    names: tuple[str, ...]  # lower-cased product names, longest first

    @classmethod
    def from_catalog(cls, catalog: Catalog) -> Vocabulary:
        names = sorted({p.name.lower() for p in catalog.products}, key=lambda n: (-len(n), n))
        return cls(catalog.categories, catalog.colors, catalog.sizes, tuple(names))

    @cached_property
    def names_pattern(self) -> re.Pattern[str] | None:
        """One alternation of every name, longest first, so a longer name wins where two start at one place."""
        if not self.names:
            return None
        return re.compile(r"(?<![a-z0-9])(?:" + "|".join(re.escape(n) for n in self.names) + r")(?![a-z0-9])")

    @cached_property
    def category_patterns(self) -> tuple[tuple[str, re.Pattern[str], bool], ...]:
        """(category, pattern, is_synonym): a category's own words are consumed; synonyms stay in the query."""
        patterns = []
        for category in self.categories:
            base = category.replace("_", " ")
            words = [(form, False) for form in sorted({base, base.removesuffix("s")}, key=len, reverse=True)]
            words += [(synonym, True) for synonym in ph.CATEGORY_SYNONYMS.get(category, ())]
            for word, synonym in words:
                patterns.append((category, re.compile(rf"(?<![a-z0-9]){re.escape(word)}(?![a-z0-9])"), synonym))
        return tuple(patterns)


@dataclass(frozen=True)
class FollowUp:
    """A second search relative to the product the first one found (e.g. "cheaper than the Urban Puffer")."""

    relation: Relation
    search: dict[str, Any]  # filters and sort of the second search; the relation's bound is added to it


@dataclass(frozen=True)
class DetailCheck:
    """What the first `take` results of the search are checked for, in each product's details: every requirement
    (`in_stock`, `color`, `size`, `waterproof`) met, or the best value of one spec (`pick`: (spec, "max" | "min"))."""

    require: dict[str, Any] = field(default_factory=dict)
    pick: tuple[str, str] | None = None
    take: int = 2


@dataclass(frozen=True)
class SearchPlan:
    """The first searches to run (more than one = parallel calls), how to pick the answer, and any follow-up or
    detail check."""

    searches: tuple[dict[str, Any], ...]
    pick: Pick = "first"
    named: tuple[str, ...] = field(default=())  # product names found in the request
    follow_up: FollowUp | None = None
    check: DetailCheck | None = None


def _number(text: str) -> float | int:
    value = float(text.replace(",", ""))
    return int(value) if value.is_integer() else value


def _amounts(match: re.Match[str]) -> list[float | int]:
    return [_number(g) for g in match.groups() if g is not None]


def _blank(text: str, match: re.Match[str]) -> str:
    """Remove a consumed phrase (keeping offsets stable) so its words do not reach the query."""
    return text[:match.start()] + " " * (match.end() - match.start()) + text[match.end():]


def _find_names(text: str, vocab: Vocabulary) -> list[re.Match[str]]:
    pattern = vocab.names_pattern
    return list(pattern.finditer(text)) if pattern else []


def _find_category(text: str, vocab: Vocabulary) -> tuple[str | None, str, list[str]]:
    """The first category named in `text`, the text without the category's own word, and the type words found."""
    best: tuple[int, str, re.Match[str], bool] | None = None
    type_words = []
    for category, pattern, synonym in vocab.category_patterns:
        m = pattern.search(text)
        if not m:
            continue
        if synonym:
            type_words.append(m.group())
        if best is None or m.start() < best[0]:
            best = (m.start(), category, m, synonym)
    if best is None:
        return None, text, []
    _, category, match, synonym = best
    return category, text if synonym else _blank(text, match), type_words


def _query_words(text: str) -> str:
    words = [w for w in ph.WORD.findall(text) if w not in STOP_WORDS and w not in ph.FILLER and not w.isdigit()]
    return " ".join(dict.fromkeys(words))


def _sort_and_pick(text: str) -> tuple[str | None, Pick, str]:
    for sort, pattern in ph.SORTS:
        m = pattern.search(text)
        if m:
            return sort, _PICK_FOR_SORT[sort], _blank(text, m)
    return None, "first", text


def _filters(text: str, vocab: Vocabulary) -> tuple[dict[str, Any], str]:
    """Every filter the request states, and the text with those phrases removed."""
    args: dict[str, Any] = {}
    if m := ph.BETWEEN.search(text):
        args["min_price"], args["max_price"] = sorted(_amounts(m))[:2]
        text = _blank(text, m)
    if "max_price" not in args and (m := ph.MAX_PRICE.search(text)):
        args["max_price"] = _amounts(m)[0]
        text = _blank(text, m)
    if "min_price" not in args and (m := ph.MIN_PRICE.search(text)):
        args["min_price"] = _amounts(m)[0]
        text = _blank(text, m)
    if m := ph.MIN_RATING.search(text):
        value = float(m.group(1) or m.group(2))
        if 0 < value <= 5:
            args["min_rating"] = value
            text = _blank(text, m)
    for key, value, pattern in (("in_stock", False, ph.OUT_OF_STOCK), ("in_stock", True, ph.IN_STOCK),
                                ("waterproof", False, ph.NOT_WATERPROOF), ("waterproof", True, ph.WATERPROOF)):
        if key not in args and (m := pattern.search(text)):
            args[key] = value
            text = _blank(text, m)
    for level, pattern in ph.WARMTH:
        if m := pattern.search(text):
            args["min_warmth"] = level
            text = _blank(text, m)
            break
    for word in ph.WORD.finditer(text):
        color = ph.COLOR_SYNONYMS.get(word.group(), word.group())
        if color in vocab.colors:
            args["color"] = color
            text = _blank(text, word)
            break
    if (m := ph.SIZE.search(text)) and m.group(1).upper() in vocab.sizes:
        args["size"] = m.group(1).upper()
        text = _blank(text, m)
    return args, text


def _filtered_search(text: str, vocab: Vocabulary) -> tuple[dict[str, Any], Pick]:
    args, rest = _filters(text, vocab)
    sort, pick, rest = _sort_and_pick(rest)
    category, rest, type_words = _find_category(rest, vocab)
    # With filters the leftover words are mostly chatter ("a pair", "for my trip"): keep only the type words.
    query = " ".join(dict.fromkeys(type_words)) if args or sort else _query_words(rest)
    search: dict[str, Any] = {"query": query}
    if category:
        search["category"] = category
    search.update(args)
    if sort:
        search["sort"] = sort
    return search, pick


def _shortlist_plan(text: str, vocab: Vocabulary) -> SearchPlan | None:
    """"<the two cheapest X> ... which one <check>": the search before "which", the check after it."""
    two, which = ph.SHORTLIST.search(text), ph.WHICH.search(text)
    if two is None or which is None or which.start() < two.end():
        return None
    asked = text[which.end():]
    pick = next(((spec, best) for spec, best, pattern in ph.SPEC_PICKS if pattern.search(asked)), None)
    require, _ = _filters(asked, vocab)
    require = {k: v for k, v in require.items() if k in ("in_stock", "color", "size", "waterproof")}
    if pick is None and not require:
        return None
    search, order = _filtered_search(text[:which.start()], vocab)
    if "sort" not in search:
        return None
    return SearchPlan((search,), order, check=DetailCheck(require, pick))


def parse_request(request: str, vocab: Vocabulary) -> SearchPlan:
    """The searches a careful model would run for `request`."""
    text = request.lower().replace("\u2019", "'")
    shortlist = _shortlist_plan(text, vocab)
    if shortlist is not None:
        return shortlist
    matches = _find_names(text, vocab)
    names = tuple(dict.fromkeys(m.group() for m in matches))
    if len(names) >= 2:  # a comparison: one search per product, in parallel
        _, pick, _ = _sort_and_pick(text)
        return SearchPlan(tuple({"query": n, "top_k": 1} for n in names), pick, names)
    if len(names) == 1:
        lookup = ({"query": names[0], "top_k": 3},)
        for relation, pattern in ph.RELATIONS:
            if m := pattern.search(text):
                rest = _blank(text, m)
                for name in matches:
                    rest = _blank(rest, name)
                search, pick = _filtered_search(rest, vocab)
                search["query"] = ""  # the second search is by filters and the relation's bound
                return SearchPlan(lookup, pick, names, FollowUp(relation, search))
        return SearchPlan(lookup, "first", names)
    search, pick = _filtered_search(text, vocab)
    return SearchPlan((search,), pick)


def follow_up_search(follow_up: FollowUp, base: dict[str, Any]) -> dict[str, Any]:
    """The second search, bounded by the product the first search found (`base`: a tool result item)."""
    search = dict(follow_up.search)
    search.setdefault("category", base.get("category"))
    price, rating = float(base.get("price", 0)), float(base.get("rating", 0))
    if follow_up.relation == "cheaper":
        search["max_price"] = min(search.get("max_price", price), round(price - 0.01, 2))
    elif follow_up.relation == "pricier":
        search["min_price"] = max(search.get("min_price", price), round(price + 0.01, 2))
    else:  # ratings have one decimal: strictly better is at least 0.05 higher
        search["min_rating"] = min(5.0, max(search.get("min_rating", rating), round(rating + 0.05, 2)))
    search["top_k"] = 10  # room to skip the base product itself
    return {k: v for k, v in search.items() if v is not None}
