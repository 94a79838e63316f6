"""Inputs and output of the grader commands: a grader named on the command line, JSONL files of rows or answers,
and Markdown tables for their reports (readable in a terminal, pasteable into the README)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from rftkit.graders.presets import endpoint_grader, job_a_grader
from rftkit.util.headers import parse_headers as parse_headers  # re-exported: one header parser for every command


def load_grader(spec: str, headers: dict[str, str] | None = None) -> dict[str, Any]:
    """`job-a`, an endpoint URL, inline JSON, or a JSON file (a grader, or `{"grader": ...}`); ValueError if not.

    `headers` are added to an endpoint grader (e.g. a function key for an app with auth on).
    """
    if spec == "job-a":
        grader = job_a_grader()
    elif spec.startswith(("http://", "https://")):
        grader = endpoint_grader(spec)
    else:
        text = spec if spec.lstrip().startswith("{") else _read(Path(spec))
        try:
            grader = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ValueError(f"grader {spec[:80]!r} is not valid JSON: {exc}") from exc
        if isinstance(grader, dict) and "type" not in grader and isinstance(grader.get("grader"), dict):
            grader = grader["grader"]
    if headers and isinstance(grader, dict) and grader.get("type") == "endpoint":
        grader["headers"] = {**(grader.get("headers") or {}), **headers}
    return grader


def unusable_grader_message(grader: dict[str, Any]) -> str | None:
    """The CLI's error text when `validate_grader` finds problems, else None."""
    from rftkit.graders.validation import validate_grader

    problems = validate_grader(grader)
    return "\n  ".join(["error: the grader cannot be used in an RFT job:", *problems]) if problems else None


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ValueError(f"cannot read {path}: {exc}") from exc


def markdown_table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    cells = [[str(cell).replace("|", "\\|").replace("\n", " ") for cell in row] for row in [headers, *rows]]
    widths = [max(len(row[column]) for row in cells) for column in range(len(headers))]
    lines = ["| " + " | ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)) + " |"
             for row in cells]
    lines.insert(1, "|" + "|".join("-" * (width + 2) for width in widths) + "|")
    return "\n".join(lines)
