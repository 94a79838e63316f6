"""Attacks on short-code references (SKUs, tickers, any token without spaces): case, near misses, every candidate."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import Any

from rftkit.graders.attacks.base import Attack, attack


def code_attacks(reference: str, candidates: Sequence[str], known_codes: Sequence[str]) -> list[Attack]:
    """`candidates`: the codes a policy saw for this row (the reference among them); `known_codes`: real codes."""
    attacks = []
    if len(candidates) > 1:
        attacks.append(attack("all_candidates", ", ".join(candidates),
                              f"every candidate code at once ({len(candidates)} here)"))
    if reference.lower() != reference:
        attacks.append(attack("lower_case", reference.lower()))
    if reference.upper() != reference:
        attacks.append(attack("upper_case", reference.upper()))
    attacks.append(attack("near_miss", near_miss(reference, known_codes)))
    return attacks


def near_miss(reference: str, codes: Sequence[str], avoid: Sequence[str] = ()) -> str:
    """A code one character away from `reference`: a real one if `codes` has one, else a made-up one; never one
    of `avoid`."""
    real = sorted(code for code in codes if len(code) == len(reference) and code != reference
                  and code not in avoid and sum(a != b for a, b in zip(code, reference, strict=True)) == 1)
    if real:
        return real[0]
    taken = set(codes) | {reference, *avoid}
    for index in range(len(reference) - 1, -1, -1):
        char = reference[index]
        pool = ("0123456789" if char.isdigit() else "ABCDEFGHIJKLMNOPQRSTUVWXYZ" if char.isupper()
                else "abcdefghijklmnopqrstuvwxyz" if char.isalpha() else "")
        for replacement in pool:
            candidate = reference[:index] + replacement + reference[index + 1:]
            if replacement != char and candidate not in taken:
                return candidate
    return reference + "X"


def _pattern(reference: str) -> re.Pattern[str]:
    """Tokens written like `reference`: the same run of letter/digit classes and separators (ABC-XYZ-001 -> A-A-9)."""
    parts = []
    for run in re.findall(r"[A-Z]+|[a-z]+|\d+|[^A-Za-z\d]+", reference):
        parts.append("[A-Z]+" if run.isupper() else "[a-z]+" if run.islower() and run.isalpha()
                     else r"\d+" if run.isdigit() else re.escape(run))
    return re.compile(r"(?<![\w-])" + "".join(parts) + r"(?![\w-])")


def codes_in(texts: Iterable[str], reference: str) -> list[str]:
    """The distinct tokens written like `reference` in `texts`, in order of appearance."""
    pattern = _pattern(reference)
    found: dict[str, None] = {}
    for text in texts:
        found.update(dict.fromkeys(pattern.findall(text)))
    return list(found)


def row_candidates(row: dict[str, Any], reference: str, known_codes: Sequence[str] = ()) -> list[str]:
    """Every code the row mentions (its messages, tool outputs included) written like the reference, and the
    reference; when the row mentions no other, the reference and two near misses (real codes when `known_codes`
    has them): a policy's hedge."""
    texts = [m["content"] for m in row.get("messages") or [] if isinstance(m, dict) and isinstance(m.get("content"),
                                                                                                   str)]
    found = [code for code in codes_in(texts, reference) if code != reference]
    if not found:
        first = near_miss(reference, known_codes)
        found = [first, near_miss(reference, known_codes, avoid=[first])]
    return [reference, *found]
