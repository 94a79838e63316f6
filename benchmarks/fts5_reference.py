"""The catalog engine before the in-memory index: SQLite tables and an FTS5 index, one SQL query per search.

Kept to measure the current engine against (benchmarks, section 2) and to check it answers identically
(tests/app/search/test_catalog_reference.py): same items in the same order, same totals, match modes and corrections.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Callable, Iterable
from typing import Any, Literal

from catalog_tools.search import (
    SORT_ORDERS,
    WARMTH_LEVELS,
    Filters,
    Product,
    ProductSet,
    SearchResult,
    SearchTimeout,
    attribute_text,
    exact_key,
    words,
)

# bm25() column weights, in the FTS column order below: a hit in the name or SKU counts most.
_BM25_WEIGHTS = "10.0, 10.0, 3.0, 2.0, 1.0"


class Fts5Catalog(ProductSet):
    """The SQL/FTS5 engine as it was before the in-memory index (same public `search`)."""

    def __init__(self, products: Iterable[Product]):
        super().__init__(products)
        self._lock = threading.Lock()
        self._db = sqlite3.connect(":memory:", check_same_thread=False)
        vocabulary: set[str] = set()
        named_words: set[str] = set()
        self._build(vocabulary, named_words)
        self._set_vocabulary(vocabulary, named_words)

    def _build(self, vocabulary: set[str], named_words: set[str]) -> None:
        db = self._db
        db.executescript(
            """
            CREATE TABLE products(id INTEGER PRIMARY KEY, category TEXT, price REAL, rating REAL,
                                  in_stock INTEGER, waterproof INTEGER, warmth INTEGER, sku TEXT,
                                  exact TEXT, sku_key TEXT);
            CREATE TABLE colors(color TEXT, id INTEGER, PRIMARY KEY(color, id)) WITHOUT ROWID;
            CREATE TABLE sizes(size TEXT, id INTEGER, PRIMARY KEY(size, id)) WITHOUT ROWID;
            CREATE VIRTUAL TABLE fts USING fts5(sku, name, category, attrs, description,
                                                tokenize='porter unicode61', content='');
            """
        )
        rows, colors, sizes, docs = [], [], [], []
        for pid, p in enumerate(self.products):
            attrs = p.attributes
            warmth = attrs.get("warmth")
            waterproof = attrs.get("waterproof")
            rows.append((pid, p.category, p.price, p.rating, int(p.in_stock),
                         None if waterproof is None else int(bool(waterproof)),
                         WARMTH_LEVELS.index(warmth) if warmth in WARMTH_LEVELS else None, p.sku,
                         exact_key(p.name), exact_key(p.sku)))
            colors.extend((str(c).lower(), pid) for c in set(attrs.get("colors", [])))
            sizes.extend((str(s).upper(), pid) for s in set(attrs.get("sizes", [])))
            doc = (p.sku.replace("-", " "), p.name, p.category.replace("_", " "), attribute_text(attrs),
                   p.description)
            docs.append((pid, *doc))
            for part in doc:
                vocabulary.update(words(part))
            for part in doc[1:]:
                named_words.update(words(part))
        db.executemany("INSERT INTO products VALUES (?,?,?,?,?,?,?,?,?,?)", rows)
        db.executemany("INSERT OR IGNORE INTO colors VALUES (?,?)", colors)
        db.executemany("INSERT OR IGNORE INTO sizes VALUES (?,?)", sizes)
        db.executemany("INSERT INTO fts(rowid, sku, name, category, attrs, description) VALUES (?,?,?,?,?,?)", docs)
        db.executescript(
            """
            CREATE INDEX products_category_price ON products(category, price);
            CREATE INDEX products_price ON products(price);
            CREATE INDEX products_rating ON products(rating);
            ANALYZE;
            """
        )

    def _resolve_terms(self, query: str) -> tuple[list[str], list[str], dict[str, str], list[str]]:
        """Query words as FTS5 MATCH terms: `"word"` and `"word"*`."""
        return self._resolve_words(query, lambda word: f'"{word}"', lambda word: f'"{word}"*')

    # Each filter: its SQL condition and how its value becomes the parameter.
    _FILTER_SQL: dict[str, tuple[str, Callable[[Any], Any]]] = {
        "category": ("p.category = ?", str),
        "min_price": ("p.price >= ?", float),
        "max_price": ("p.price <= ?", float),
        "in_stock": ("p.in_stock = ?", int),
        "min_rating": ("p.rating >= ?", float),
        "waterproof": ("p.waterproof = ?", int),
        "min_warmth": ("p.warmth >= ?", WARMTH_LEVELS.index),
        "color": ("EXISTS (SELECT 1 FROM colors c WHERE c.color = ? AND c.id = p.id)", str.lower),
        "size": ("EXISTS (SELECT 1 FROM sizes s WHERE s.size = ? AND s.id = p.id)", str.upper),
    }

    @classmethod
    def _filter_sql(cls, filters: Filters) -> tuple[list[str], list[Any]]:
        where: list[str] = []
        params: list[Any] = []
        for name, (condition, to_param) in cls._FILTER_SQL.items():
            value = getattr(filters, name)
            if value is not None:
                where.append(condition)
                params.append(to_param(value))
        return where, params

    _ORDER = {
        # An exact name or SKU match comes first, then BM25 (lower is better in SQLite).
        "relevance": "exact_hit DESC, score, rating DESC, price ASC, sku ASC",
        "price_asc": "price ASC, sku ASC",
        "price_desc": "price DESC, sku ASC",
        "rating_desc": "rating DESC, price ASC, sku ASC",
    }

    def _run(self, match: str | None, filters: Filters, sort: str, top_k: int,
             exact: str = "", deadline: float | None = None) -> tuple[list[int], int]:
        where, params = self._filter_sql(filters)
        if match is None:
            source, score = "products p", "0"
        else:
            source, score = "fts JOIN products p ON p.id = fts.rowid", f"bm25(fts, {_BM25_WEIGHTS})"
            where.insert(0, "fts MATCH ?")
            params.insert(0, match)
        clause = (" WHERE " + " AND ".join(where)) if where else ""
        # Without query words "relevance" means best rated first.
        order = self._ORDER["rating_desc" if match is None and sort == "relevance" else sort]
        sql = (f"SELECT id, COUNT(*) OVER () FROM (SELECT p.id, p.price, p.rating, p.sku, {score} AS score, "
               f"(p.exact = ?1 OR p.sku_key = ?1) AS exact_hit FROM {source}{clause}) ORDER BY {order} LIMIT ?")
        if deadline is not None and time.perf_counter() > deadline:
            raise SearchTimeout("the search ran past its time budget")
        with self._lock:
            if deadline is None:
                rows = self._db.execute(sql, [exact, *params, top_k]).fetchall()
            else:
                # SQLite calls the handler every N VM steps; a non-zero answer interrupts the query.
                self._db.set_progress_handler(lambda: int(time.perf_counter() > deadline), 1_000)
                try:
                    rows = self._db.execute(sql, [exact, *params, top_k]).fetchall()
                except sqlite3.OperationalError as exc:
                    if "interrupted" in str(exc):
                        raise SearchTimeout("the search ran past its time budget") from exc
                    raise
                finally:
                    self._db.set_progress_handler(None, 0)
        total = rows[0][1] if rows else 0
        return [r[0] for r in rows], total

    def search(self, query: str = "", filters: Filters | None = None, sort: str = "relevance",
               top_k: int = 5, time_budget: float | None = None) -> SearchResult:
        """Rank products matching `query` (all words, else any word) within `filters`; `total` counts all matches."""
        if sort not in SORT_ORDERS:
            raise ValueError(f"unknown sort {sort!r}")
        filters = filters or Filters()
        deadline = None if time_budget is None else time.perf_counter() + time_budget
        terms, shown, corrections, ignored = self._resolve_terms(query)
        if not terms:
            ids, total = self._run(None, filters, sort, top_k, deadline=deadline)
            mode: Literal["all_terms", "any_term", "no_text"] = "no_text"
        else:
            exact = exact_key(query)
            ids, total = self._run(" AND ".join(terms), filters, sort, top_k, exact, deadline)
            mode = "all_terms"
            if total == 0 and len(terms) > 1:
                ids, total = self._run(" OR ".join(terms), filters, sort, top_k, exact, deadline)
                mode = "any_term"
        return SearchResult([self.products[i] for i in ids], total, mode, shown, corrections, ignored)
