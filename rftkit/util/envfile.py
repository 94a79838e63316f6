"""Set `NAME="value"` lines of a `.env` file in place, keeping every other line as it was.

Used by the azd hooks (`python -m rftkit set-env`) so a deployment updates TOOL_BASE_URL, FUNC_KEY, ... in the
user's `.env` without touching their other settings, comments or order. Values are written double-quoted the way
python-dotenv (what `rftkit.settings` reads with) unquotes them.
"""

from __future__ import annotations

import os
import re
import tempfile
from collections.abc import Mapping
from pathlib import Path

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
# `NAME=...` or `export NAME=...`, as python-dotenv parses them; comments and other lines never match.
_ASSIGNMENT = re.compile(r"(?P<lead>[ \t]*(?:export[ \t]+)?)(?P<name>[A-Za-z_][A-Za-z0-9_]*)[ \t]*=[ \t]*(?P<value>.*)",
                         re.DOTALL)


def quote_value(value: str) -> str:
    """`value` double-quoted for a .env line (backslashes and quotes escaped); one line only."""
    if "\n" in value or "\r" in value:
        raise ValueError("a .env value written by rftkit must fit on one line")
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _closing_quote(text: str, quote: str) -> bool:
    """True if `text` holds an unescaped `quote` (the end of a quoted value)."""
    escaped = False
    for char in text:
        if escaped:
            escaped = False
        elif char == "\\":
            escaped = True
        elif char == quote:
            return True
    return False


def _opens_multiline(value: str) -> str | None:
    """The quote character if `value` starts a quoted value that continues on the next lines, else None."""
    value = value.rstrip("\r\n")
    if value[:1] in ("'", '"') and not _closing_quote(value[1:], value[0]):
        return value[0]
    return None


def merge_env_text(text: str, updates: Mapping[str, str]) -> str:
    """`text` with every assignment of a name in `updates` rewritten in place and missing names appended.

    Every assignment of a name is rewritten (python-dotenv lets the last one win, so a stale duplicate must not
    survive); `export ` prefixes, indentation, line endings and all other lines are kept byte for byte. Lines
    inside another setting's multi-line quoted value are never taken for assignments.
    """
    for name in updates:
        if not _NAME.match(name):
            raise ValueError(f"not a valid .env variable name: {name!r}")
    lines = text.splitlines(keepends=True)
    newline = "\r\n" if lines and lines[0].endswith("\r\n") else "\n"
    out: list[str] = []
    done: set[str] = set()
    open_quote: str | None = None  # inside a multi-line quoted value: the quote that ends it
    dropping = False  # the continuation lines of a value being replaced are dropped
    for line in lines:
        if open_quote is not None:
            if _closing_quote(line, open_quote):
                open_quote = None
            if not dropping:
                out.append(line)
            continue
        match = _ASSIGNMENT.match(line)
        if match is None or match["name"] not in updates:
            out.append(line)
            if match is not None:
                open_quote, dropping = _opens_multiline(match["value"]), False
            continue
        name = match["name"]
        ending = line[len(line.rstrip("\r\n")):]
        out.append(f"{match['lead']}{name}={quote_value(updates[name])}{ending or newline}")
        done.add(name)
        open_quote, dropping = _opens_multiline(match["value"]), True
    missing = [name for name in updates if name not in done]
    if missing and out and not out[-1].endswith(("\n", "\r")):
        out[-1] += newline
    out.extend(f"{name}={quote_value(updates[name])}{newline}" for name in missing)
    return "".join(out)


def update_env_file(path: str | Path, updates: Mapping[str, str]) -> None:
    """Apply `merge_env_text` to the file at `path` (created if missing, with owner-only permissions).

    The file is replaced atomically (a crash leaves the old or the new file, never half of one) and keeps its
    permission bits, since it holds keys.
    """
    path = Path(path).resolve()  # a symlinked .env keeps its link: write the file it points to
    try:
        original = path.read_bytes().decode("utf-8")
        mode = path.stat().st_mode & 0o777
    except FileNotFoundError:
        original, mode = "", 0o600
    merged = merge_env_text(original, updates)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
            handle.write(merged)
        os.chmod(temp, mode)
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise
