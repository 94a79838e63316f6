"""Filters and sorts as bitsets over catalog positions.

Products get positions in (price, sku) order, so `price_asc` is position order, a price range is one span of bits
and every other filter value is a precomputed bitset: a filter is a handful of big-int ANDs, and the top rows of a
sort are read off the bits without touching the other rows.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Iterator, Sequence
from itertools import islice
from typing import Any, Protocol

from . import bitsets

RATING_BUCKETS = 51  # int(rating * 10) for ratings in [0, 5]


class Row(Protocol):
    price: float
    rating: float
    in_stock: bool
    attributes: dict[str, Any]
    category: str


def _masks(groups: dict[Any, list[int]], size: int) -> dict[Any, int]:
    return {key: bitsets.from_positions(positions, size) for key, positions in groups.items()}


class FilterIndex:
    def __init__(self, rows: Sequence[Row], warmth_levels: tuple[str, ...]):
        size = self.size = len(rows)
        self.all = (1 << size) - 1
        self.prices = [r.price for r in rows]
        self.ratings = [r.rating for r in rows]
        categories: dict[str, list[int]] = {}
        stock: dict[int, list[int]] = {1: [], 0: []}
        waterproof: dict[int, list[int]] = {1: [], 0: []}
        warmth: list[list[int]] = [[] for _ in warmth_levels]
        colors: dict[str, list[int]] = {}
        sizes: dict[str, list[int]] = {}
        buckets: list[list[int]] = [[] for _ in range(RATING_BUCKETS)]
        for position, row in enumerate(rows):
            attrs = row.attributes
            categories.setdefault(row.category, []).append(position)
            stock[int(row.in_stock)].append(position)
            if attrs.get("waterproof") is not None:
                waterproof[int(bool(attrs["waterproof"]))].append(position)
            level = attrs.get("warmth")
            if level in warmth_levels:
                for at_most in range(warmth_levels.index(level) + 1):
                    warmth[at_most].append(position)
            for color in set(attrs.get("colors", [])):
                colors.setdefault(str(color).lower(), []).append(position)
            for fit in set(attrs.get("sizes", [])):
                sizes.setdefault(str(fit).upper(), []).append(position)
            buckets[self._bucket(row.rating)].append(position)
        self.categories = _masks(categories, size)
        self.in_stock = _masks(stock, size)
        self.waterproof = _masks(waterproof, size)
        self.warmth_at_least = [bitsets.from_positions(p, size) for p in warmth]
        self.colors = _masks(colors, size)
        self.sizes = _masks(sizes, size)
        self.buckets = [bitsets.from_positions(p, size) for p in buckets]
        # A bucket whose ratings are all equal is ordered by position alone; others need a sort.
        self.bucket_rating = [self.ratings[p[0]] if p and len({self.ratings[i] for i in p}) == 1 else None
                              for p in buckets]
        self.at_least_bucket = [0] * (RATING_BUCKETS + 1)
        for b in range(RATING_BUCKETS - 1, -1, -1):
            self.at_least_bucket[b] = self.at_least_bucket[b + 1] | self.buckets[b]

    @staticmethod
    def _bucket(rating: float) -> int:
        # Monotone in the rating (float multiplication rounds monotonically), so buckets never overlap.
        return min(RATING_BUCKETS - 1, max(0, int(rating * 10)))

    def price_span(self, low: float | None, high: float | None) -> int:
        start = 0 if low is None else bisect_left(self.prices, low)
        end = self.size if high is None else bisect_right(self.prices, high)
        return bitsets.span(start, end)

    def rating_at_least(self, minimum: float) -> int:
        if minimum <= 0:
            return self.all
        if minimum > 5:
            return 0
        b = min(RATING_BUCKETS - 1, int(minimum * 10))
        mask = self.at_least_bucket[b + 1]
        edge = self.buckets[b]
        if self.bucket_rating[b] is not None:
            return mask | (edge if self.bucket_rating[b] >= minimum else 0)
        return mask | bitsets.from_positions((p for p in bitsets.ascending(edge) if self.ratings[p] >= minimum),
                                             self.size)

    def by_price_desc(self, mask: int, k: int) -> list[int]:
        """Top k by (price desc, position asc): read from the top, finishing the k-th row's price tie."""
        taken: list[int] = []
        for p in bitsets.descending(mask):
            if len(taken) >= k and self.prices[p] != self.prices[taken[k - 1]]:
                break
            taken.append(p)
        return sorted(taken, key=lambda p: (-self.prices[p], p))[:k]

    def by_rating(self, mask: int, k: int) -> list[int]:
        """Top k by (rating desc, position asc), bucket by bucket from the best ratings."""
        taken: list[int] = []
        for b in range(RATING_BUCKETS - 1, -1, -1):
            hits = mask & self.buckets[b]
            if not hits:
                continue
            need = k - len(taken)
            if self.bucket_rating[b] is not None:
                taken.extend(islice(bitsets.ascending(hits), need))
            else:
                taken.extend(sorted(bitsets.ascending(hits), key=lambda p: (-self.ratings[p], p))[:need])
            if len(taken) >= k:
                break
        return taken


def first(positions: Iterator[int], k: int) -> list[int]:
    return list(islice(positions, k))
