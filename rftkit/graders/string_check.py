"""`string_check`: compare the rendered input with the rendered reference. 1.0 or 0.0, nothing trimmed.

    eq     input == reference (case-sensitive)
    ne     input != reference
    like   reference occurs in input (case-sensitive "contains", not SQL wildcards)
    ilike  reference occurs in input, ignoring case
"""

from __future__ import annotations

OPERATIONS = ("eq", "ne", "like", "ilike")


def string_check(input_text: str, reference: str, operation: str) -> float:
    if operation == "eq":
        return float(input_text == reference)
    if operation == "ne":
        return float(input_text != reference)
    if operation == "like":
        return float(reference in input_text)
    if operation == "ilike":
        return float(reference.lower() in input_text.lower())
    raise ValueError(f"unknown string_check operation {operation!r} (expected one of {', '.join(OPERATIONS)})")
