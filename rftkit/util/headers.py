"""One header syntax for every command: `'Name: value'` (curl's form), optionally bound to one tool.

    parse_header("X-Functions-Key: abc")                 -> ("X-Functions-Key", "abc")
    parse_header("X-Functions-Key=abc")                  -> the same (the old `dry-run` form, still accepted)
    split_tool_header("search_catalog=X-Key: abc", {"search_catalog"}) -> ("search_catalog", "X-Key", "abc")

Which form a text is in is decided by its first `:` or `=`: a header name can hold neither, so `'Name: a=b'` is
curl's form and `'Name=a:b'` the old one. A tool-bound header is `TOOL=` followed by a header in either form,
and `TOOL` must be one of the job's tool names — anything else is a header for every tool.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

# RFC 9110 token characters: what a header name may contain.
_TOKEN = re.compile(r"^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")
_SEPARATOR = re.compile(r"[:=]")
# `TOOL=Name: value`: what follows `TOOL=` is a curl-form header (a colon then a space).
_BOUND = re.compile(r"^\s*[!#$%&'*+.^_`|~0-9A-Za-z-]+:\s")


class HeaderError(ValueError):
    """A header text that is neither 'Name: value' nor 'Name=value'."""


def parse_header(text: str) -> tuple[str, str]:
    """`'Name: value'` (or the old `'Name=value'`) -> (name, value), the value stripped of surrounding spaces."""
    match = _SEPARATOR.search(text)
    name = text[:match.start()].strip() if match else ""
    if not match or not _TOKEN.match(name):
        raise HeaderError(f"header {text!r} is not 'Name: value' (curl's form; 'Name=value' is also accepted)")
    return name, text[match.end():].strip()


def parse_headers(values: Iterable[str] | None) -> dict[str, str]:
    """Several header texts -> {name: value}; a later header of the same name wins."""
    return dict(parse_header(value) for value in values or [])


def split_tool_header(text: str, tool_names: Iterable[str]) -> tuple[str | None, str, str]:
    """(tool or None for every tool, name, value) of a `--tool-header` text."""
    names = set(tool_names)
    tool, sep, rest = text.partition("=")
    if sep and tool.strip() in names:
        try:
            return (tool.strip(), *parse_header(rest))
        except HeaderError:
            pass  # e.g. `search_catalog=abc`: an old-form header whose name happens to be a tool name
    elif sep and _BOUND.match(rest) and _TOKEN.match(tool.strip()):
        raise HeaderError(f"header {text!r}: {tool.strip()!r} is not a tool of the job "
                          f"({', '.join(sorted(names)) or 'none'}); bind a header as TOOL='Name: value'")
    return (None, *parse_header(text))


def tool_headers(values: Iterable[str] | None, tool_names: Iterable[str]) -> dict[str | None, dict[str, str]]:
    """`--tool-header` texts grouped by tool: key None holds the headers for every tool."""
    names = list(tool_names)
    grouped: dict[str | None, dict[str, str]] = {}
    for value in values or []:
        tool, name, content = split_tool_header(value, names)
        grouped.setdefault(tool, {})[name] = content
    return grouped


def headers_for(tool: str, grouped: Mapping[str | None, Mapping[str, str]],
                base: Mapping[str, str] | None = None) -> dict[str, str]:
    """A tool's headers: `base` (e.g. the job's), then the headers for every tool, then its own."""
    return {**(base or {}), **grouped.get(None, {}), **grouped.get(tool, {})}
