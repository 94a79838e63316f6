"""The catalog search engine: the catalog loaded from JSONL, a full-text index with SQLite FTS5's terms and exact
bm25() (`text_index`), filters and sorts as bitsets (`filter_index`, `bitsets`) and the text rules they share
(`words`). What is exported here is the engine's public API: the tools, the toolkit and the benchmarks use it."""

from .catalog import (
    SORT_ORDERS,
    WARMTH_LEVELS,
    Catalog,
    CatalogError,
    Filters,
    Product,
    ProductSet,
    SearchResult,
    SearchTimeout,
    SortOrder,
    Warmth,
    load_products,
)
from .words import FUZZY_CUTOFF, STOP_WORDS, attribute_text, exact_key, words

__all__ = [
    "FUZZY_CUTOFF", "SORT_ORDERS", "STOP_WORDS", "WARMTH_LEVELS", "Catalog", "CatalogError", "Filters", "Product",
    "ProductSet", "SearchResult", "SearchTimeout", "SortOrder", "Warmth", "attribute_text", "exact_key",
    "load_products", "words",
]
