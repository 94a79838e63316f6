"""A small, focused reader of Bicep: the app setting names a template gives a web/function app.

Standard library only, so the tests run in the normal dev venv (pycep-parser and checkov live in the separate
infra venv; `infra/check.py` checks that pycep reads the same names). It understands what app settings are
written with: `Microsoft.Web/sites/config` resources named 'appsettings' whose `properties` is an object literal,
and `siteConfig.appSettings` arrays of `{ name: '...', value: ... }`. Anything it cannot read as literal names
raises ValueError instead of being skipped, so a check built on it cannot pass by reading nothing.
"""

from __future__ import annotations

import re
from pathlib import Path

Token = tuple[str, str]  # (kind, text): kind is "id", "str", "op" or "nl"; "str" text is the raw string body

_OPEN = {"{": "}", "[": "]", "(": ")"}
_CLOSE = set(_OPEN.values())


def _string_end(text: str, start: int) -> int:
    """Index just past the single-quoted string starting at `start` (escapes and `${...}` skipped)."""
    i = start + 1
    while i < len(text):
        char = text[i]
        if char == "\\":
            i += 2
        elif char == "'":
            return i + 1
        elif text.startswith("${", i):
            i = _interpolation_end(text, i + 2)
        else:
            i += 1
    raise ValueError(f"unterminated string at offset {start}")


def _interpolation_end(text: str, start: int) -> int:
    """Index just past the `}` closing an interpolation whose expression starts at `start`."""
    depth, i = 1, start
    while i < len(text):
        char = text[i]
        if char == "'":
            i = _string_end(text, i)
            continue
        if char == "{":
            depth += 1
        elif char == "}":
            depth -= 1
            if depth == 0:
                return i + 1
        i += 1
    raise ValueError(f"unterminated interpolation at offset {start}")


def tokenize(text: str) -> list[Token]:
    """Identifiers, strings, punctuation and newlines; comments dropped."""
    tokens: list[Token] = []
    i, n = 0, len(text)
    while i < n:
        char = text[i]
        if text.startswith("//", i):
            end = text.find("\n", i)
            i = n if end < 0 else end
        elif text.startswith("/*", i):
            end = text.find("*/", i + 2)
            if end < 0:
                raise ValueError(f"unterminated comment at offset {i}")
            i = end + 2
        elif text.startswith("'''", i):
            end = text.find("'''", i + 3)
            if end < 0:
                raise ValueError(f"unterminated multi-line string at offset {i}")
            tokens.append(("str", text[i + 3:end]))
            i = end + 3
        elif char == "'":
            end = _string_end(text, i)
            tokens.append(("str", text[i + 1:end - 1]))
            i = end
        elif char == "\n":
            tokens.append(("nl", char))
            i += 1
        elif char.isspace():
            i += 1
        elif char.isalnum() or char == "_":
            end = i
            while end < n and (text[end].isalnum() or text[end] == "_"):
                end += 1
            tokens.append(("id", text[i:end]))
            i = end
        else:
            tokens.append(("op", char))
            i += 1
    return tokens


def _closing(tokens: list[Token], start: int) -> int:
    """Index of the bracket closing the one at `start`."""
    depth = 0
    for i in range(start, len(tokens)):
        kind, text = tokens[i]
        if kind != "op":
            continue
        if text in _OPEN:
            depth += 1
        elif text in _CLOSE:
            depth -= 1
            if depth == 0:
                return i
    raise ValueError("unbalanced brackets")


def object_entries(tokens: list[Token], start: int) -> dict[str, int]:
    """{key: index of its value's first token} for the object literal whose `{` is at `start`."""
    end = _closing(tokens, start)
    entries: dict[str, int] = {}
    i = start + 1
    while i < end:
        kind, text = tokens[i]
        if kind == "op" and text in _OPEN:
            i = _closing(tokens, i) + 1
            continue
        previous = tokens[i - 1]
        at_property_start = previous[0] == "nl" or previous[1] in ("{", ",")
        if (at_property_start and kind in ("id", "str") and i + 1 < end
                and tokens[i + 1] == ("op", ":")):
            if kind == "str" and ("${" in text or "\\" in text):
                raise ValueError(f"a computed property name: '{text}'")
            value = i + 2
            while tokens[value][0] == "nl":
                value += 1
            entries[text] = value
            i = value
            continue
        i += 1
    return entries


def _string_value(tokens: list[Token], index: int) -> str | None:
    kind, text = tokens[index]
    return text if kind == "str" and "${" not in text else None


def _resource_bodies(tokens: list[Token]) -> list[tuple[str, int]]:
    """(resource type, index of its body's `{`) for every `resource name 'type' [existing] = [if (...)] {`."""
    bodies = []
    for i, (kind, text) in enumerate(tokens):
        if kind != "id" or text != "resource" or i + 2 >= len(tokens) or tokens[i + 2][0] != "str":
            continue
        j = i + 3
        while j < len(tokens) and tokens[j] != ("op", "{"):
            if tokens[j][0] == "op" and tokens[j][1] == "(":
                j = _closing(tokens, j)
            j += 1
        if j < len(tokens):
            bodies.append((tokens[i + 2][1], j))
    return bodies


def app_setting_names(text: str) -> list[str]:
    """Every app setting name the template sets, in file order."""
    tokens = tokenize(text)
    names: list[str] = []
    for resource_type, body in _resource_bodies(tokens):
        entries = object_entries(tokens, body)
        is_config = resource_type == "config" or resource_type.lower().startswith("microsoft.web/sites/config@")
        if is_config and "name" in entries and _string_value(tokens, entries["name"]) == "appsettings":
            value = entries.get("properties")
            if value is None or tokens[value] != ("op", "{"):
                raise ValueError("the appsettings resource's properties must be an object literal")
            names.extend(object_entries(tokens, value))
    for i, token in enumerate(tokens):
        if token == ("id", "appSettings") and i + 2 < len(tokens) and tokens[i + 1] == ("op", ":"):
            names.extend(_array_setting_names(tokens, i + 2))
    return names


def _array_setting_names(tokens: list[Token], value: int) -> list[str]:
    """Names of a `siteConfig.appSettings: [ { name: '...', value: ... } ]` array."""
    while tokens[value][0] == "nl":
        value += 1
    if tokens[value] != ("op", "["):
        raise ValueError("appSettings: must be an array literal of { name: '...', value: ... } (only literal names "
                         "can be checked)")
    end = _closing(tokens, value)
    names = []
    i = value + 1
    while i < end:
        if tokens[i] == ("op", "{"):
            name_index = object_entries(tokens, i).get("name")
            name = _string_value(tokens, name_index) if name_index is not None else None
            if name is None:
                raise ValueError("every siteConfig.appSettings entry needs a literal name")
            names.append(name)
            i = _closing(tokens, i)
        i += 1
    return names


def app_setting_names_in(directory: Path) -> dict[Path, list[str]]:
    """{file: names} for every .bicep file under `directory` that sets app settings."""
    found = {}
    for path in sorted(directory.rglob("*.bicep")):
        names = app_setting_names(path.read_text(encoding="utf-8"))
        if names:
            found[path] = names
    return found


def params(text: str) -> dict[str, bool]:
    """{parameter name: has a default value} of a Bicep file."""
    return {match["name"]: bool(match["default"])
            for match in re.finditer(r"^param\s+(?P<name>\w+)\s+\w+(?P<default>\s*=)?", text, re.MULTILINE)}
