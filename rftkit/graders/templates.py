"""Grader templates: `{{item.<path>}}` and `{{sample.<path>}}` replaced by values of the row and the sample.

A path is dotted keys with optional `[index]` steps (`sample.output_tools[0].function.name`), as the service
documents; spaces inside the braces are allowed (`{{ item.reference_answer }}`). Strings are inserted as they are,
other values as JSON. A variable that does not resolve — another namespace, a missing key, an index out of range,
a null on the way or at the end — raises `TemplateVariableError`, which the engine reports as the service's
`invalid_variable_error`.
"""

from __future__ import annotations

import json
import re
from typing import Any

NAMESPACES = ("item", "sample")
_VARIABLE = re.compile(r"\{\{(.*?)\}\}", re.DOTALL)
_HEAD = re.compile(r"[^.\[\]\s{}]+")
_STEP = re.compile(r"\.([^.\[\]\s{}]+)|\[(\d+)\]")

Step = str | int


class TemplateVariableError(ValueError):
    """A `{{...}}` variable that is malformed, outside `item`/`sample`, or absent from the data."""

    def __init__(self, variable: str, reason: str):
        super().__init__(f"{{{{{variable}}}}}: {reason}")
        self.variable = variable
        self.reason = reason


def variables(template: str) -> list[str]:
    """The variable expressions of a template, stripped, in order (`"{{ item.a }}"` -> `["item.a"]`)."""
    return [match.group(1).strip() for match in _VARIABLE.finditer(template)]


def parse_variable(variable: str) -> tuple[str, list[Step]]:
    """`"sample.output_tools[0].function.name"` -> `("sample", ["output_tools", 0, "function", "name"])`."""
    head = _HEAD.match(variable)
    if head is None:
        raise TemplateVariableError(variable, "expected `namespace.variable`")
    namespace, pos, steps = head.group(), head.end(), []
    while pos < len(variable):
        step = _STEP.match(variable, pos)
        if step is None:
            raise TemplateVariableError(variable, f"cannot read the path at {variable[pos:]!r}")
        steps.append(step.group(1) if step.group(1) is not None else int(step.group(2)))
        pos = step.end()
    if namespace not in NAMESPACES:
        raise TemplateVariableError(variable, f"unknown namespace {namespace!r} (only item and sample exist)")
    if not steps:
        raise TemplateVariableError(variable, f"name a variable inside {namespace!r}, e.g. {namespace}.<key>")
    return namespace, steps


def check_template(template: str) -> list[str]:
    """Problems a template has whatever the data (bad syntax, unknown namespace); empty when it is well formed."""
    problems = []
    for variable in variables(template):
        try:
            parse_variable(variable)
        except TemplateVariableError as exc:
            problems.append(str(exc))
    return problems


def resolve(variable: str, context: dict[str, Any]) -> Any:
    """The value a variable names in `{"item": ..., "sample": ...}`; never None."""
    namespace, steps = parse_variable(variable)
    value: Any = context.get(namespace)
    walked = namespace
    for step in steps:
        if isinstance(step, str) and isinstance(value, dict):
            if step not in value:
                raise TemplateVariableError(variable, f"{walked} has no key {step!r}")
            value = value[step]
            walked += f".{step}"
            continue
        index = step if isinstance(step, int) else int(step) if step.isdigit() else None
        if index is not None and isinstance(value, list):
            if index >= len(value):
                raise TemplateVariableError(variable, f"{walked} has {len(value)} entries, no [{index}]")
            value = value[index]
            walked += f"[{index}]"
            continue
        kind = "null" if value is None else type(value).__name__
        raise TemplateVariableError(variable, f"{walked} is {kind}, cannot take {step!r}")
    if value is None:
        raise TemplateVariableError(variable, f"{walked} is null")
    return value


def as_text(value: Any) -> str:
    """How a resolved value is inserted: strings unchanged, anything else as compact JSON."""
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


def render(template: str, context: dict[str, Any]) -> str:
    """Substitute every variable of `template`; the first unresolvable one raises `TemplateVariableError`."""
    return _VARIABLE.sub(lambda match: as_text(resolve(match.group(1).strip(), context)), template)
