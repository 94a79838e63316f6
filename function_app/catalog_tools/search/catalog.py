"""The product catalog: loaded once from JSONL and indexed in memory for full-text search with filters and sorts.

Full-text relevance is SQLite FTS5's BM25 over the name, SKU, category, attribute words and description (porter
stemming, so "jackets" finds "jacket"), with FTS5's own terms and bm25() arithmetic (`text_index`). Filters and
sorts are bitsets over products kept in (price, sku) order (`filter_index`), so a query never scans the catalog.
Query words the catalog has never seen are completed as prefixes or corrected to the nearest catalog word
(rapidfuzz), and the answer says which words were used.
"""

from __future__ import annotations

import bisect
import heapq
import json
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal, TypeVar, get_args

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from . import bitsets
from .filter_index import FilterIndex, first
from .text_index import Fts5Tokens, Postings, TextIndex, best_scored
from .words import FUZZY_CUTOFF, STOP_WORDS, attribute_text, exact_key, words

# The vocabularies of two filters, each in one place: the tool's argument model takes its Literal types from here.
Warmth = Literal["light", "medium", "warm", "extra_warm"]  # in increasing order
SortOrder = Literal["relevance", "price_asc", "price_desc", "rating_desc"]
WARMTH_LEVELS: tuple[str, ...] = get_args(Warmth)
SORT_ORDERS: tuple[str, ...] = get_args(SortOrder)

Term = TypeVar("Term")  # what an engine searches for a query word: postings here, an FTS5 MATCH term in SQL

_SKU_CUTOFF = 60.0  # rapidfuzz ratio for a SKU suggestion
_SCORE_ALL_BELOW = 32  # up to this many matches, score each one; beyond, rank groups of equal-scoring rows


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


def _field_problem(error: Any) -> str:
    """One pydantic error as `field 'price': Input should be ... (got 'abc')`."""
    field_name = ".".join(str(part) for part in error["loc"]) or "product"
    if error["type"] == "missing":
        return f"field {field_name!r} is missing"
    if error["type"] == "extra_forbidden":
        return f"field {field_name!r} is not a product field (put extra data in `attributes`)"
    return f"field {field_name!r}: {error['msg']} (got {error.get('input')!r:.60})"


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
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            raise CatalogError(f"{path}:{lineno}: not valid JSON: {exc.msg} at column {exc.colno}") from exc
        if not isinstance(record, dict):
            raise CatalogError(f"{path}:{lineno}: a product must be a JSON object, not {type(record).__name__}")
        try:
            product = Product.model_validate(record)
        except ValidationError as exc:
            problems = "; ".join(_field_problem(e) for e in exc.errors(include_url=False))
            raise CatalogError(f"{path}:{lineno}: not a valid product: {problems} (format: docs/catalog.md)") from exc
        if product.sku in seen:
            raise CatalogError(f"{path}:{lineno}: duplicate sku {product.sku!r}")
        seen.add(product.sku)
        products.append(product)
    if not products:
        raise CatalogError(f"catalog {path} has no products")
    return products


class ProductSet:
    """What every engine over a list of products shares (`Catalog`, and the FTS5 engine the benchmarks keep to
    compare with): the products by SKU, the filter values they offer, and how query words become search terms."""

    def __init__(self, products: Iterable[Product]):
        self.products: list[Product] = list(products)
        self.by_sku: dict[str, Product] = {p.sku: p for p in self.products}
        self.categories: tuple[str, ...] = tuple(sorted({p.category for p in self.products}))
        self.colors: tuple[str, ...] = tuple(sorted({str(c).lower() for p in self.products
                                                     for c in p.attributes.get("colors", [])}))
        self.sizes: tuple[str, ...] = tuple(sorted({str(s).upper() for p in self.products
                                                    for s in p.attributes.get("sizes", [])}))
        self._vocabulary: set[str] = set()
        self._vocab_list: list[str] = []
        self._fuzzy_list: list[str] = []

    def __len__(self) -> int:
        return len(self.products)

    def _set_vocabulary(self, vocabulary: set[str], named_words: Iterable[str]) -> None:
        """The words a query may use, and those a misspelling may be corrected to (words of the name, category,
        attributes and description; not SKU parts)."""
        self._vocabulary = vocabulary
        self._vocab_list = sorted(vocabulary)
        self._fuzzy_list = sorted({w for w in named_words if len(w) >= 4 and w.isalpha()})

    def _is_prefix(self, word: str) -> bool:
        i = bisect.bisect_left(self._vocab_list, word)
        return i < len(self._vocab_list) and self._vocab_list[i].startswith(word)

    def _resolve_words(self, query: str, exact: Callable[[str], Term],
                       prefix: Callable[[str], Term]) -> tuple[list[Term], list[str], dict[str, str], list[str]]:
        """Map query words to the engine's terms (`exact(word)`, `prefix(word)`): known words, prefixes, corrected
        misspellings; the rest is ignored. Returns the terms, the words shown, the corrections and the ignored."""
        terms: list[Term] = []
        shown: list[str] = []
        corrections: dict[str, str] = {}
        ignored: list[str] = []
        for word in dict.fromkeys(words(query)):
            if word in STOP_WORDS:
                continue
            if word in self._vocabulary:
                terms.append(exact(word))
                shown.append(word)
            elif len(word) >= 3 and self._is_prefix(word):
                terms.append(prefix(word))
                shown.append(word + "*")
            elif len(word) >= 4 and word.isalpha():
                # Imported on the first misspelling: rapidfuzz is ~50 ms of a cold start that most requests never use.
                from rapidfuzz import fuzz, process

                best = process.extractOne(word, self._fuzzy_list, scorer=fuzz.ratio, score_cutoff=FUZZY_CUTOFF)
                if best is None:
                    ignored.append(word)
                    continue
                corrections[word] = best[0]
                terms.append(exact(best[0]))
                shown.append(best[0])
            else:
                ignored.append(word)
        return terms, shown, corrections, ignored


class Catalog(ProductSet):
    """An indexed, read-only product catalog. Thread-safe (read-only after construction); one instance per app."""

    def __init__(self, products: Iterable[Product]):
        super().__init__(products)
        # Position = rank in (price, sku) order: `price_asc` and its ties are position order.
        self._by_position = sorted(range(len(self.products)),
                                   key=lambda i: (self.products[i].price, self.products[i].sku))
        ranked = [self.products[i] for i in self._by_position]
        self._filters = FilterIndex(ranked, WARMTH_LEVELS)
        self._exact: dict[str, list[int]] = {}
        for position, p in enumerate(ranked):
            for key in {exact_key(p.name), exact_key(p.sku)}:
                self._exact.setdefault(key, []).append(position)
        self._text = TextIndex([(p.sku.replace("-", " "), p.name, p.category.replace("_", " "),
                                 attribute_text(p.attributes), p.description) for p in ranked], Fts5Tokens())
        self._set_vocabulary(self._text.words, self._text.named_words)
        self._public_json = lru_cache(maxsize=4096)(self._encode_public)
        self._sku_keys: dict[str, str] | None = None  # exact_key(sku) -> sku, built at the first lookup

    def _encode_public(self, sku: str) -> str:
        return json.dumps(self.by_sku[sku].public(), separators=(",", ":"), ensure_ascii=False)

    def public_json(self, product: Product) -> str:
        """`product.public()` as compact JSON (non-ASCII kept), remembered for the 4,096 most used products: the
        tool answers the same popular products over and over, and encoding them was its largest single cost."""
        return self._public_json(product.sku)

    @classmethod
    def from_path(cls, path: Path) -> Catalog:
        return cls(load_products(path))

    def close_skus(self, text: str, limit: int = 3) -> list[str]:
        """The catalog SKUs nearest to `text` (a mistyped or half-remembered SKU), best first; none if nothing is
        close. Case and separators do not matter: "jkt urb 9" is near "JKT-URB-009"."""
        from rapidfuzz import fuzz, process  # imported when used, as for query corrections

        key = exact_key(text)
        if not key:
            return []
        if self._sku_keys is None:
            self._sku_keys = {exact_key(sku): sku for sku in self.by_sku}
        found = process.extract(key, list(self._sku_keys), scorer=fuzz.ratio, limit=limit,
                                score_cutoff=_SKU_CUTOFF)
        return [self._sku_keys[match] for match, _, _ in found]

    def _resolve_terms(self, query: str) -> tuple[list[Postings | None], list[str], dict[str, str], list[str]]:
        """Query words as FTS phrases (postings; None for a prefix nothing starts with)."""
        return self._resolve_words(query, self._text.exact, self._text.prefix)

    def _filter_mask(self, f: Filters) -> int:
        index = self._filters
        mask = index.all
        if f.category is not None:
            mask &= index.categories.get(f.category, 0)
        if f.min_price is not None or f.max_price is not None:
            mask &= index.price_span(f.min_price, f.max_price)
        if f.in_stock is not None:
            mask &= index.in_stock.get(int(f.in_stock), 0)
        if f.min_rating is not None:
            mask &= index.rating_at_least(f.min_rating)
        if f.waterproof is not None:
            mask &= index.waterproof.get(int(f.waterproof), 0)
        if f.min_warmth is not None:
            mask &= index.warmth_at_least[WARMTH_LEVELS.index(f.min_warmth)]
        if f.color is not None:
            mask &= index.colors.get(f.color.lower(), 0)
        if f.size is not None:
            mask &= index.sizes.get(f.size.upper(), 0)
        return mask

    def _top(self, mask: int, sort: str, top_k: int) -> list[int]:
        """Positions of the best `top_k` rows of `mask` for a sort that does not depend on the query words."""
        if sort == "price_asc":
            return first(bitsets.ascending(mask), top_k)
        if sort == "price_desc":
            return self._filters.by_price_desc(mask, top_k)
        return self._filters.by_rating(mask, top_k)

    def _top_relevant(self, phrases: list[Postings], mask: int, total: int, top_k: int, exact: str,
                      check: Callable[[], None]) -> list[int]:
        """Relevance order: an exact name or SKU match first, then BM25 (higher first), rating (desc), price, sku."""
        members = bitsets.Members(mask)
        ratings = self._filters.ratings
        text = self._text
        hits = [p for p in self._exact.get(exact, ()) if p in members]
        if total <= _SCORE_ALL_BELOW:  # few matches: score them all
            hit_set = set(hits)
            keys = [(p not in hit_set, -text.score(phrases, p), -ratings[p], p) for p in bitsets.ascending(mask)]
            check()
            return [key[3] for key in heapq.nsmallest(top_k, keys)]
        first_rows = sorted((-text.score(phrases, p), -ratings[p], p) for p in hits)[:top_k]
        wanted = top_k - len(first_rows)
        rest_mask = mask & ~bitsets.from_positions(hits, len(ratings)) if hits else mask
        taken = best_scored(text, phrases, rest_mask, wanted, self._filters.by_rating, check)
        rest = sorted((negative, -ratings[p], p) for negative, p in taken)[:wanted]
        return [key[2] for key in first_rows + rest]

    def search(self, query: str = "", filters: Filters | None = None, sort: str = "relevance",
               top_k: int = 5, time_budget: float | None = None) -> SearchResult:
        """Rank products matching `query` (all words, else any word) within `filters`; `total` counts all matches.

        Past `time_budget` seconds the search stops with `SearchTimeout` (checked between steps and while ranking).
        """
        if sort not in SORT_ORDERS:
            raise ValueError(f"unknown sort {sort!r}")
        filters = filters or Filters()
        deadline = None if time_budget is None else time.perf_counter() + time_budget

        def check() -> None:
            if deadline is not None and time.perf_counter() > deadline:
                raise SearchTimeout("the search ran past its time budget")

        phrases, shown, corrections, ignored = self._resolve_terms(query)
        check()
        mask = self._filter_mask(filters)
        mode: Literal["all_terms", "any_term", "no_text"] = "no_text"
        if phrases:
            mode = "all_terms"
            matched = mask
            for phrase in phrases:
                matched &= phrase.mask() if phrase is not None else 0
            if not matched and len(phrases) > 1:
                mode = "any_term"
                union = 0
                for phrase in phrases:
                    union |= phrase.mask() if phrase is not None else 0
                matched = mask & union
            mask = matched
        total = mask.bit_count()
        check()
        if not total:
            positions: list[int] = []
        elif mode == "no_text" or sort != "relevance":
            # Without query words "relevance" means best rated first.
            positions = self._top(mask, "rating_desc" if sort == "relevance" else sort, top_k)
        else:
            present = [p for p in phrases if p is not None]
            positions = self._top_relevant(present, mask, total, top_k, exact_key(query), check)
        return SearchResult([self.products[self._by_position[p]] for p in positions], total, mode, shown,
                            corrections, ignored)
