"""Catalog search: text relevance, filters, sorts, bounds, and the public sample's three jackets."""

from __future__ import annotations

import json

import pytest

from catalog_tools.config import SHIPPED_CATALOG
from catalog_tools.search import Catalog, CatalogError, Filters, load_products

SEED_JACKETS = {"JKT-URB-009": ("Urban Puffer", 149.50), "JKT-ALP-001": ("Alpine Light Jacket", 179.99),
                "JKT-ALP-002": ("Alpine Insulated", 199.00)}


def test_shipped_catalog_size_and_categories(catalog: Catalog):
    assert len(catalog) >= 500
    assert len(catalog.categories) >= 5
    for sku, (name, price) in SEED_JACKETS.items():
        product = catalog.by_sku[sku]
        assert (product.name, product.price, product.category) == (name, price, "jackets")


@pytest.mark.parametrize("sku", sorted(SEED_JACKETS))
def test_seed_jackets_found_by_name(catalog: Catalog, sku: str):
    name = SEED_JACKETS[sku][0]
    result = catalog.search(name, top_k=3)
    assert result.items[0].sku == sku


def test_misspelled_and_partial_names(catalog: Catalog):
    misspelled = catalog.search("urbn pufer", top_k=1)
    assert misspelled.items[0].sku == "JKT-URB-009"
    assert misspelled.corrections == {"urbn": "urban", "pufer": "puffer"}
    partial = catalog.search("Alpine Insul", Filters(category="jackets"), top_k=1)
    assert partial.items[0].sku == "JKT-ALP-002"


def test_sku_search(catalog: Catalog):
    assert catalog.search("JKT-ALP-001", top_k=1).items[0].sku == "JKT-ALP-001"


def test_stemming_plural_matches_singular(catalog: Catalog):
    assert catalog.search("jackets").total == catalog.search("jacket").total > 0


def test_filters_hold_for_every_result(catalog: Catalog):
    f = Filters(category="jackets", min_price=100, max_price=250, in_stock=True, min_rating=3.5,
                waterproof=True, min_warmth="medium", color="black", size="M")
    result = catalog.search("", f, "price_asc", top_k=20)
    assert result.total > 0
    for p in result.items:
        a = p.attributes
        assert p.category == "jackets" and 100 <= p.price <= 250 and p.in_stock and p.rating >= 3.5
        assert a["waterproof"] is True and a["warmth"] in ("medium", "warm", "extra_warm")
        assert "black" in a["colors"] and "M" in a["sizes"]
    # total counts every match, not just the returned page
    expected = [p for p in catalog.products if p.category == "jackets" and 100 <= p.price <= 250 and p.in_stock
                and p.rating >= 3.5 and p.attributes.get("waterproof") is True
                and p.attributes.get("warmth") in ("medium", "warm", "extra_warm")
                and "black" in p.attributes.get("colors", []) and "M" in p.attributes.get("sizes", [])]
    assert result.total == len(expected)


@pytest.mark.parametrize("sort,key,reverse", [("price_asc", "price", False), ("price_desc", "price", True),
                                              ("rating_desc", "rating", True)])
def test_sorts(catalog: Catalog, sort: str, key: str, reverse: bool):
    items = catalog.search("", Filters(category="boots"), sort, top_k=20).items
    values = [getattr(p, key) for p in items]
    assert values == sorted(values, reverse=reverse) and len(values) == 20


def test_seed_question_has_one_answer(catalog: Catalog):
    f = Filters(category="jackets", min_warmth="warm", max_price=200)
    items = catalog.search("", f, "price_asc", top_k=2).items
    assert items[0].sku == "JKT-URB-009" and items[1].price > items[0].price


def test_top_k_bounds_results(catalog: Catalog):
    assert len(catalog.search("", top_k=1).items) == 1
    assert len(catalog.search("", top_k=20).items) == 20


def test_empty_result_is_normal(catalog: Catalog):
    result = catalog.search("puffer", Filters(max_price=1))
    assert result.items == [] and result.total == 0


def test_any_term_fallback(catalog: Catalog):
    result = catalog.search("puffer tent")
    assert result.match == "any_term" and result.total > 0


def test_unknown_words_are_ignored_not_fatal(catalog: Catalog):
    result = catalog.search("zzqx urban puffer")
    assert result.ignored == ["zzqx"] and result.items[0].sku == "JKT-URB-009"


def test_load_errors_name_the_line(tmp_path):
    good = SHIPPED_CATALOG.read_text(encoding="utf-8").splitlines()[0]
    bad = tmp_path / "bad.jsonl"
    bad.write_text(good + "\n{not json}\n", encoding="utf-8")
    with pytest.raises(CatalogError, match=r"bad.jsonl:2"):
        load_products(bad)
    dup = tmp_path / "dup.jsonl"
    dup.write_text(good + "\n" + good + "\n", encoding="utf-8")
    with pytest.raises(CatalogError, match="duplicate sku"):
        load_products(dup)
    wrong = tmp_path / "wrong.jsonl"
    wrong.write_text(json.dumps({**json.loads(good), "price": -1}) + "\n", encoding="utf-8")
    with pytest.raises(CatalogError, match="wrong.jsonl:1"):
        load_products(wrong)
    with pytest.raises(CatalogError, match="no products"):
        (tmp_path / "empty.jsonl").write_text("\n", encoding="utf-8")
        load_products(tmp_path / "empty.jsonl")


def test_catalog_generator_is_reproducible(tmp_path):
    from rftkit.data.catalog_gen import write_catalog

    out = tmp_path / "products.jsonl"
    write_catalog(out)
    assert out.read_bytes() == SHIPPED_CATALOG.read_bytes()


def test_a_long_query_is_interrupted_mid_flight(catalog: Catalog, monkeypatch):
    """The budget is checked while ranking, not only before: a clock that moves 0.1 s per reading runs out
    after the two checks before ranking, so only a check inside the ranking can raise."""
    import catalog_tools.search.catalog as catalog_module
    from catalog_tools.search import SearchTimeout

    readings = iter(range(10_000))
    monkeypatch.setattr(catalog_module.time, "perf_counter", lambda: next(readings) * 0.1)
    with pytest.raises(SearchTimeout):
        catalog.search("jacket boots tent", top_k=20, time_budget=0.25)  # deadline 0.25; checks at 0.1, 0.2, 0.3…
    monkeypatch.undo()
    assert catalog.search("jacket boots tent", top_k=20, time_budget=5.0).total > 100
