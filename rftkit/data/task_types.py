"""One generator per task type: each draws a random request, words it, and keeps it only if its oracle
singles out one product through the tool's code path. A draw that fails a check returns None.

Difficulty follows the number of constraints a request packs and the searches it needs (see `TASKS`).
"""

from __future__ import annotations

import math
import random
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, fields
from typing import Any

from catalog_tools.search import WARMTH_LEVELS, Catalog, Filters
from rftkit.data import oracle as orc
from rftkit.data import phrasing as ph

FILTER_ORDER = tuple(f.name for f in fields(Filters))
ATTRIBUTES = ("waterproof", "min_warmth", "color", "size")


@dataclass(frozen=True)
class Candidate:
    task_type: str
    difficulty: str
    variant: str
    text: str
    oracle: dict[str, Any]
    answer: str


def ordered(filters: dict[str, Any]) -> dict[str, Any]:
    """Filters in the `Filters` field order, so equal constraints serialise identically."""
    return {name: filters[name] for name in FILTER_ORDER if name in filters}


def budget_step(price: float) -> int:
    return 5 if price < 60 else 10 if price < 200 else 25


class Draw:
    """Random choices over one catalog, plus the checks every candidate must pass."""

    def __init__(self, catalog: Catalog, rng: random.Random):
        self.catalog = catalog
        self.rng = rng
        self.products = [p.public() for p in catalog.products]
        self.by_category: dict[str, list[dict[str, Any]]] = {}
        for p in self.products:
            self.by_category.setdefault(p["category"], []).append(p)
        self.names_unique = {p["sku"] for p in self.products if self.lookup_ok(p["name"], p["sku"])}
        self.turns: Counter[str] = Counter()

    def in_turn(self, key: str, options: tuple[Any, ...]) -> Any:
        """The next of `options` in turn for `key`, so even a cell of four rows gets every variant."""
        self.turns[key] += 1
        return options[(self.turns[key] - 1) % len(options)]

    def lookup_ok(self, query: str, sku: str) -> bool:
        try:
            return orc.resolve_search(orc.search_spec(query), self.catalog)["sku"] == sku
        except orc.AmbiguousOracle:
            return False

    def product(self, category: str | None = None, named: bool = False) -> dict[str, Any]:
        pool = self.by_category[category] if category else self.products
        if named:
            pool = [p for p in pool if p["sku"] in self.names_unique]
        return self.rng.choice(pool)

    def constraint(self, p: dict[str, Any], kind: str) -> tuple[str, Any] | None:
        """A filter that product `p` satisfies, or None when `kind` does not apply to it."""
        attrs, rng = p["attributes"], self.rng
        if kind == "waterproof":
            return ("waterproof", True) if attrs.get("waterproof") is True else None
        if kind == "min_warmth":
            level = WARMTH_LEVELS.index(attrs["warmth"]) if attrs.get("warmth") in WARMTH_LEVELS else 0
            return ("min_warmth", rng.choice(WARMTH_LEVELS[1:level + 1])) if level >= 1 else None
        if kind == "color":
            return ("color", rng.choice(attrs["colors"])) if attrs.get("colors") else None
        if kind == "size":
            return ("size", rng.choice(attrs["sizes"])) if attrs.get("sizes") else None
        if kind == "min_rating":
            options = [r for r in (3.5, 4.0, 4.5) if r <= p["rating"]]
            return ("min_rating", rng.choice(options)) if options else None
        if kind == "in_stock":
            return ("in_stock", True) if p["in_stock"] else None
        if kind == "max_price":
            step = budget_step(p["price"])
            return "max_price", int(math.ceil(p["price"] / step) * step + step * rng.randint(0, 2))
        if kind == "min_price":
            step = budget_step(p["price"])
            low = int(math.floor(p["price"] / step) * step - step * rng.randint(0, 2))
            return ("min_price", low) if low > 0 else None
        raise ValueError(kind)

    def constraints(self, p: dict[str, Any], pool: tuple[str, ...], count: int) -> dict[str, Any] | None:
        """`count` distinct constraints from `pool` that `p` satisfies, or None if `p` has too few."""
        found = [c for c in (self.constraint(p, k) for k in self.rng.sample(pool, len(pool))) if c]
        return dict(found[:count]) if len(found) >= count else None

    # --- checks -------------------------------------------------------------------------------------

    def answer(self, spec: dict[str, Any]) -> str:
        return orc.resolve_search(spec, self.catalog)["sku"]

    def bites(self, spec: dict[str, Any]) -> bool:
        """Every constraint but the category excludes something: no vacuous "rated 3.5 or higher"."""
        total = orc.run(spec, self.catalog).total
        for name in spec["filters"]:
            if name != "category":
                looser = {**spec, "filters": {k: v for k, v in spec["filters"].items() if k != name}}
                if orc.run(looser, self.catalog).total <= total:
                    return False
        return True

    def sorted_ok(self, spec: dict[str, Any], keep: tuple[str, ...] = ("category",)) -> str | None:
        """The answer of a sorted search, if it is unique, has rivals, needs its constraints, and no price
        bound sits exactly on a product's price ("under $200" must not hinge on a $200 product)."""
        try:
            sku = self.answer(spec)
        except orc.AmbiguousOracle:
            return None
        if orc.run(spec, self.catalog).total < 2 or not self.bites(spec):
            return None
        # A model that drops the constraints (keeping `keep`) and takes the tool's first result must miss.
        loose = {**spec, "filters": {k: v for k, v in spec["filters"].items() if k in keep}}
        if orc.run(loose, self.catalog).items[0]["sku"] == sku:
            return None
        return sku if self.bounds_clear(spec) else None

    def bounds_clear(self, spec: dict[str, Any]) -> bool:
        """No price bound sits exactly on a matching product's price."""
        for bound in ("min_price", "max_price"):
            if bound in spec["filters"]:
                value = spec["filters"][bound]
                others = {k: v for k, v in spec["filters"].items() if k not in ("min_price", "max_price")}
                exact = {**spec, "filters": {**others, "min_price": value, "max_price": value}}
                if orc.run(exact, self.catalog).total:
                    return False
        return True


def _sorted_text(draw: Draw, filters: dict[str, Any], sort: str) -> str:
    rng = draw.rng
    if sort == "price_desc" and "max_price" in filters and "min_price" not in filters and rng.random() < 0.35:
        desc = ph.describe(filters, rng, price=False)
        return ph.fill(rng.choice(ph.BUDGET_FRAMES), rng, desc=desc, budget=ph.money(filters["max_price"]))
    sup = rng.choice(ph.SUPERLATIVES[sort])
    return ph.casual(ph.fill(rng.choice(ph.SORTED_FRAMES), rng, sup=sup, desc=ph.describe(filters, rng)), rng)


def _sorted_candidate(draw: Draw, task_type: str, difficulty: str, variant: str, filters: dict[str, Any],
                      sort: str) -> Candidate | None:
    spec = orc.search_spec("", sort, **ordered(filters))
    sku = draw.sorted_ok(spec)
    if sku is None:
        return None
    return Candidate(task_type, difficulty, variant, _sorted_text(draw, spec["filters"], sort), spec, sku)


def price_extreme(draw: Draw, difficulty: str) -> Candidate | None:
    """Cheapest / most expensive in a category, under or over a budget (easy: the budget bites)."""
    rng = draw.rng
    p = draw.product()
    sort = rng.choice(("price_asc", "price_desc"))
    extras = ATTRIBUTES + ("min_rating", "in_stock")
    if difficulty == "easy":  # the bound that changes the answer: cheapest over $X, priciest under $X
        bounds: tuple[str, ...] = ("min_price",) if sort == "price_asc" else ("max_price",)
    else:
        bounds = rng.choice((("min_price",), ("max_price",), ("min_price", "max_price")))
    # Constraints in all: easy 2 (category, budget), medium 3, hard 4.
    count = {"easy": 2, "medium": 3, "hard": 4}[difficulty] - 1 - len(bounds)
    filters = {"category": p["category"]}
    for bound in bounds:
        found = draw.constraint(p, bound)
        if found is None:
            return None
        filters[found[0]] = found[1]
    more = draw.constraints(p, extras, count)
    if more is None:
        return None
    filters.update(more)
    direction = "cheapest" if sort == "price_asc" else "priciest"
    where = "in_range" if len(bounds) == 2 else ("under" if bounds == ("max_price",) else "over")
    return _sorted_candidate(draw, "price_extreme", difficulty, f"{direction}_{where}", filters, sort)


def best_rated(draw: Draw, difficulty: str) -> Candidate | None:
    """Best rated in stock, with one (easy), two (medium) or three (hard) more constraints."""
    p = draw.product()
    if not p["in_stock"]:
        return None
    count = {"easy": 1, "medium": 2, "hard": 3}[difficulty]
    more = draw.constraints(p, ATTRIBUTES + ("max_price", "min_price"), count)
    if more is None:
        return None
    filters = {"category": p["category"], "in_stock": True, **more}
    return _sorted_candidate(draw, "best_rated", difficulty, "best_in_stock", filters, "rating_desc")


def _only_match(draw: Draw) -> Candidate | None:
    """Three attributes that exactly one product has. Rare per draw, so try a few products."""
    for _ in range(40):
        p = draw.product()
        more = draw.constraints(p, ATTRIBUTES, 3)
        if more is None:
            continue
        filters = ordered({"category": p["category"], **more})
        spec = orc.search_spec("", "relevance", **filters)
        try:
            sku = draw.answer(spec)
        except orc.AmbiguousOracle:
            continue
        if draw.bites(spec):
            text = ph.fill(draw.rng.choice(ph.ONLY_FRAMES), draw.rng, desc=ph.describe(filters, draw.rng))
            return Candidate("attribute_filter", "hard", "only_match", ph.casual(text, draw.rng), spec, sku)
    return None


def attribute_filter(draw: Draw, difficulty: str) -> Candidate | None:
    """One (easy), two (medium) or three (hard) of waterproof / warmth / colour / size, sorted by price or
    rating; a third of the hard ones are instead met by exactly one product ("Do you have a ...?")."""
    rng = draw.rng
    if difficulty == "hard" and rng.random() < 0.33:
        return _only_match(draw)
    p = draw.product()
    more = draw.constraints(p, ATTRIBUTES, {"easy": 1, "medium": 2, "hard": 3}[difficulty])
    if more is None:
        return None
    sort = rng.choice(("price_asc", "price_desc", "rating_desc"))
    variant = {"price_asc": "cheapest", "price_desc": "priciest", "rating_desc": "best_rated"}[sort]
    return _sorted_candidate(draw, "attribute_filter", difficulty, variant,
                             {"category": p["category"], **more}, sort)


def _misspell(word: str, rng: random.Random) -> str:
    i = rng.randrange(1, len(word) - 2)
    op = rng.choice(("drop", "swap", "double", "vowel"))
    if op == "drop":
        return word[:i] + word[i + 1:]
    if op == "swap":
        return word[:i] + word[i + 1] + word[i] + word[i + 2:]
    if op == "double":
        return word[:i] + word[i] + word[i:]
    vowels = [j for j, ch in enumerate(word) if ch in "aeiou" and j > 0]
    if not vowels:
        return word
    j = rng.choice(vowels)
    return word[:j] + rng.choice([v for v in "aeiou" if v != word[j]]) + word[j + 1:]


def _partial(draw: Draw, p: dict[str, Any]) -> str | None:
    words = p["name"].split()
    pairs = [(i, j) for i in range(len(words)) for j in range(i + 1, len(words)) if (i, j) != (0, len(words) - 1)]
    draw.rng.shuffle(pairs)
    for i, j in pairs:
        query = f"{words[i]} {words[j]}"
        if len(words) > 2 and draw.lookup_ok(query, p["sku"]):
            return query
    return None


def name_lookup(draw: Draw, difficulty: str) -> Candidate | None:
    """Find a product by its exact (easy), partial (medium) or misspelled (hard) name; exactly one may match."""
    rng = draw.rng
    p = draw.product(named=True)
    query: str | None = p["name"]
    frames = ph.EXACT_NAME_FRAMES
    variant = {"easy": "exact", "medium": "partial", "hard": "misspelled"}[difficulty]
    if difficulty == "medium" or (difficulty == "hard" and rng.random() < 0.4):
        query, frames = _partial(draw, p), ph.PARTIAL_NAME_FRAMES
        if query is None:
            return None
        if rng.random() < 0.3:
            query = query.lower()
    if difficulty == "hard":
        words = query.split()
        long = [k for k, w in enumerate(words) if len(w) >= 5 and w.isalpha()]
        if not long:
            return None
        k = rng.choice(long)
        words[k] = _misspell(words[k], rng)
        query = " ".join(words)
        if not draw.catalog.search(query).corrections:
            return None  # the "misspelling" is a real catalog word: not a misspelling test
    spec = orc.search_spec(query)
    if not draw.lookup_ok(query, p["sku"]):
        return None
    text = ph.casual(ph.fill(rng.choice(frames), rng, name=query), rng)
    return Candidate("name_lookup", difficulty, variant, text, spec, p["sku"])


def comparison(draw: Draw, difficulty: str) -> Candidate | None:
    """Two (easy: by price, medium: by rating) or three (hard) named products of one category compared."""
    rng = draw.rng
    category = rng.choice(sorted(draw.by_category))
    pool = [p for p in draw.by_category[category] if p["sku"] in draw.names_unique]
    count = 3 if difficulty == "hard" else 2
    if len(pool) < count:
        return None
    products = rng.sample(pool, count)
    if difficulty == "easy":
        pick = rng.choice(("lowest_price", "highest_price"))
    elif difficulty == "medium":
        pick = "highest_rating"
    else:
        pick = rng.choice(tuple(orc.PICKS))
    oracle = {"kind": "compare", "lookups": [orc.search_spec(p["name"]) for p in products], "pick": pick}
    try:
        sku = orc.resolve(oracle, draw.catalog)["sku"]
    except orc.AmbiguousOracle:
        return None
    names = {k: p["name"] for k, p in zip("abc", products, strict=False)}
    if difficulty == "hard":
        sup = rng.choice(ph.PICK_SUPERLATIVES[pick])
        text = ph.fill(rng.choice(ph.COMPARE_THREE_FRAMES), rng, sup=sup, **names)
    else:
        cmp = rng.choice(ph.COMPARATIVES[pick])
        text = ph.fill(rng.choice(ph.COMPARE_TWO_FRAMES), rng, cmp=cmp, **names)
    return Candidate("comparison", difficulty, f"{pick}_of_{len(products)}", ph.casual(text, rng), oracle, sku)


def multi_step(draw: Draw, difficulty: str) -> Candidate | None:
    """Look a named product up, then search relative to it: a cheaper best-rated alternative, or the cheapest
    better-rated one; hard adds one more constraint."""
    rng = draw.rng
    anchor = draw.product(named=True)
    category = anchor["category"]
    if rng.random() < 0.5:
        variant, sort, frames = "cheaper_alternative", "rating_desc", ph.CHEAPER_ALTERNATIVE_FRAMES
        derived = {"category": "anchor.category", "max_price": "anchor.price - 0.01"}
    else:
        variant, sort, frames = "better_rated_alternative", "price_asc", ph.BETTER_RATED_FRAMES
        derived = {"category": "anchor.category", "min_rating": "anchor.rating + 0.1"}
    relative = orc.derived_filters(derived, anchor)
    extra: dict[str, Any] = {}
    if difficulty == "hard":
        found = draw.constraints(draw.product(category), ATTRIBUTES + ("in_stock",), 1)
        if found is None:
            return None
        extra = found
    then = orc.search_spec("", sort, **ordered({**relative, **extra}))
    # Binding: dropping the anchor-derived bound must change the answer, so the first search matters.
    sku = draw.sorted_ok(then, keep=("category", *extra))
    if sku is None:
        return None
    oracle = {"kind": "chain", "anchor": orc.search_spec(anchor["name"]), "derived": derived, "then": then}
    desc = ph.describe(ordered({"category": category, **extra}), rng)
    text = ph.casual(ph.fill(rng.choice(frames), rng, name=anchor["name"], desc=desc), rng)
    return Candidate("multi_step", difficulty, variant, text, oracle, sku)


def _shortlist_search(draw: Draw, p: dict[str, Any], pool: tuple[str, ...], count: int) -> dict[str, Any] | None:
    """A sorted search in `p`'s category with `count` constraints from `pool`, whose first two results are a
    clear shortlist (more matches than two, no tie with the third, every constraint excludes something)."""
    more = draw.constraints(p, pool, count)
    if more is None:
        return None
    sort = draw.rng.choice(("price_asc", "price_desc", "rating_desc"))
    spec = orc.search_spec("", sort, **ordered({"category": p["category"], **more}))
    if orc.run(spec, draw.catalog).total < 3 or not draw.bites(spec) or not draw.bounds_clear(spec):
        return None
    return spec


def _shortlist_candidate(draw: Draw, task_type: str, difficulty: str, variant: str, oracle: dict[str, Any],
                         condition: str) -> Candidate | None:
    try:
        sku = orc.resolve(oracle, draw.catalog)["sku"]
    except orc.AmbiguousOracle:
        return None
    rng = draw.rng
    sup = rng.choice(ph.SUPERLATIVES[oracle["search"]["sort"]])
    text = ph.fill(rng.choice(ph.SHORTLIST_FRAMES), rng, sup=sup, cond=condition,
                   desc=ph.describe(oracle["search"]["filters"], rng))
    return Candidate(task_type, difficulty, variant, ph.casual(text, rng), oracle, sku)


def variant_check(draw: Draw, difficulty: str) -> Candidate | None:
    """Of the two first results of a sorted search, the one that is in stock / comes in a colour / in a size:
    one (easy), two (medium) or all three (hard) of those, read from each product's `get_product` details; the
    search has one constraint besides the category (easy, medium) or two (hard)."""
    options = {"easy": (("in_stock",), ("color",), ("size",)),
               "medium": (("color", "size"), ("in_stock", "color"), ("in_stock", "size")),
               "hard": (("in_stock", "color", "size"),)}[difficulty]
    checks = draw.in_turn(f"variant_check/{difficulty}", options)
    # Some checks rarely single out one of two products: retry the chosen one rather than draw another.
    return _first(lambda: _variant_check(draw, difficulty, checks))


def _first(attempt: Callable[[], Candidate | None], tries: int = 40) -> Candidate | None:
    for _ in range(tries):
        candidate = attempt()
        if candidate is not None:
            return candidate
    return None


def _variant_check(draw: Draw, difficulty: str, checks: tuple[str, ...]) -> Candidate | None:
    rng = draw.rng
    pool = ("waterproof", "min_warmth", "min_rating", "max_price", "min_price")
    spec = _shortlist_search(draw, draw.product(), pool, {"easy": 1, "medium": 1, "hard": 2}[difficulty])
    if spec is None:
        return None
    try:  # the answer: one of the two, drawn first so it is the first or the second result alike
        target = orc.product_details(rng.choice(orc.shortlist({"search": spec, "take": 2}, draw.catalog)),
                                     draw.catalog)
    except orc.AmbiguousOracle:
        return None
    require: dict[str, Any] = {}
    if "in_stock" in checks:
        if not target["in_stock"]:
            return None
        require["in_stock"] = True
    for key, options in (("color", target["colors"]), ("size", target["sizes"])):
        if key in checks:
            if not options:
                return None
            require[key] = rng.choice(options)
    said = []
    if "in_stock" in checks:
        said.append(rng.choice(ph.STOCK_CONDITIONS))
    if "color" in checks and "size" in checks:
        said.append(rng.choice(ph.COLOR_SIZE_CONDITIONS).format(require["color"], require["size"]))
    elif "color" in checks:
        said.append(rng.choice(ph.COLOR_CONDITIONS).format(require["color"]))
    elif "size" in checks:
        said.append(rng.choice(ph.SIZE_CONDITIONS).format(require["size"]))
    oracle = {"kind": "details", "search": spec, "take": 2, "require": require}
    variant = "_and_".join(checks)
    return _shortlist_candidate(draw, "variant_check", difficulty, variant, oracle, " and ".join(said))


# spec_check variant -> (the attribute its categories have, the search filter it must not use (it would decide the
# answer), the oracle's require or pick)
SPEC_CHECKS: dict[str, tuple[str, str, dict[str, Any]]] = {
    "waterproof": ("waterproof", "waterproof", {"require": {"waterproof": True}}),
    "warmer": ("warmth", "min_warmth", {"pick": {"spec": "warmth", "best": "max"}}),
    "larger_capacity": ("capacity_l", "", {"pick": {"spec": "capacity_l", "best": "max"}}),
    "lighter": ("weight_kg", "", {"pick": {"spec": "weight_kg", "best": "min"}}),
}


def spec_check(draw: Draw, difficulty: str) -> Candidate | None:
    """Of the two first results of a sorted search (category + 1, 2 or 3 constraints by difficulty), the one
    that is waterproof, warmer, holds more or weighs less, read from each product's `get_product` specs."""
    variant = draw.in_turn(f"spec_check/{difficulty}", tuple(SPEC_CHECKS))
    return _first(lambda: _spec_check(draw, difficulty, variant))


def _spec_check(draw: Draw, difficulty: str, variant: str) -> Candidate | None:
    rng = draw.rng
    attribute, excluded, rule = SPEC_CHECKS[variant]
    pool = tuple(k for k in ATTRIBUTES + ("in_stock", "min_rating", "max_price", "min_price") if k != excluded)
    categories = sorted(c for c, products in draw.by_category.items() if attribute in products[0]["attributes"])
    if not categories:  # another shop's catalog without this spec: the cell stays short, as make-dataset allows
        return None
    p = draw.product(rng.choice(categories))
    spec = _shortlist_search(draw, p, pool, {"easy": 1, "medium": 2, "hard": 3}[difficulty])
    if spec is None:
        return None
    oracle = {"kind": "details", "search": spec, "take": 2, **rule}
    return _shortlist_candidate(draw, "spec_check", difficulty, variant, oracle,
                                rng.choice(ph.SPEC_CONDITIONS[variant]))


Generator = Callable[[Draw, str], "Candidate | None"]
# task_type -> (difficulties it comes in, generator)
TASKS: dict[str, tuple[tuple[str, ...], Generator]] = {
    "name_lookup": (("easy", "medium", "hard"), name_lookup),
    "price_extreme": (("easy", "medium", "hard"), price_extreme),
    "best_rated": (("easy", "medium", "hard"), best_rated),
    "attribute_filter": (("easy", "medium", "hard"), attribute_filter),
    "comparison": (("easy", "medium", "hard"), comparison),
    "multi_step": (("medium", "hard"), multi_step),
    "variant_check": (("easy", "medium", "hard"), variant_check),
    "spec_check": (("easy", "medium", "hard"), spec_check),
}
