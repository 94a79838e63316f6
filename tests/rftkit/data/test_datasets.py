"""The shipped datasets: right by construction, reproducible, stratified, and free of train/valid leaks.

The oracle test re-derives every answer here, independently of rftkit/data/oracle.py: through the tools' own code
(`run_search`: argument parsing, filter values, the catalog's SQL; `get_product` for a shortlist's details) and,
for filter-only requests, by brute force over the catalog in plain Python.
"""

from __future__ import annotations

import json
import shutil
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from catalog_tools.search import WARMTH_LEVELS, Catalog, Product
from catalog_tools.tools import GET_PRODUCT, TOOLS, ToolContext, run_search, tool_definitions
from rftkit import DATA_DIR
from rftkit.__main__ import main
from rftkit.data.datasets import SEED_REQUEST, DatasetError, build_rows, write_datasets
from rftkit.data.oracle import AmbiguousOracle, resolve, search_spec

FILES = {"train": DATA_DIR / "train_tool.jsonl", "valid": DATA_DIR / "valid_tool.jsonl"}
ROWS = {split: [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
        for split, path in FILES.items()}
ALL_ROWS = [(split, row) for split, rows in ROWS.items() for row in rows]
TASK_TYPES = {"name_lookup", "price_extreme", "best_rated", "attribute_filter", "comparison", "multi_step",
              "variant_check", "spec_check"}
DETAIL_TYPES = {"variant_check", "spec_check"}  # a search, then get_product for each of its first two results
SORT_KEY = {"price_asc": ("price", min), "price_desc": ("price", max), "rating_desc": ("rating", max)}
PICK_KEY = {"lowest_price": ("price", min), "highest_price": ("price", max), "highest_rating": ("rating", max)}


def _tool_search(spec: dict[str, Any], catalog: Catalog) -> tuple[list[dict[str, Any]], int]:
    arguments = {"query": spec["query"], **spec["filters"], "sort": spec["sort"], "top_k": 20}
    output, ok = run_search(json.dumps(arguments), catalog, 1_000_000)
    payload = json.loads(output)
    assert ok, payload
    return payload["items"], payload["total"]


def _unique(spec: dict[str, Any], catalog: Catalog) -> dict[str, Any]:
    """The one product a search names: the only match (relevance) or a first result with no tie on the key."""
    items, total = _tool_search(spec, catalog)
    assert items, f"nothing matches {spec}"
    if spec["sort"] == "relevance":
        assert total == 1, f"{total} products match {spec}"
    else:
        key = SORT_KEY[spec["sort"]][0]
        assert len(items) == 1 or items[0][key] != items[1][key], f"tie on {key} for {spec}"
    return items[0]


def _answer(oracle: dict[str, Any], catalog: Catalog) -> str:
    if oracle["kind"] == "search":
        return _unique(oracle, catalog)["sku"]
    if oracle["kind"] == "compare":
        products = [_unique(spec, catalog) for spec in oracle["lookups"]]
        key, best = PICK_KEY[oracle["pick"]]
        winners = [p for p in products if p[key] == best(q[key] for q in products)]
        assert len({p["sku"] for p in products}) == len(products) and len(winners) == 1
        return winners[0]["sku"]
    if oracle["kind"] == "details":
        return _details_answer(oracle, catalog)
    assert oracle["kind"] == "chain"
    anchor = _unique(oracle["anchor"], catalog)
    then = oracle["then"]["filters"]
    assert then["category"] == anchor["category"]
    rules = {"anchor.price - 0.01": ("max_price", round(anchor["price"] - 0.01, 2)),
             "anchor.rating + 0.1": ("min_rating", round(anchor["rating"] + 0.1, 1))}
    for name, rule in oracle["derived"].items():
        if rule != "anchor.category":
            assert (name, then[name]) == rules[rule]
    return _unique(oracle["then"], catalog)["sku"]


def _get_product(sku: str, catalog: Catalog) -> dict[str, Any]:
    tool = TOOLS.get(GET_PRODUCT)
    assert tool is not None
    output, ok = tool.invoke({"sku": sku}, ToolContext(catalog, 1_000_000))
    assert ok, output
    return json.loads(output)


def _details_answer(oracle: dict[str, Any], catalog: Catalog) -> str:
    """The one of the search's first two results that get_product shows meeting the request."""
    items, total = _tool_search(oracle["search"], catalog)
    key = SORT_KEY[oracle["search"]["sort"]][0]
    assert oracle["take"] == 2 and total >= 3 and items[1][key] != items[2][key], oracle
    details = [_get_product(item["sku"], catalog) for item in items[:2]]
    if "require" in oracle:
        need = oracle["require"]
        chosen = [d for d in details if all((
            need.get("in_stock") in (None, d["in_stock"]),
            "color" not in need or need["color"] in d["colors"],
            "size" not in need or need["size"] in d["sizes"],
            need.get("waterproof") in (None, d["specs"].get("waterproof")),
        ))]
    else:
        spec, best = oracle["pick"]["spec"], oracle["pick"]["best"]
        values = [WARMTH_LEVELS.index(d["specs"][spec]) if spec == "warmth" else d["specs"][spec] for d in details]
        value = (max if best == "max" else min)(values)
        chosen = [d for d, v in zip(details, values, strict=True) if v == value]
    assert len(chosen) == 1, oracle
    return chosen[0]["sku"]


def _brute_force(filters: dict[str, Any], sort: str, catalog: Catalog) -> list[Product]:
    """Products meeting `filters`, best first by `sort`, in plain Python (no SQL, no tool)."""
    def ok(p: Product) -> bool:
        a = p.attributes
        return all((
            filters.get("category") in (None, p.category),
            p.price >= filters.get("min_price", 0),
            p.price <= filters.get("max_price", float("inf")),
            filters.get("in_stock") in (None, p.in_stock),
            p.rating >= filters.get("min_rating", 0),
            filters.get("waterproof") in (None, a.get("waterproof")),
            "min_warmth" not in filters or (a.get("warmth") in WARMTH_LEVELS and WARMTH_LEVELS.index(a["warmth"])
                                            >= WARMTH_LEVELS.index(filters["min_warmth"])),
            "color" not in filters or filters["color"] in a.get("colors", []),
            "size" not in filters or filters["size"] in a.get("sizes", []),
        ))
    found = [p for p in catalog.products if ok(p)]
    if sort in SORT_KEY:
        key, best = SORT_KEY[sort]
        found.sort(key=lambda p: getattr(p, key), reverse=best is max)
    return found


def _row_id(value: Any) -> str:
    return value[1]["id"] if isinstance(value, tuple) else str(value)


@pytest.mark.parametrize("split_row", ALL_ROWS, ids=_row_id)
def test_reference_answer_is_the_oracles_unique_answer(split_row: tuple[str, dict[str, Any]], catalog: Catalog):
    _, row = split_row
    assert _answer(row["metadata"]["oracle"], catalog) == row["reference_answer"]
    assert resolve(row["metadata"]["oracle"], catalog)["sku"] == row["reference_answer"]  # the generator's view


def test_filter_only_oracles_agree_with_brute_force(catalog: Catalog):
    checked = 0
    for _, row in ALL_ROWS:
        oracle = row["metadata"]["oracle"]
        searches = [oracle["then"]] if oracle["kind"] == "chain" else [oracle] if oracle["kind"] == "search" else []
        for spec in searches:
            if spec["query"]:
                continue
            found = _brute_force(spec["filters"], spec["sort"], catalog)
            assert found and found[0].sku == row["reference_answer"], row["id"]
            if spec["sort"] == "relevance":
                assert len(found) == 1, row["id"]
            else:
                key = SORT_KEY[spec["sort"]][0]
                assert len(found) == 1 or getattr(found[0], key) != getattr(found[1], key), row["id"]
            checked += 1
    assert checked > 200


def test_shortlists_agree_with_brute_force(catalog: Catalog):
    """A details request's two products, and its answer, from the catalog's plain data (no SQL, no tool)."""
    checked = 0
    for _, row in ALL_ROWS:
        oracle = row["metadata"]["oracle"]
        if oracle["kind"] != "details":
            continue
        found = _brute_force(oracle["search"]["filters"], oracle["search"]["sort"], catalog)
        key = SORT_KEY[oracle["search"]["sort"]][0]
        assert len(found) >= 3 and getattr(found[1], key) != getattr(found[2], key), row["id"]
        if "require" in oracle:
            need = oracle["require"]
            chosen = [p for p in found[:2] if all((
                need.get("in_stock") in (None, p.in_stock),
                "color" not in need or need["color"] in p.attributes.get("colors", []),
                "size" not in need or need["size"] in p.attributes.get("sizes", []),
                need.get("waterproof") in (None, p.attributes.get("waterproof"))))]
        else:
            spec = oracle["pick"]["spec"]
            value = {p.sku: WARMTH_LEVELS.index(p.attributes[spec]) if spec == "warmth" else p.attributes[spec]
                     for p in found[:2]}
            best = (max if oracle["pick"]["best"] == "max" else min)(value.values())
            chosen = [p for p in found[:2] if value[p.sku] == best]
        assert [p.sku for p in chosen] == [row["reference_answer"]], row["id"]
        calls = row["metadata"]["reference_calls"]
        assert [c["name"] for c in calls] == ["search_catalog", "get_product", "get_product"], row["id"]
        assert {c["arguments"]["sku"] for c in calls[1:]} == {p.sku for p in found[:2]}, row["id"]  # ties: any order
        checked += 1
    assert checked == sum(row["metadata"]["task_type"] in DETAIL_TYPES for _, row in ALL_ROWS) > 100


@pytest.mark.parametrize("split", sorted(FILES))
def test_each_file_uses_both_tools(split: str):
    """At least 15 % of each file needs get_product after search_catalog; its answer is the first or the second
    result alike (answering the search's first result must not pay)."""
    rows = [r for r in ROWS[split] if any(c["name"] == "get_product" for c in r["metadata"]["reference_calls"])]
    assert len(rows) >= 0.15 * len(ROWS[split])
    assert {r["metadata"]["task_type"] for r in rows} == DETAIL_TYPES
    first = sum(r["metadata"]["reference_calls"][1]["arguments"]["sku"] == r["reference_answer"] for r in rows)
    assert 0.3 <= first / len(rows) <= 0.7


def test_name_lookups_name_the_product(catalog: Catalog):
    for _, row in ALL_ROWS:
        meta = row["metadata"]
        if meta["task_type"] != "name_lookup":
            continue
        query, product = meta["oracle"]["query"], catalog.by_sku[row["reference_answer"]]
        assert query in row["messages"][-1]["content"] or query.lower() in row["messages"][-1]["content"]
        if meta["variant"] == "exact":
            assert query.lower() == product.name.lower()
        elif meta["variant"] == "partial":
            assert set(query.lower().split()) < set(product.name.lower().split())
            assert sum(set(query.lower().split()) <= set(p.name.lower().split()) for p in catalog.products) == 1
        else:
            assert query.lower() not in product.name.lower()  # really misspelled


def test_requests_state_their_constraints():
    """The wording carries every filter of the oracle: a budget, a colour, a size, stock, warmth."""
    for _, row in ALL_ROWS:
        oracle, text = row["metadata"]["oracle"], row["messages"][-1]["content"].lower()
        spec = {"chain": oracle.get("then"), "search": oracle, "details": oracle.get("search")}.get(oracle["kind"])
        if spec is None:
            continue
        # A details request also says what the shortlist is checked for (only what get_product answers).
        for name, value in [*spec["filters"].items(), *oracle.get("require", {}).items()]:
            if name in ("min_price", "max_price") and name not in oracle.get("derived", {}):
                assert f"${value:g}" in text, (row["id"], name)
            elif name == "min_rating" and name not in oracle.get("derived", {}):
                assert f"{value:g}" in text, (row["id"], name)
            elif name in ("color", "size"):
                assert str(value).lower() in text, (row["id"], name)
            elif name == "in_stock":
                assert "stock" in text, row["id"]
            elif name == "waterproof":
                assert "waterproof" in text, row["id"]
            elif name == "min_warmth":
                assert {"medium": "medium", "warm": "warm", "extra_warm": "extra-warm"}[value] in text, row["id"]


def test_every_row_carries_the_apps_tool_schemas_and_policy():
    tools = tool_definitions()
    assert [t["function"]["name"] for t in tools] == ["search_catalog", "get_product"]
    for _, row in ALL_ROWS:
        assert list(row) == ["messages", "tools", "reference_answer", "id", "metadata"]
        assert row["tools"] == tools
        developer, user = row["messages"]
        assert developer["role"] == "developer" and user["role"] == "user"
        assert all(name in developer["content"] for name in ("search_catalog", "get_product", "only"))
        assert set(row["metadata"]) >= {"task_type", "difficulty", "oracle"}


def test_ids_follow_file_order():
    for split, rows in ROWS.items():
        assert [r["id"] for r in rows] == [f"{split}-{i:04d}" for i in range(1, len(rows) + 1)]


def test_counts_and_stratification():
    assert len(ROWS["train"]) >= 200 and len(ROWS["valid"]) >= 50
    cells = {split: Counter((r["metadata"]["task_type"], r["metadata"]["difficulty"]) for r in rows)
             for split, rows in ROWS.items()}
    assert set(cells["train"]) == set(cells["valid"])
    assert {t for t, _ in cells["train"]} == TASK_TYPES
    for cell, train_count in cells["train"].items():
        share = cells["valid"][cell] / (train_count + cells["valid"][cell])
        assert 0.1 <= share <= 0.25, cell
    difficulties = Counter(r["metadata"]["difficulty"] for _, r in ALL_ROWS)
    assert set(difficulties) == {"easy", "medium", "hard"} and min(difficulties.values()) >= 0.2 * len(ALL_ROWS)


def test_nothing_leaks_between_training_and_validation():
    def keys(split: str, field: str) -> set[str]:
        return {json.dumps(r["metadata"]["oracle"], sort_keys=True) if field == "oracle" else
                " ".join(r["messages"][-1]["content"].lower().split()) if field == "prompt" else r[field]
                for r in ROWS[split]}

    for field in ("prompt", "oracle", "reference_answer"):
        assert not keys("train", field) & keys("valid", field), field
    for field in ("prompt", "oracle"):
        assert len(keys("train", field)) + len(keys("valid", field)) == len(ALL_ROWS), field


def test_seed_request_is_in_training_verbatim():
    (row,) = [r for r in ROWS["train"] if r["messages"][-1]["content"] == SEED_REQUEST]
    assert row["reference_answer"] == "JKT-URB-009"
    assert row["metadata"]["oracle"] == {"kind": "search", "query": "",
                                         "filters": {"category": "jackets", "max_price": 200, "min_warmth": "warm"},
                                         "sort": "price_asc"}


def test_generator_reproduces_the_committed_files_byte_for_byte(tmp_path: Path):
    written = write_datasets(tmp_path)
    assert {p.name: n for p, n in written.items()} == {p.name: len(ROWS[s]) for s, p in FILES.items()}
    for path in FILES.values():
        data = (tmp_path / path.name).read_bytes()
        assert data == path.read_bytes(), f"{path} is stale: run `python -m rftkit make-dataset`"
        assert b"\r" not in data and data.endswith(b"\n")


def test_make_dataset_check_names_only_the_stale_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    for path in FILES.values():
        shutil.copyfile(path, tmp_path / path.name)
    (tmp_path / "valid_tool.jsonl").write_text("{}\n", encoding="utf-8")
    assert main(["make-dataset", "--check", "--out-dir", str(tmp_path)]) == 1
    out = capsys.readouterr().out
    assert "valid_tool.jsonl: out of date" in out and "train_tool.jsonl" not in out


def _product(sku: str, name: str, price: float, rating: float = 4.0) -> Product:
    return Product(sku=sku, name=name, category="jackets", price=price, rating=rating, in_stock=True,
                   attributes={"warmth": "warm", "colors": ["navy"]})


def test_oracle_refuses_ties_and_several_matches():
    catalog = Catalog([_product("JKT-A", "Alpha Parka", 100.0, 4.5), _product("JKT-B", "Bravo Parka", 100.0, 4.5),
                       _product("JKT-C", "Charlie Parka", 150.0, 4.0)])
    with pytest.raises(AmbiguousOracle, match="tie on price"):
        resolve(search_spec("", "price_asc", category="jackets"), catalog)
    with pytest.raises(AmbiguousOracle, match="tie on rating"):
        resolve(search_spec("", "rating_desc", category="jackets"), catalog)
    with pytest.raises(AmbiguousOracle, match="3 products match"):
        resolve(search_spec("parka"), catalog)
    assert resolve(search_spec("", "price_desc", category="jackets"), catalog)["sku"] == "JKT-C"
    compare = {"kind": "compare", "lookups": [search_spec("Alpha Parka"), search_spec("Bravo Parka")],
               "pick": "lowest_price"}
    with pytest.raises(AmbiguousOracle, match="tie on price"):
        resolve(compare, catalog)
    by_rating = {**compare, "pick": "highest_rating",
                 "lookups": [search_spec("Alpha Parka"), search_spec("Charlie Parka")]}
    assert resolve(by_rating, catalog)["sku"] == "JKT-A"


def test_details_oracle_refuses_a_tied_shortlist_and_several_or_no_matches():
    def jacket(sku: str, price: float, colors: list[str], warmth: str = "warm") -> Product:
        return Product(sku=sku, name=f"Parka {sku}", category="jackets", price=price, rating=4.0, in_stock=True,
                       attributes={"warmth": warmth, "colors": colors, "sizes": ["M"]})

    catalog = Catalog([jacket("JKT-A", 100.0, ["red"]), jacket("JKT-B", 110.0, ["navy", "red"], "extra_warm"),
                       jacket("JKT-C", 120.0, ["navy"]), jacket("JKT-D", 120.0, ["navy"])])
    cheapest_two = {"kind": "details", "search": search_spec("", "price_asc", category="jackets"), "take": 2}
    assert resolve({**cheapest_two, "require": {"color": "navy"}}, catalog)["sku"] == "JKT-B"
    assert resolve({**cheapest_two, "pick": {"spec": "warmth", "best": "max"}}, catalog)["sku"] == "JKT-B"
    with pytest.raises(AmbiguousOracle, match="2 of the shortlist"):
        resolve({**cheapest_two, "require": {"color": "red"}}, catalog)
    with pytest.raises(AmbiguousOracle, match="0 of the shortlist"):
        resolve({**cheapest_two, "require": {"size": "XL"}}, catalog)
    with pytest.raises(AmbiguousOracle, match="tie on price at the end of the shortlist"):
        resolve({**cheapest_two, "take": 3, "require": {"color": "red"}}, catalog)
    with pytest.raises(AmbiguousOracle, match="tie on capacity_l|has no capacity_l"):
        resolve({**cheapest_two, "pick": {"spec": "capacity_l", "best": "max"}}, catalog)


def test_generator_fails_loudly_when_the_catalog_cannot_supply_the_rows():
    seed_jacket = _product("JKT-URB-009", "Urban Puffer", 149.5)
    with pytest.raises(DatasetError, match="rows for"):
        build_rows(Catalog([seed_jacket, _product("JKT-X", "Storm Shell", 250.0)]))
    with pytest.raises(DatasetError, match="public sample's request"):
        build_rows(Catalog([_product("JKT-X", "Storm Shell", 120.0), seed_jacket]))
