"""Reading JSONL rows (datasets, answers, episodes' inputs) with errors that name the file and line."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any


def read_jsonl(path: str | Path, limit: int | None = None) -> list[dict[str, Any]]:
    """The JSON objects of a JSONL file (blank lines skipped, at most `limit`); ValueError naming a bad line."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ValueError(f"cannot read {path}: {exc}") from exc
    rows: list[dict[str, Any]] = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            raise ValueError(f"{path}:{number}: not JSON: {exc.msg}") from exc
        if not isinstance(row, dict):
            raise ValueError(f"{path}:{number}: a row must be a JSON object, not {type(row).__name__}")
        rows.append(row)
        if limit is not None and len(rows) >= limit:
            break
    return rows
