"""Catalog attacks (every SKU, a hedged list of SKUs) and catalog-search candidates, only when a catalog is given."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rftkit.graders.attacks.base import Attack, attack


@dataclass
class CatalogContext:
    """A catalog's SKUs, and its search to find the candidates a policy's tool call would have shown for a row."""

    skus: list[str]
    search: Any = field(default=None, repr=False)  # a catalog_tools Catalog, loaded on first use

    @classmethod
    def load(cls, path: Path) -> CatalogContext:
        from catalog_tools.search import Catalog

        catalog = Catalog.from_path(path)
        return cls([product.sku for product in catalog.products], catalog)

    def candidates(self, row: dict[str, Any], reference: str, top_k: int = 10) -> list[str]:
        """The reference and the SKUs a search for the row's last user message returns (its tool output)."""
        users = [m for m in row.get("messages") or [] if isinstance(m, dict) and m.get("role") == "user"]
        query = users[-1].get("content") if users and isinstance(users[-1].get("content"), str) else ""
        found = [product.sku for product in self.search.search(query, top_k=top_k).items] if self.search else []
        return [reference, *(sku for sku in found if sku != reference)]


def catalog_attacks(reference: str, skus: list[str]) -> list[Attack]:
    everything = skus if reference in skus else [*skus, reference]
    others = [sku for sku in skus if sku != reference]
    # Neighbours in the catalog's order look like plausible alternatives (same category prefix, mostly).
    at = skus.index(reference) if reference in skus else len(skus)
    hedge = (others[max(at - 1, 0):max(at - 1, 0) + 2] or others[:2])
    attacks = [attack("all_skus", ", ".join(everything))]
    if hedge:
        hedged = f"It is probably {reference}, but it could also be {' or '.join(hedge)}."
        attacks.append(attack("hedged_skus", hedged))
    return attacks
