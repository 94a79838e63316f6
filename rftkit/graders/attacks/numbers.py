"""Attacks on numeric references: the same value written otherwise, neighbouring values, several values at once."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from rftkit.graders.attacks.base import Attack, attack
from rftkit.graders.attacks.shape import LONG_SCALES, ParsedNumber


def number_attacks(number: ParsedNumber) -> list[Attack]:
    reference = number.render(number.value)
    value, places = number.value, number.decimals
    step = Decimal(1).scaleb(-places)  # one in the last digit
    attacks = [*_other_units(number), *_percent_fraction(number),
               attack("more_decimals", number.render(value, places + 2))]
    if places > 0:
        rounded = value.quantize(Decimal(1).scaleb(-(places - 1)), rounding=ROUND_HALF_UP)
        attacks.append(attack("fewer_decimals", number.render(rounded, places - 1)))
    attacks.append(attack("last_digit", number.render(value + step)))
    for name, factor in (("off_1pct", Decimal("1.01")), ("off_10pct", Decimal("1.1"))):
        shifted = _distinct(number, value * factor, reference)
        if shifted:
            attacks.append(attack(name, shifted))
    several = f"{number.render(value - step)}, {reference} or {number.render(value + step)}"
    attacks.append(attack("several_numbers", several))
    return attacks


def _distinct(number: ParsedNumber, value: Decimal, reference: str) -> str | None:
    """`value` written with as few extra decimals as make it differ from the reference; None for 0."""
    if value == number.value:
        return None
    for places in range(number.decimals, number.decimals + 5):
        text = number.render(value, places)
        if text != reference:
            return text
    return None


def _plain(value: Decimal) -> str:
    """A value without trailing zeros or exponent: 1200000000, 0.12."""
    text = f"{value:f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def _other_units(number: ParsedNumber) -> list[Attack]:
    total = number.value.scaleb(number.exponent)
    if number.exponent:
        attacks = [attack("plain_digits", f"{number.head}{_plain(total)}{number.percent}{number.unit}")]
        smaller = LONG_SCALES.get(number.exponent - 3)
        if smaller:
            text = number.render(number.value.scaleb(3), max(number.decimals - 3, 0), scale=f" {smaller}",
                                 grouped=True)
            attacks.insert(0, attack("other_units", text))
        return attacks
    # Plain numbers from a million up: counts of thousands (years, head counts) are rarely written in words.
    exponent = max((e for e in LONG_SCALES if e >= 6 and abs(total) >= Decimal(10) ** e), default=0)
    if not exponent or number.percent:
        return []
    scaled = number.value.scaleb(-exponent)
    text = f"{number.head}{_plain(scaled)} {LONG_SCALES[exponent]}{number.unit}"
    return [attack("other_units", text)]


def _percent_fraction(number: ParsedNumber) -> list[Attack]:
    if number.percent:
        return [attack("percent_fraction", _plain(number.value.scaleb(-2)))]
    if not (number.head or number.unit or number.exponent) and number.decimals and abs(number.value) <= 1:
        return [attack("percent_fraction", f"{_plain(number.value.scaleb(2))}%")]
    return []
