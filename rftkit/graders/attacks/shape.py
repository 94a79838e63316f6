"""What a reference answer looks like: a number (with its unit, scale, percent sign), a short code, or free text."""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal

NUMBER, CODE, TEXT = "number", "code", "text"

# Long scale words and their abbreviations, as filings and answers write them.
SCALES: dict[str, int] = {"thousand": 3, "k": 3, "million": 6, "mn": 6, "m": 6, "mm": 6, "billion": 9, "bn": 9,
                          "b": 9, "trillion": 12, "tn": 12, "t": 12}
LONG_SCALES: dict[int, str] = {3: "thousand", 6: "million", 9: "billion", 12: "trillion"}
_NUMBER = re.compile(
    r"^(?P<head>(?:[A-Z]{3} ?|[A-Z]{0,2}[$€£¥])?)"  # a currency: USD, US$, $, €...
    r"(?P<sign>[-+−]?)(?P<digits>\d{1,3}(?:,\d{3})+|\d+)(?:\.(?P<fraction>\d+))?"
    r"(?P<scale>\s?(?:thousand|million|billion|trillion|mn|mm|bn|tn|[kKmMbBtT])(?![A-Za-z]))?"
    r"(?P<percent>\s?(?:%|percent|per cent))?"
    r"(?P<unit>(?:\s[A-Za-z$€£][\w$€£./-]*){0,3})$")


@dataclass(frozen=True)
class ParsedNumber:
    """A numeric reference, split so that attacks can change one part and keep the others as written."""

    head: str  # the currency before the number, e.g. "$" or "USD "
    value: Decimal  # the number as written, before its scale: 1.2 for "1.2 billion"
    decimals: int
    grouped: bool  # written with thousands separators
    scale: str  # as written, with its leading space, e.g. " billion"; "" when none
    exponent: int  # of the scale: 9 for billion; 0 when none
    percent: str  # as written, e.g. "%" or " percent"; "" when none
    unit: str  # trailing words, e.g. " USD" or " shares"

    def render(self, value: Decimal, decimals: int | None = None, *, scale: str | None = None,
               percent: str | None = None, grouped: bool | None = None) -> str:
        """The reference's own writing with another value (and optionally another scale, percent sign...)."""
        places = self.decimals if decimals is None else decimals
        grouping = self.grouped if grouped is None else grouped
        number = f"{value:{',' if grouping else ''}.{places}f}"
        return (f"{self.head}{number}{self.scale if scale is None else scale}"
                f"{self.percent if percent is None else percent}{self.unit}")


def parse_number(reference: str) -> ParsedNumber | None:
    """The number in `reference` when the whole reference is one number with optional currency, scale, %, unit."""
    match = _NUMBER.match(reference.strip())
    if not match or len(reference) > 60:
        return None
    fraction = match["fraction"] or ""
    value = Decimal(f"{match['digits'].replace(',', '')}.{fraction}" if fraction else match["digits"].replace(",", ""))
    if match["sign"] in ("-", "−"):
        value = -value
    scale = match["scale"] or ""
    unit = match["unit"] or ""
    if scale.strip() in ("m", "M", "b", "B", "t", "T", "k", "K") and not match["head"] and unit:
        return None  # "5 m tall" or "3 T cells": a one-letter "scale" only counts for money or a bare number
    return ParsedNumber(match["head"], value, len(fraction), "," in match["digits"], scale,
                        SCALES[scale.strip().lower()] if scale else 0, match["percent"] or "", unit)


def classify(reference: str) -> str:
    """`number` (ints, decimals, percents, money, with units), `code` (one short token without spaces), or `text`."""
    text = reference.strip()
    if parse_number(text) is not None:
        return NUMBER
    if text and not any(char.isspace() for char in text) and len(text) <= 40:
        return CODE
    return TEXT
