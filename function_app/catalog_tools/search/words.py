"""How the catalog reads text: the words of a query or a product, the stop words, the name/SKU comparison key, the
words of a product's attributes and the fuzzy-match cutoff. Shared by the engine and its SQL/FTS5 reference."""

from __future__ import annotations

import re
from typing import Any

# Words that carry no product meaning in a shopper's request; dropped before matching.
STOP_WORDS = frozenset(
    """a an and are as at be best buy by can cheap cheapest costs do does find for from get give i in is it
    its looking me most my need of on one or please product products return show sku some that the this to
    under over want what which with find search item items expensive priced price size sizes color colour
    colors colours""".split()
)
FUZZY_CUTOFF = 80.0  # rapidfuzz ratio a misspelling needs to be corrected to a catalog word
_TOKEN = re.compile(r"[a-z0-9]+")


def words(text: str) -> list[str]:
    """Lower-cased ASCII letter/digit runs, in order."""
    return _TOKEN.findall(text.lower())


def exact_key(text: str) -> str:
    """Name/SKU comparison key: "urban  PUFFER" and "Urban Puffer" are the same request."""
    return " ".join(words(text))


def attribute_text(attrs: dict[str, Any]) -> str:
    """The searchable words of a product's attributes (a true flag adds its name, a list its values)."""
    out: list[str] = []
    for key, value in attrs.items():
        if key == "warmth" and isinstance(value, str):
            out.append(value.replace("_", " "))
        elif isinstance(value, bool):
            if value:
                out.append(key.replace("_", " "))
        elif isinstance(value, list):
            out.extend(str(v) for v in value)
        else:
            out.append(str(value))
    return " ".join(out)
