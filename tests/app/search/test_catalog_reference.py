"""The in-memory index answers exactly as the SQLite FTS5 engine it replaced (benchmarks/fts5_reference.py): same
items in the same order, same totals, match modes, terms, corrections and ignored words — over the shipped catalog,
a catalog with non-ASCII text, price ties and two-decimal ratings, and a catalog large enough that ranking takes
the grouped path (more than a few hundred matches)."""

from __future__ import annotations

import random

import pytest

from benchmarks.fts5_reference import Fts5Catalog
from benchmarks.workload import argument_mix
from catalog_tools.search import Catalog, Filters, Product
from catalog_tools.tools import SearchArguments
from rftkit.data.catalog_gen import generate_catalog
from tests.support import shipped_catalog

ODD_WORDS = ("Café", "Über", "straße", "naïve", "crème brûlée", "Ωmega", "日本", "jalapeño", "ﬁne", "İstanbul")


def _odd_catalog(size: int, seed: int) -> list[dict]:
    rng = random.Random(seed)
    raw = generate_catalog(size, seed)
    for p in raw:
        p["rating"] = round(rng.uniform(0, 5), 2)
        p["price"] = float(rng.choice([10, 20, 20, 30, 99.99, 100]))
        if rng.random() < 0.3:
            p["name"] += " " + rng.choice(ODD_WORDS)
        if rng.random() < 0.3:
            p["description"] = f"{rng.choice(ODD_WORDS)} {p['description']} {rng.choice(ODD_WORDS)}"
    return raw


def _queries(raw: list[dict], count: int, seed: int) -> list[tuple]:
    rng = random.Random(seed)
    words = sorted({w for p in raw for w in f"{p['name']} {p['description']} {p['sku']}".lower().split()})
    calls = [(a.query, a.filters(), a.sort, a.top_k)
             for a in (SearchArguments.model_validate(x) for x in argument_mix(raw, count, seed=seed))]
    for _ in range(count):
        query = " ".join(rng.choice(words) for _ in range(rng.randint(1, 4)))
        if rng.random() < 0.3:
            query += " " + rng.choice(("jackets", "warmest", "alp", "xyzzy", "puffr", "insul", "00"))
        filters = Filters(category=rng.choice((None, None, "jackets", "boots", "nope")),
                          min_price=rng.choice((None, None, 50.0)), max_price=rng.choice((None, None, 150.0, 300.0)),
                          in_stock=rng.choice((None, True, False)), min_rating=rng.choice((None, None, 4.0, 3.3, 5.0)),
                          waterproof=rng.choice((None, True, False)), min_warmth=rng.choice((None, "warm", "light")),
                          color=rng.choice((None, None, "Black", "zzz")), size=rng.choice((None, None, "m", "10")))
        calls.append((query, filters, rng.choice(("relevance", "relevance", "price_asc", "price_desc",
                                                  "rating_desc")), rng.randint(1, 20)))
    return calls


def _answer(result) -> tuple:
    return [p.sku for p in result.items], result.total, result.match, result.terms, result.corrections, result.ignored


@pytest.mark.parametrize("name", ["shipped", "odd_3k", pytest.param("generated_20k", marks=pytest.mark.slow)])
def test_index_answers_exactly_like_fts5(name):
    if name == "shipped":
        products, count = shipped_catalog().products, 400
    elif name == "odd_3k":
        products, count = [Product.model_validate(p) for p in _odd_catalog(3_000, 21)], 300
    else:
        products, count = [Product.model_validate(p) for p in generate_catalog(20_000, 3)], 150
    new, old = Catalog(products), Fts5Catalog(products)
    mismatches = [(call, _answer(new.search(*call)), _answer(old.search(*call)))
                  for call in _queries([p.model_dump() for p in products], count, seed=len(products))
                  if _answer(new.search(*call)) != _answer(old.search(*call))]
    assert not mismatches, mismatches[:3]
