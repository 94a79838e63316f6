"""The app's one JSON reader, hardened against hostile input, and its JSON writer that cannot fail on text.

`loads` accepts strict JSON only and raises `JsonError` (a `ValueError` with a `code` and a message) for:
  json_too_deep            arrays/objects nested deeper than MAX_DEPTH (checked on the raw text before any parser
                           runs, so no parser can recurse into a RecursionError)
  json_number_too_large    an integer longer than MAX_INT_DIGITS digits, or a number beyond the float range (1e999)
  json_non_finite_number   NaN, Infinity, -Infinity (Python's json accepts them; JSON does not)
  json_invalid_utf8        bytes that are not UTF-8 (a UTF-8 BOM is tolerated)
  json_lone_surrogate      a "\\ud800"-style escape without its pair (no UTF-8 can carry it back out)
  json_duplicate_key       an object with a key twice (which value counts would be ambiguous)
  invalid_json             anything else that is not JSON

Speed: orjson (optional, about four times faster than json here) reads the usual body; it refuses NaN, 1e999, lone
surrogates, invalid UTF-8 and a BOM by itself, and those texts go to `json` with strict hooks, which then names the
problem. orjson would read integers beyond 64 bits as floats, so a run of 19 digits goes to `json` directly. orjson
keeps the last of duplicate keys silently; they are found by counting colons: the text's colons are one per key plus
those inside strings, and re-encoding the parsed value counts the same minus what a duplicate dropped (a "\u003a"
escape would upset the count, so such texts go to `json`). The depth scan (strings removed by one regex, then a
running sum over the brackets) runs only for texts with more than MAX_DEPTH opening brackets; the service's have ~40.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterator
from itertools import accumulate
from typing import Any

from starlette.responses import JSONResponse

try:
    import orjson
except ImportError:  # not installed: the strict json path alone, same results
    orjson = None

MAX_DEPTH = 64  # nested arrays/objects; the service's bodies nest about 8 deep
MAX_INT_DIGITS = 4300  # Python's default int-string limit (sys.get_int_max_str_digits)


class JsonError(ValueError):
    """A text `loads` refuses: `code` names the problem (see the module doc), `message` says it for people."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code, self.message = code, message


# One pass over the text for the cheap checks: digits become "1" (runs of 19 mean a long number), "{" becomes "["
# (their count bounds the depth); colons stay (their count finds duplicate keys).
_SHAPE = bytes.maketrans(b"0123456789{", b"1111111111[")
_LONG_NUMBER = b"1" * 19
# For the depth scan: a complete JSON string (unrolled loop, no backtracking), what is not a bracket, +1/-1 steps.
_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
_NOT_BRACKET = bytes(set(range(256)) - set(b"[]{}"))
_STEP = [0] * 256
for _open, _close in (b"[]", b"{}"):
    _STEP[_open], _STEP[_close] = 1, -1
_COLON_ESCAPE = re.compile(rb"\\u003[aA]")
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")
_SURROGATE = re.compile("[\ud800-\udfff]")


def _check_depth(raw: bytes) -> None:
    """Refuse nesting beyond MAX_DEPTH, brackets inside strings aside, up to where a parser would stop anyway."""
    structure = _STRING.sub(b"", raw)
    structure = structure[:structure.find(b'"')] if b'"' in structure else structure  # an unterminated string
    brackets = structure.translate(None, _NOT_BRACKET)
    if max(accumulate(map(_STEP.__getitem__, brackets)), default=0) > MAX_DEPTH:
        raise JsonError("json_too_deep", f"arrays and objects are nested more than {MAX_DEPTH} levels deep")


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    obj = dict(pairs)
    if len(obj) != len(pairs):
        seen: set[str] = set()
        key = next(k for k, _ in pairs if k in seen or seen.add(k))
        raise JsonError("json_duplicate_key", f"an object has the key {ascii(key)[:80]} more than once; "
                        "which value counts would be ambiguous")
    return obj


def _int(digits: str) -> int:
    if len(digits) - digits.startswith("-") > MAX_INT_DIGITS:
        raise JsonError("json_number_too_large", f"an integer has more than {MAX_INT_DIGITS} digits")
    try:
        return int(digits)
    except ValueError as exc:  # the process set a lower int-string limit
        raise JsonError("json_number_too_large", f"an integer is too long: {exc}") from exc


def _float(text: str) -> float:
    value = float(text)
    if math.isinf(value):
        raise JsonError("json_number_too_large", f"the number {text[:40]} is beyond the float range (about 1.8e308)")
    return value


def _non_finite(name: str) -> float:
    raise JsonError("json_non_finite_number", f"{name} is not JSON; send a finite number or null")


def _strings(value: Any) -> Iterator[str]:
    """Every string in a parsed value, keys included (depth is bounded by MAX_DEPTH)."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield key
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


def _decode(raw: bytes) -> str:
    encoding = json.detect_encoding(raw)
    if encoding not in ("utf-8", "utf-8-sig"):
        raise JsonError("json_invalid_utf8", f"the text looks like {encoding.upper()}; send JSON as UTF-8")
    try:
        return raw.decode(encoding)
    except UnicodeDecodeError as exc:
        raise JsonError("json_invalid_utf8", f"not valid UTF-8 ({exc.reason} at byte {exc.start})") from exc


def _strict_loads(data: bytes | str) -> Any:
    text = _decode(data) if isinstance(data, bytes) else data
    if isinstance(data, str) and _SURROGATE.search(text):  # strictly decoded bytes cannot hold one
        raise JsonError("json_lone_surrogate", "the text contains a lone UTF-16 surrogate")
    try:
        value = json.loads(text, object_pairs_hook=_no_duplicates, parse_int=_int, parse_float=_float,
                           parse_constant=_non_finite)
    except json.JSONDecodeError as exc:
        raise JsonError("invalid_json", str(exc)) from exc
    except RecursionError as exc:  # unreachable after _check_depth; kept so no depth can ever become a 500
        raise JsonError("json_too_deep", f"arrays and objects are nested more than {MAX_DEPTH} levels deep") from exc
    if _SURROGATE_ESCAPE.search(text) and any(_SURROGATE.search(s) for s in _strings(value)):
        raise JsonError("json_lone_surrogate", "a string holds a lone UTF-16 surrogate escape (\\ud800-\\udfff "
                        "without its pair), which UTF-8 cannot carry")
    return value


def loads(data: bytes | str) -> Any:
    """Parse strict JSON; raise `JsonError` (with a `code`) for anything else. See the module doc."""
    raw = data if isinstance(data, bytes) else data.encode("utf-8", "surrogatepass")
    shape = raw.translate(_SHAPE)
    if shape.count(b"[") > MAX_DEPTH:  # text cannot nest deeper than it has brackets
        _check_depth(raw)
    if orjson is not None and shape.find(_LONG_NUMBER) < 0:
        try:
            value = orjson.loads(data)
        except ValueError:  # orjson.JSONDecodeError and encoding errors: the strict path names the problem
            pass
        else:
            # "\u003a" is a colon the text's count misses: such (rare) texts take the strict path.
            if shape.count(b":") == orjson.dumps(value).count(b":") and not _COLON_ESCAPE.search(raw):
                return value
    return _strict_loads(data)


def dumps(content: Any) -> bytes:
    """Compact UTF-8 JSON (as Starlette writes it) that cannot fail on text: a lone surrogate (never read in, but
    a path or a computed string could carry one) becomes U+FFFD. NaN and Infinity still raise: JSON has neither."""
    text = json.dumps(content, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError:
        return _SURROGATE.sub("\ufffd", text).encode("utf-8")


class JsonResponse(JSONResponse):
    """The app's JSON responses (errors, /score, /traces), written by `dumps`."""

    def render(self, content: Any) -> bytes:
        return dumps(content)
