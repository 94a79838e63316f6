"""The requests the benchmarks send: a seeded mix of realistic `search_catalog` arguments drawn from a catalog, and
the bodies the training service POSTs (docs/service-contract.md#tool-endpoint wrapper and #endpoint-grader request).

Argument mix (weights roughly what a policy sends while learning the tool): product-name look-ups, descriptive
queries with filters and a sort, filter-only listings, SKU look-ups, misspellings and prefixes.
"""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

from catalog_tools.search import SORT_ORDERS
from catalog_tools.tools import tool_definition
from rftkit.wire import TOOL_NAME, ToolRequest, grader_body, output_tool_entry, sample_from_text, tool_call_body

REPO = Path(__file__).resolve().parent.parent
VALID_ROWS = REPO / "data" / "valid_tool.jsonl"

DESCRIPTIVE = (
    ("warm jacket", {"category": "jackets"}), ("waterproof hiking boots", {}), ("lightweight tent", {}),
    ("insulated gloves", {"min_warmth": "warm"}), ("rain pants", {"waterproof": True}),
    ("travel backpack", {"max_price": 120}), ("sleeping bag", {"min_warmth": "warm"}), ("fleece hoodie", {}),
    ("merino base layer", {}), ("beanie", {"category": "hats"}), ("skiing", {"in_stock": True}),
    ("camping", {"min_rating": 4.5}),
)
LISTINGS = (
    {"category": "jackets", "min_warmth": "warm", "max_price": 200, "sort": "price_asc"},
    {"category": "boots", "in_stock": True, "size": "10", "sort": "rating_desc"},
    {"category": "backpacks", "min_price": 100, "sort": "price_desc"},
    {"category": "tents", "waterproof": True, "min_rating": 4.0, "sort": "price_asc"},
    {"category": "gloves", "color": "black", "sort": "rating_desc"},
    {"category": "base_layers", "in_stock": True, "color": "navy", "size": "M"},
    {"category": "fleece", "max_price": 80, "sort": "price_asc", "top_k": 10},
)
MISSPELLINGS = ("jaket", "urbn puffer", "sleping bag", "waterprof boots", "glvoes", "backpak")


def _misspell(rng: random.Random, word: str) -> str:
    if len(word) < 5:
        return word
    i = rng.randrange(1, len(word) - 1)
    return word[:i] + word[i + 1:]


def argument_mix(products: list[dict[str, Any]], count: int, seed: int = 7) -> list[dict[str, Any]]:
    """`count` tool argument objects for a catalog (list of product dicts), reproducible for a seed."""
    rng = random.Random(seed)
    made: list[dict[str, Any]] = []
    while len(made) < count:
        kind = rng.random()
        product = rng.choice(products)
        if kind < 0.35:  # the policy names a product it saw or was asked about
            name = product["name"] if rng.random() < 0.7 else product["name"].lower()
            made.append({"query": name, "top_k": rng.choice((1, 3, 5))})
        elif kind < 0.60:
            query, filters = rng.choice(DESCRIPTIVE)
            args: dict[str, Any] = {"query": query, **filters, "sort": rng.choice(SORT_ORDERS)}
            if rng.random() < 0.4:
                args["max_price"] = float(rng.choice((100, 150, 200, 300)))
            if rng.random() < 0.3:
                args["in_stock"] = True
            made.append(args)
        elif kind < 0.80:
            made.append({"query": "", **rng.choice(LISTINGS)})
        elif kind < 0.88:
            made.append({"query": product["sku"], "top_k": 1})
        elif kind < 0.95:
            words = product["name"].split()
            made.append({"query": " ".join(_misspell(rng, w) for w in words) if rng.random() < 0.5
                         else rng.choice(MISSPELLINGS)})
        else:  # a prefix of a name word ("alpi")
            made.append({"query": product["name"].split()[0][:4].lower(), "top_k": 5})
    return made


def rows(path: Path = VALID_ROWS) -> list[dict[str, Any]]:
    """Dataset rows for realistic `item`s; a synthetic row when the dataset has not been generated."""
    if path.exists():
        loaded = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
        if loaded:
            return loaded
    return [{"messages": [{"role": "developer", "content": "Answer with the SKU only."},
                          {"role": "user", "content": "the cheapest warm jacket under $200?"}],
             "tools": [tool_definition()], "reference_answer": "JKT-URB-009", "id": "synthetic-0001"}]


def service_item(row: dict[str, Any]) -> dict[str, Any]:
    """The row as the service sends it in `item` (docs/service-contract.md#endpoint-grader).

    `name: null` on messages, `parallel_tool_calls`.
    """
    item = dict(row)
    item["messages"] = [{**m, "name": m.get("name")} for m in row.get("messages", [])]
    item.setdefault("tools", None)
    item.setdefault("parallel_tool_calls", False)
    return item


# Markers the wrk script replaces with a per-request trace_id / call_id: printable ASCII, so JSON encoding leaves
# them as they are (control characters would come out as \u escapes), and not found in the dataset rows.
TRACE_MARK, CALL_MARK = "@@TRACE_ID@@", "@@CALL_ID@@"


def tool_bodies(arguments: list[dict[str, Any]], items: list[dict[str, Any]]) -> list[str]:
    """Tool-call wrappers with `arguments` as a JSON string (as the service sends them) and id markers."""
    bodies = []
    for i, args in enumerate(arguments):
        call = ToolRequest(TOOL_NAME, json.dumps(args), "call_" + CALL_MARK, "fc_" + CALL_MARK)
        body = tool_call_body(call, TRACE_MARK, items[i % len(items)])
        bodies.append(json.dumps(body, ensure_ascii=False))
    return bodies


def _sample(answer: str, tool_args: list[dict[str, Any]]) -> dict[str, Any]:
    """The captured Azure sample shape (AZ-SAMPLE test-bad.json), filled in."""
    calls = [ToolRequest(TOOL_NAME, json.dumps(a), f"fc_{i}", f"fc_{i}") for i, a in enumerate(tool_args)]
    return {**sample_from_text(answer), "output_tools": [output_tool_entry(call) for call in calls]}


def score_bodies(items: list[dict[str, Any]], count: int, seed: int = 11) -> list[str]:
    """Grader requests: right answers, answers in prose, wrong SKUs and empty answers, with a trace id marker."""
    rng = random.Random(seed)
    bodies = []
    for i in range(count):
        item = items[i % len(items)]
        reference = str(item.get("reference_answer", "JKT-URB-009"))
        answer = rng.choice((reference, reference, f"The best match is {reference}.", "JKT-ALP-001", ""))
        sample = _sample(answer, [{"query": "warm jacket", "max_price": 200}] * rng.randint(0, 2))
        bodies.append(json.dumps(grader_body(sample, item, TRACE_MARK), ensure_ascii=False))
    return bodies
