"""Tiny dataset rows for job and stand-in tests (the real data/*.jsonl are generated elsewhere)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from catalog_tools.tools import tool_definition

DEVELOPER = "Call search_catalog, then answer with the SKU only."


def tool_row(question: str, reference: str, row_id: str) -> dict[str, Any]:
    return {"messages": [{"role": "developer", "content": DEVELOPER}, {"role": "user", "content": question}],
            "tools": [tool_definition()], "reference_answer": reference, "id": row_id}


# Questions the scripted policy answers right against the shipped catalog (reward 1 with either grader).
ROWS = [
    tool_row("Find the Urban Puffer jacket", "JKT-URB-009", "r1"),
    tool_row("I want the Alpine Light Jacket", "JKT-ALP-001", "r2"),
    tool_row("Urban Puffer", "JKT-URB-009", "r3"),
]


def write_jsonl(path: Path, rows: list[Any]) -> Path:
    path.write_text("".join((r if isinstance(r, str) else json.dumps(r)) + "\n" for r in rows), encoding="utf-8")
    return path
