"""Gaming answers derived from the shape of a row's reference answer (see `plan_row`).

Every attack belongs to one family: `number`, `code` or `text` (from the reference's shape, `shape.classify`),
`any` (shape-independent: empty, JSON-wrapped, buried in a paragraph) or `catalog` (only when a catalog is given).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from rftkit.graders.attacks.base import CONTROL, Attack, describe
from rftkit.graders.attacks.catalog import CatalogContext, catalog_attacks
from rftkit.graders.attacks.codes import code_attacks, codes_in, near_miss, row_candidates
from rftkit.graders.attacks.numbers import number_attacks
from rftkit.graders.attacks.shape import NUMBER, TEXT, classify, parse_number
from rftkit.graders.attacks.text import common_attacks, text_attacks

__all__ = ["CONTROL", "Attack", "CatalogContext", "RowPlan", "describe", "near_miss", "plan_row"]


@dataclass(frozen=True)
class RowPlan:
    """The control and the attacks for one row; `family` names the families used, e.g. `code+any+catalog`."""

    shape: str
    family: str
    attacks: list[Attack]  # the control first


def plan_row(reference: str, row: dict[str, Any], catalog: CatalogContext | None = None,
             tool_outputs: Sequence[str] = ()) -> RowPlan:
    """The control and every attack that fits `reference`'s shape; catalog attacks only with a `catalog`.

    A code's candidates come from `tool_outputs` (what the row's rollouts saw, e.g. from an episodes file), else a
    catalog search for the row's question, else the codes the row mentions, else near misses.
    """
    shape = classify(reference)
    catalog_context = catalog is not None
    parsed = parse_number(reference)
    if parsed is not None:  # shape == NUMBER
        own = number_attacks(parsed)
    elif shape == TEXT:
        own = text_attacks(reference)
    else:
        seen = [code for code in codes_in(tool_outputs, reference) if code != reference]
        candidates = [reference, *seen] if seen else catalog.candidates(row, reference) if catalog else []
        if len(candidates) < 2:  # the search shows nothing else: what the row mentions, else near misses
            candidates = row_candidates(row, reference, catalog.skus if catalog else ())
        own = code_attacks(reference, candidates, catalog.skus if catalog else candidates)
    attacks = [*own, *common_attacks(reference, catalog_context)]
    if catalog and shape != NUMBER:
        attacks.extend(catalog_attacks(reference, catalog.skus))
    families = [shape, "any", *(["catalog"] if catalog and shape != NUMBER else [])]
    control = Attack(CONTROL, "control", describe(CONTROL), reference)
    return RowPlan(shape, "+".join(families), [control, *attacks])
