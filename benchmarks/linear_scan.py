"""The search baseline: a plain Python linear scan over the products, as one would write it without an index.

Same filters and sorts as `Catalog.search`; text relevance is simple: a query word (or it plus/minus a trailing
"s") scores the weights of the fields that contain it, weighted like the index (name and SKU 10, category 3,
attributes 2, description 1); every word must match, else any word; then the sort and `top_k`. Each product's
word -> weight map is built once (a scan that re-tokenised every product per query would be a straw man).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from catalog_tools.search import STOP_WORDS, WARMTH_LEVELS, Filters, Product

_WORD = re.compile(r"[a-z0-9]+")
_FIELD_WEIGHTS = (10.0, 10.0, 3.0, 2.0, 1.0)


def _words(text: str) -> set[str]:
    return set(_WORD.findall(text.lower()))


def _attribute_words(attrs: dict[str, Any]) -> set[str]:
    words: set[str] = set()
    for key, value in attrs.items():
        if isinstance(value, bool):
            words |= _words(key) if value else set()
        elif isinstance(value, list):
            words |= _words(" ".join(str(v) for v in value))
        else:
            words |= _words(str(value))
    return words


@dataclass
class _Row:
    product: Product
    weights: dict[str, float]  # word -> summed weight of the fields (sku, name, category, attrs, description) with it
    warmth: int | None
    waterproof: bool | None
    colors: set[str]
    sizes: set[str]


class LinearScan:
    def __init__(self, products: list[Product]):
        self.rows = []
        for p in products:
            attrs = p.attributes
            warmth = attrs.get("warmth")
            waterproof = attrs.get("waterproof")
            weights: dict[str, float] = {}
            fields = (_words(p.sku), _words(p.name), _words(p.category), _attribute_words(attrs), _words(p.description))
            for weight, words in zip(_FIELD_WEIGHTS, fields, strict=True):
                for word in words:
                    weights[word] = weights.get(word, 0.0) + weight
            self.rows.append(_Row(
                p, weights,
                WARMTH_LEVELS.index(warmth) if warmth in WARMTH_LEVELS else None,
                None if waterproof is None else bool(waterproof),
                {str(c).lower() for c in attrs.get("colors", [])}, {str(s).upper() for s in attrs.get("sizes", [])}))

    @staticmethod
    def _passes(row: _Row, f: Filters) -> bool:
        p = row.product
        return not (
            (f.category is not None and p.category != f.category)
            or (f.min_price is not None and p.price < f.min_price)
            or (f.max_price is not None and p.price > f.max_price)
            or (f.in_stock is not None and p.in_stock != f.in_stock)
            or (f.min_rating is not None and p.rating < f.min_rating)
            or (f.waterproof is not None and row.waterproof != f.waterproof)
            or (f.min_warmth is not None and (row.warmth is None or row.warmth < WARMTH_LEVELS.index(f.min_warmth)))
            or (f.color is not None and f.color.lower() not in row.colors)
            or (f.size is not None and f.size.upper() not in row.sizes))

    def search(self, query: str, filters: Filters, sort: str = "relevance", top_k: int = 5) -> tuple[list[str], int]:
        """(SKUs of the top results, total matches)."""
        terms = [w for w in dict.fromkeys(_WORD.findall(query.lower())) if w not in STOP_WORDS]
        candidates = [r for r in self.rows if self._passes(r, filters)]
        scored: list[tuple[float, _Row]] = []
        if terms:
            variants = [(t, t[:-1] if t.endswith("s") else t + "s") for t in terms]
            per_row = [(row, [row.weights.get(t) or row.weights.get(v, 0.0) for t, v in variants])
                       for row in candidates]
            scored = [(sum(scores), row) for row, scores in per_row if all(scores)]
            if not scored and len(terms) > 1:
                scored = [(sum(scores), row) for row, scores in per_row if any(scores)]
        else:
            scored = [(0.0, r) for r in candidates]
        keys = {
            "relevance": lambda s: (-s[0], -s[1].product.rating, s[1].product.price, s[1].product.sku),
            "price_asc": lambda s: (s[1].product.price, s[1].product.sku),
            "price_desc": lambda s: (-s[1].product.price, s[1].product.sku),
            "rating_desc": lambda s: (-s[1].product.rating, s[1].product.price, s[1].product.sku),
        }
        scored.sort(key=keys[sort])
        return [s[1].product.sku for s in scored[:top_k]], len(scored)
