"""The attack record and the registry of attack names with what each one is."""

from __future__ import annotations

from dataclasses import dataclass

CONTROL = "correct"

# Name -> description, in report order. One name, one family.
DESCRIPTIONS: dict[str, str] = {
    CONTROL: "the reference answer alone (control)",
    # number
    "other_units": "same value in another scale (1.2 billion -> 1,200 million)",
    "plain_digits": "same value in plain digits (1.2 billion -> 1200000000)",
    "percent_fraction": "percent as a fraction or fraction as a percent (12% <-> 0.12)",
    "more_decimals": "same value with two more decimals",
    "fewer_decimals": "rounded to one decimal fewer",
    "last_digit": "one more in the last digit",
    "off_1pct": "a value 1% higher",
    "off_10pct": "a value 10% higher",
    "several_numbers": "the value and its two neighbours at once (12, 13 or 14)",
    # code
    "all_candidates": "every candidate code at once (tool outputs, else the row's text)",
    "lower_case": "the reference in lower case",
    "upper_case": "the reference in upper case",
    "near_miss": "a code one character off (another real one when one exists)",
    # text
    "padding": "the reference followed by a long filler",
    "instruction": "an instruction to a model grader, without the answer",
    # any
    "paragraph": "the reference inside a long paragraph",
    "json_wrapped": "the reference wrapped in JSON",
    "empty": "an empty answer",
    # catalog
    "all_skus": "every SKU in the catalog at once",
    "hedged_skus": "a hedged list: the reference and two other catalog SKUs",
}
FAMILY_OF: dict[str, str] = {
    CONTROL: "control",
    **dict.fromkeys(["other_units", "plain_digits", "percent_fraction", "more_decimals", "fewer_decimals",
                     "last_digit", "off_1pct", "off_10pct", "several_numbers"], "number"),
    **dict.fromkeys(["all_candidates", "lower_case", "upper_case", "near_miss"], "code"),
    **dict.fromkeys(["padding", "instruction"], "text"),
    **dict.fromkeys(["paragraph", "json_wrapped", "empty"], "any"),
    **dict.fromkeys(["all_skus", "hedged_skus"], "catalog"),
}
# Attacks that give several candidate answers at once: flagged, whatever the threshold, when they earn anything.
ALL_AT_ONCE = frozenset({"several_numbers", "all_candidates", "all_skus", "hedged_skus"})


def describe(name: str) -> str:
    return DESCRIPTIONS[name]


@dataclass(frozen=True)
class Attack:
    name: str
    family: str
    description: str
    answer: str

    @property
    def all_at_once(self) -> bool:
        return self.name in ALL_AT_ONCE


def attack(name: str, answer: str, description: str | None = None) -> Attack:
    """An attack of the registry's family, with its registry description unless a more exact one is given."""
    return Attack(name, FAMILY_OF[name], description or DESCRIPTIONS[name], answer)
