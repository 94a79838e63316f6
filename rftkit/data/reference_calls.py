"""A row's reference trajectory: `metadata.reference_calls`, the tool calls that lead to `reference_answer`.

    "metadata": {"reference_calls": [{"name": "search_catalog", "arguments": {"query": "Urban Puffer"}}, ...]}

`arguments` is an object (or the JSON string a model would emit). The replay policy makes exactly these calls,
one per turn in order, then answers `reference_answer`; `rftkit validate` checks that every call names a function
of the row's `tools` and that its arguments validate against that function's `parameters`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import jsonschema

FIELD = "reference_calls"


def reference_calls(row: Mapping[str, Any]) -> list[Any] | None:
    """The row's `metadata.reference_calls` as written, or None when the row has none."""
    metadata = row.get("metadata")
    if not isinstance(metadata, Mapping) or FIELD not in metadata:
        return None
    return metadata[FIELD]


def arguments_object(call: Mapping[str, Any]) -> Any:
    """A call's arguments as a JSON value (a JSON string is parsed; ValueError if it is not JSON)."""
    arguments = call.get("arguments", {})
    return json.loads(arguments) if isinstance(arguments, str) else arguments


def arguments_text(call: Mapping[str, Any]) -> str:
    """A call's arguments as the JSON string the tool wrapper carries."""
    arguments = call.get("arguments", {})
    return arguments if isinstance(arguments, str) else json.dumps(arguments, separators=(",", ":"))


def _schemas(row: Mapping[str, Any]) -> dict[str, Any]:
    from rftkit.rollouts.tools import row_functions

    return {name: f.get("parameters") for name, f in row_functions(row).items()}


def reference_call_problems(row: Mapping[str, Any]) -> list[str]:
    """Why the row's reference calls cannot be replayed against its tools (empty when fine or absent)."""
    calls = reference_calls(row)
    if calls is None:
        return []
    if not isinstance(calls, list) or not calls:
        return [f"metadata.{FIELD} must be a non-empty list of {{name, arguments}}"]
    schemas = _schemas(row)
    problems = []
    for n, call in enumerate(calls, start=1):
        where = f"metadata.{FIELD}[{n}]"
        if not isinstance(call, Mapping) or not isinstance(call.get("name"), str):
            problems.append(f"{where} must be an object with a string `name` and `arguments`")
            continue
        if call["name"] not in schemas:
            offered = ", ".join(sorted(schemas)) or "none"
            problems.append(f"{where} calls {call['name']!r}, which is not in the row's tools ({offered})")
            continue
        try:
            arguments = arguments_object(call)
        except ValueError:
            problems.append(f"{where}.arguments is a string but not JSON")
            continue
        if not isinstance(arguments, dict):
            problems.append(f"{where}.arguments must be a JSON object")
            continue
        schema = schemas[call["name"]]
        if isinstance(schema, dict):
            from rftkit.rollouts.policies.schema_args import standard  # OpenAPI's `nullable` as JSON Schema

            validator = jsonschema.Draft202012Validator(standard(schema))
            error = jsonschema.exceptions.best_match(validator.iter_errors(arguments))
            if error is not None:
                at = "/".join(str(p) for p in error.absolute_path)
                problems.append(f"{where}.arguments{'.' + at if at else ''} do not fit {call['name']}'s parameters: "
                                f"{error.message}")
    return problems
