"""The product catalog: loaded once from JSONL into an in-memory SQLite database with an FTS5 index.

Full-text relevance is BM25 over the name, SKU, category, attribute words and description (porter
stemming, so "jackets" finds "jacket"). Filters and sorts are SQL over indexed columns, so a query never
scans the catalog in Python. Query words the catalog has never seen are completed as prefixes or
corrected to the nearest catalog word (rapidfuzz), and the answer says which words were used.
"""

from __future__ import annotations

import bisect
import json
import re
import sqlite3
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from rapidfuzz import fuzz, process

WARMTH_LEVELS: tuple[str, ...] = ("light", "medium", "warm", "extra_warm")
SortOrder = Literal["relevance", "price_asc", "price_desc", "rating_desc"]
SORT_ORDERS: tuple[str, ...] = ("relevance", "price_asc", "price_desc", "rating_desc")

# Words that carry no product meaning in a shopper's request; dropped before matching.
STOP_WORDS = frozenset(
    """a an and are as at be best buy by can cheap cheapest costs do does find for from get give i in is it
    its looking me most my need of on one or please product products return show sku some that the this to
    under over want what which with find search item items expensive priced price size sizes color colour
    colors colours""".split()
)
_TOKEN = re.compile(r"[a-z0-9]+")
_FUZZY_CUTOFF = 80.0
# bm25() column weights, in the FTS column order below: a hit in the name or SKU counts most.
_BM25_WEIGHTS = "10.0, 10.0, 3.0, 2.0, 1.0"


class CatalogError(Exception):
    """The catalog file cannot be loaded (missing, not JSONL, or a product that breaks the format)."""


class SearchTimeout(Exception):
    """A search ran past its time budget and was interrupted."""


class Product(BaseModel):
    """One catalog line. `attributes` is open: known keys (warmth, waterproof, colors, sizes) are filterable."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    sku: str = Field(min_length=1, max_length=64)
    name: str = Field(min_length=1, max_length=200)
    category: str = Field(min_length=1, max_length=64)
    price: float = Field(ge=0)
    currency: str = Field(default="USD", min_length=3, max_length=3)
    rating: float = Field(ge=0, le=5)
    in_stock: bool
    attributes: dict[str, Any] = Field(default_factory=dict)
    description: str = ""

    def public(self) -> dict[str, Any]:
        return self.model_dump()


@dataclass(frozen=True)
class Filters:
    """Structured constraints; `None` means "no constraint"."""

    category: str | None = None
    min_price: float | None = None
    max_price: float | None = None
    in_stock: bool | None = None
    min_rating: float | None = None
    waterproof: bool | None = None
    min_warmth: str | None = None
    color: str | None = None
    size: str | None = None

    def applied(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if v is not None}


@dataclass
class SearchResult:
    items: list[Product]
    total: int
    match: Literal["all_terms", "any_term", "no_text"]
    terms: list[str]
    corrections: dict[str, str] = field(default_factory=dict)
    ignored: list[str] = field(default_factory=list)


def _words(text: str) -> list[str]:
    return _TOKEN.findall(text.lower())


def _attribute_text(attrs: dict[str, Any]) -> str:
    words: list[str] = []
    for key, value in attrs.items():
        if key == "warmth" and isinstance(value, str):
            words.append(value.replace("_", " "))
        elif isinstance(value, bool):
            if value:
                words.append(key.replace("_", " "))
        elif isinstance(value, list):
            words.extend(str(v) for v in value)
        else:
            words.append(str(value))
    return " ".join(words)


def _exact_key(text: str) -> str:
    """Name/SKU comparison key: "urban  PUFFER" and "Urban Puffer" are the same request."""
    return " ".join(_words(text))


def load_products(path: Path) -> list[Product]:
    """Read a catalog JSONL file; any bad line is a `CatalogError` naming the line."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise CatalogError(f"cannot read catalog {path}: {exc}") from exc
    products: list[Product] = []
    seen: set[str] = set()
    for lineno, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            product = Product.model_validate(json.loads(line))
        except (json.JSONDecodeError, ValidationError) as exc:
            raise CatalogError(f"{path}:{lineno}: not a valid product: {exc}") from exc
        if product.sku in seen:
            raise CatalogError(f"{path}:{lineno}: duplicate sku {product.sku!r}")
        seen.add(product.sku)
        products.append(product)
    if not products:
        raise CatalogError(f"catalog {path} has no products")
    return products


class Catalog:
    """An indexed, read-only product catalog. Thread-safe; one instance per app."""

    def __init__(self, products: Iterable[Product]):
        self.products: list[Product] = list(products)
        self.by_sku: dict[str, Product] = {p.sku: p for p in self.products}
        self.categories: tuple[str, ...] = tuple(sorted({p.category for p in self.products}))
        self.colors: tuple[str, ...] = tuple(sorted({str(c).lower() for p in self.products
                                                     for c in p.attributes.get("colors", [])}))
        self.sizes: tuple[str, ...] = tuple(sorted({str(s).upper() for p in self.products
                                                    for s in p.attributes.get("sizes", [])}))
        self._lock = threading.Lock()
        self._db = sqlite3.connect(":memory:", check_same_thread=False)
        self._vocabulary: set[str] = set()
        self._fuzzy_vocabulary: set[str] = set()  # words a misspelling may be corrected to (not SKU parts)
        self._build()
        self._vocab_list = sorted(self._vocabulary)
        self._fuzzy_list = sorted(self._fuzzy_vocabulary)

    @classmethod
    def from_path(cls, path: Path) -> Catalog:
        return cls(load_products(path))

    def __len__(self) -> int:
        return len(self.products)

    def _build(self) -> None:
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
                         _exact_key(p.name), _exact_key(p.sku)))
            colors.extend((str(c).lower(), pid) for c in set(attrs.get("colors", [])))
            sizes.extend((str(s).upper(), pid) for s in set(attrs.get("sizes", [])))
            doc = (p.sku.replace("-", " "), p.name, p.category.replace("_", " "), _attribute_text(attrs),
                   p.description)
            docs.append((pid, *doc))
            for part in doc:
                self._vocabulary.update(_words(part))
            for part in doc[1:]:
                self._fuzzy_vocabulary.update(w for w in _words(part) if len(w) >= 4 and w.isalpha())
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

    def _is_prefix(self, word: str) -> bool:
        i = bisect.bisect_left(self._vocab_list, word)
        return i < len(self._vocab_list) and self._vocab_list[i].startswith(word)

    def _resolve_terms(self, query: str) -> tuple[list[str], list[str], dict[str, str], list[str]]:
        """Map query words to FTS terms: known words, prefixes, corrected misspellings; the rest is ignored."""
        fts_terms: list[str] = []
        shown: list[str] = []
        corrections: dict[str, str] = {}
        ignored: list[str] = []
        for word in dict.fromkeys(_words(query)):
            if word in STOP_WORDS:
                continue
            if word in self._vocabulary:
                fts_terms.append(f'"{word}"')
                shown.append(word)
            elif len(word) >= 3 and self._is_prefix(word):
                fts_terms.append(f'"{word}"*')
                shown.append(word + "*")
            elif len(word) >= 4 and word.isalpha():
                best = process.extractOne(word, self._fuzzy_list, scorer=fuzz.ratio, score_cutoff=_FUZZY_CUTOFF)
                if best is None:
                    ignored.append(word)
                    continue
                corrections[word] = best[0]
                fts_terms.append(f'"{best[0]}"')
                shown.append(best[0])
            else:
                ignored.append(word)
        return fts_terms, shown, corrections, ignored

    @staticmethod
    def _filter_sql(filters: Filters) -> tuple[list[str], list[Any]]:
        where: list[str] = []
        params: list[Any] = []
        if filters.category is not None:
            where.append("p.category = ?")
            params.append(filters.category)
        if filters.min_price is not None:
            where.append("p.price >= ?")
            params.append(filters.min_price)
        if filters.max_price is not None:
            where.append("p.price <= ?")
            params.append(filters.max_price)
        if filters.in_stock is not None:
            where.append("p.in_stock = ?")
            params.append(int(filters.in_stock))
        if filters.min_rating is not None:
            where.append("p.rating >= ?")
            params.append(filters.min_rating)
        if filters.waterproof is not None:
            where.append("p.waterproof = ?")
            params.append(int(filters.waterproof))
        if filters.min_warmth is not None:
            where.append("p.warmth >= ?")
            params.append(WARMTH_LEVELS.index(filters.min_warmth))
        if filters.color is not None:
            where.append("EXISTS (SELECT 1 FROM colors c WHERE c.color = ? AND c.id = p.id)")
            params.append(filters.color.lower())
        if filters.size is not None:
            where.append("EXISTS (SELECT 1 FROM sizes s WHERE s.size = ? AND s.id = p.id)")
            params.append(filters.size.upper())
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
            exact = _exact_key(query)
            ids, total = self._run(" AND ".join(terms), filters, sort, top_k, exact, deadline)
            mode = "all_terms"
            if total == 0 and len(terms) > 1:
                ids, total = self._run(" OR ".join(terms), filters, sort, top_k, exact, deadline)
                mode = "any_term"
        return SearchResult([self.products[i] for i in ids], total, mode, shown, corrections, ignored)
