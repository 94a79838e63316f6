"""Tool arguments drawn from a function's JSON Schema: valid ones, and deliberately invalid ones.

The subset function tools use: object (properties, required, additionalProperties), string (enum, const,
minLength, maxLength), integer and number (minimum, maximum, exclusive bounds), boolean, null, array (items,
minItems, maxItems), `type` lists, anyOf/oneOf, OpenAPI's `nullable`. Everything is drawn from a
`random.Random`, so a seed gives the same arguments on every run; every draw is checked with `jsonschema`,
so a "valid" case really validates and an invalid one really does not.

Why not hypothesis-jsonschema: it would make hypothesis (a test dependency) a runtime one, it cannot draw
*invalid* arguments, and its draws are not reproducible from a seed across versions.
"""

from __future__ import annotations

import json
import math
import random
import string
from typing import Any

import jsonschema

VALID = "valid"
# Ways to get arguments wrong, as models do.
INVALID_KINDS = ("wrong_type", "missing_required", "out_of_range", "unknown_enum", "unknown_property",
                 "malformed_json")
MAX_DEPTH = 4
ATTEMPTS = 20
_WORDS = ("jacket", "warm", "blue", "trail", "tent", "boots", "light", "pack", "x", "zip")
_OTHER_TYPE = {"string": 42, "integer": "not-a-number", "number": "not-a-number", "boolean": "yes",
               "array": {"not": "a list"}, "object": ["not", "an", "object"], "null": "not-null"}


def _types(schema: dict[str, Any]) -> list[str]:
    kind = schema.get("type")
    types = list(kind) if isinstance(kind, list) else [kind] if isinstance(kind, str) else []
    if schema.get("nullable") is True and "null" not in types:
        types.append("null")
    if not types:
        types = ["object"] if "properties" in schema else ["string"]
    return types


def _number(schema: dict[str, Any], rng: random.Random, integer: bool) -> float | int:
    low = schema.get("minimum", schema.get("exclusiveMinimum", 0))
    high = schema.get("maximum", schema.get("exclusiveMaximum", low + 100))
    if "exclusiveMinimum" in schema and "minimum" not in schema:
        low = low + (1 if integer else 0.01)
    if "exclusiveMaximum" in schema and "maximum" not in schema:
        high = high - (1 if integer else 0.01)
    if integer:
        return rng.randint(math.ceil(low), max(math.ceil(low), math.floor(high)))
    return round(rng.uniform(low, max(low, high)), 2)


def _string(schema: dict[str, Any], rng: random.Random) -> str:
    low, high = schema.get("minLength", 0), schema.get("maxLength", 40)
    text = " ".join(rng.choice(_WORDS) for _ in range(rng.randint(0, 3)))
    if len(text) < low:
        text += "".join(rng.choice(string.ascii_lowercase) for _ in range(low - len(text)))
    return text[:high]


def valid_value(schema: Any, rng: random.Random, depth: int = 0) -> Any:
    """A value the schema accepts (most of the time: `arguments` re-checks with jsonschema)."""
    if not isinstance(schema, dict):
        return _string({}, rng)
    if "const" in schema:
        return schema["const"]
    if isinstance(schema.get("enum"), list) and schema["enum"]:
        return rng.choice(schema["enum"])
    for key in ("anyOf", "oneOf"):
        if isinstance(schema.get(key), list) and schema[key]:
            return valid_value(rng.choice(schema[key]), rng, depth)
    kind = rng.choice(_types(schema))
    if kind == "null":
        return None
    if kind == "boolean":
        return rng.random() < 0.5
    if kind in ("integer", "number"):
        return _number(schema, rng, kind == "integer")
    if kind == "array":
        low = schema.get("minItems", 0)
        count = rng.randint(low, max(low, min(schema.get("maxItems", 3), 3)))
        return [valid_value(schema.get("items", {}), rng, depth + 1) for _ in range(count if depth < MAX_DEPTH else 0)]
    if kind == "object":
        return _object(schema, rng, depth)
    return _string(schema, rng)


def _object(schema: dict[str, Any], rng: random.Random, depth: int) -> dict[str, Any]:
    properties = schema.get("properties") if isinstance(schema.get("properties"), dict) else {}
    required = set(schema.get("required") or [])
    value = {}
    for name, sub in properties.items():
        if name in required or (depth < MAX_DEPTH and rng.random() < 0.5):
            value[name] = valid_value(sub, rng, depth + 1)
    return value


def _out_of_range(sub: dict[str, Any]) -> Any:
    if "maximum" in sub or "exclusiveMaximum" in sub:
        return sub.get("maximum", sub.get("exclusiveMaximum")) + (1 if _types(sub)[0] == "integer" else 1.5)
    if "minimum" in sub or "exclusiveMinimum" in sub:
        return sub.get("minimum", sub.get("exclusiveMinimum")) - 1
    if "maxLength" in sub:
        return "x" * (sub["maxLength"] + 1)
    if sub.get("minLength", 0) > 0:
        return ""
    return None


def _mutations(schema: dict[str, Any], good: dict[str, Any]) -> dict[str, list[Any]]:
    """Per invalid kind, the candidate argument objects (possibly none) made from valid arguments `good`."""
    properties = schema.get("properties") if isinstance(schema.get("properties"), dict) else {}
    found: dict[str, list[Any]] = {kind: [] for kind in INVALID_KINDS}
    for name, sub in properties.items():
        if not isinstance(sub, dict):
            continue
        found["wrong_type"].append({**good, name: _OTHER_TYPE.get(_types(sub)[0], 42)})
        bad = _out_of_range(sub)
        if bad is not None:
            found["out_of_range"].append({**good, name: bad})
        if isinstance(sub.get("enum"), list):
            found["unknown_enum"].append({**good, name: "not_one_of_the_choices"})
    for name in schema.get("required") or []:
        found["missing_required"].append({k: v for k, v in good.items() if k != name})
    if schema.get("additionalProperties") is False:
        found["unknown_property"].append({**good, "unexpected_argument": 1})
    found["malformed_json"].append(None)  # the arguments string itself is cut short
    return found


def standard(schema: Any) -> Any:
    """The schema with OpenAPI's `nullable: true` spelled in JSON Schema (`anyOf` with `null`), for jsonschema."""
    if isinstance(schema, list):
        return [standard(s) for s in schema]
    if not isinstance(schema, dict):
        return schema
    plain = {k: standard(v) for k, v in schema.items() if k != "nullable"}
    return {"anyOf": [plain, {"type": "null"}]} if schema.get("nullable") is True else plain


def arguments(schema: Any, rng: random.Random, invalid: bool) -> tuple[str, str]:
    """(arguments JSON string, case): case is `valid`, an `INVALID_KINDS` entry, or `unverified` when no draw
    could be checked to be what was asked (e.g. a `pattern` the generator does not honour)."""
    schema = schema if isinstance(schema, dict) else {"type": "object", "properties": {}}
    validator = jsonschema.Draft202012Validator(standard(schema))
    good: dict[str, Any] | None = None
    for _ in range(ATTEMPTS):
        candidate = valid_value(schema, rng)
        if isinstance(candidate, dict) and validator.is_valid(candidate):
            good = candidate
            break
    if good is None:
        return json.dumps(_object(schema, rng, 0), separators=(",", ":")), "unverified"
    if not invalid:
        return json.dumps(good, separators=(",", ":")), VALID
    mutations = _mutations(schema, good)
    kinds = [kind for kind in INVALID_KINDS if mutations[kind]]
    rng.shuffle(kinds)  # every applicable kind equally likely, whatever its number of candidates
    for kind in kinds:
        candidates = mutations[kind]
        rng.shuffle(candidates)
        for candidate in candidates:
            if candidate is None:
                text = json.dumps(good, separators=(",", ":"))
                return text[:max(1, len(text) - 1)], kind
            if not validator.is_valid(candidate):
                return json.dumps(candidate, separators=(",", ":")), kind
    return json.dumps(good, separators=(",", ":")), VALID  # nothing breaks this schema (it accepts anything)
