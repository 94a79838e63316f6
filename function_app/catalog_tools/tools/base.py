"""What a tool is: a name, a description, an argument model (its JSON Schema *is* the tool's `parameters`) and one
typed run function. Everything else — routes, the shared `/tools` dispatch, the fast path, trace recording, error
outputs for model mistakes, the output-size budget — is built from this registration by `service` and `http`.

A model's mistake (arguments that are not JSON, wrong types, unknown fields, values the catalog lacks) becomes an
error output the model can read and act on; nothing here raises for bad input.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, ValidationError

from .. import jsonfast
from ..search import Catalog

Args = TypeVar("Args", bound=BaseModel)
_FUNCTION_NAME = re.compile(r"^[A-Za-z0-9_-]{1,64}$")  # what a function name may be in a tool definition


def compact(payload: Any) -> str:
    """The tools' output encoding: compact JSON, non-ASCII escaped."""
    return json.dumps(payload, separators=(",", ":"))


@dataclass(frozen=True)
class ToolContext:
    """What a run may use: the catalog and the budgets from the settings (TOOL_OUTPUT_CHAR_BUDGET,
    TOOL_TIME_BUDGET_SECONDS)."""

    catalog: Catalog
    output_char_budget: int
    time_budget_seconds: float | None = None


def error_output(tool: str, kind: str, message: str, problems: list[dict[str, Any]] | None = None,
                 **extra: Any) -> dict[str, Any]:
    """An error the model reads in `output`: what is wrong, the problems field by field, and what to do."""
    body: dict[str, Any] = {"error": kind, "message": message}
    if problems:
        body["problems"] = problems
    body.update(extra)
    body["hint"] = f"Fix the arguments and call {tool} again."
    return body


def _simplify(schema: Any) -> Any:
    """Tool-friendly JSON Schema: drop pydantic's titles and turn `X | None` into plain optional `X`."""
    if isinstance(schema, dict):
        out = {k: _simplify(v) for k, v in schema.items() if k != "title"}
        any_of = out.get("anyOf")
        if isinstance(any_of, list) and {"type": "null"} in any_of and len(any_of) == 2:
            (other,) = [s for s in any_of if s != {"type": "null"}]
            del out["anyOf"]
            out = {**other, **out}
            if out.get("default", 0) is None:
                del out["default"]
        return out
    if isinstance(schema, list):
        return [_simplify(v) for v in schema]
    return schema


@dataclass(frozen=True)
class Tool(Generic[Args]):
    """One tool. `run` gets validated arguments and returns (output text, ok); it may return an error output
    (ok False) for a mistake only the catalog can see, such as an unknown SKU."""

    name: str
    description: str
    arguments: type[Args]
    run: Callable[[Args, ToolContext], tuple[str, bool]]
    example: dict[str, Any] = field(default_factory=dict)  # arguments shown in the API docs
    # The definition fitted to a catalog (its categories, filters it can answer, example values); None: as is.
    for_catalog: Callable[[dict[str, Any], Catalog], dict[str, Any]] | None = None

    def parameters(self) -> dict[str, Any]:
        """The tool's `parameters` JSON Schema, generated from its argument model."""
        schema = _simplify(self.arguments.model_json_schema())
        schema.pop("description", None)
        return schema

    def definition(self, catalog: Catalog | None = None) -> dict[str, Any]:
        """The Chat-Completions function definition that dataset rows carry in `tools`: for `catalog` when given
        (what the model sees must match the catalog the app serves), else the argument model's own."""
        definition = {"type": "function",
                      "function": {"name": self.name, "description": self.description, "parameters": self.parameters()}}
        if catalog is not None and self.for_catalog is not None:
            definition = self.for_catalog(definition, catalog)
        return definition

    def error(self, kind: str, message: str, problems: list[dict[str, Any]] | None = None,
              **extra: Any) -> dict[str, Any]:
        return error_output(self.name, kind, message, problems, **extra)

    def parse(self, raw: Any) -> Args | dict[str, Any]:
        """Arguments as a JSON string or an object -> the argument model, or an error output for the model."""
        if isinstance(raw, str):
            try:
                raw = jsonfast.loads(raw) if raw.strip() else {}
            except jsonfast.JsonError as exc:
                problem = "are not valid JSON" if exc.code == "invalid_json" else "are refused"
                return self.error("invalid_arguments", f"arguments {problem}: {exc.message}",
                                  [{"field": "arguments", "problem": exc.code}])
        if not isinstance(raw, dict):
            return self.error("invalid_arguments", "arguments must be a JSON object")
        try:
            return self.arguments.model_validate(raw)
        except ValidationError as exc:
            problems = [{"field": ".".join(str(p) for p in e["loc"]) or "arguments", "problem": e["msg"]}
                        for e in exc.errors(include_url=False, include_context=False, include_input=False)]
            return self.error("invalid_arguments", "some arguments are not valid", problems)

    def invoke(self, raw_arguments: Any, context: ToolContext) -> tuple[str, bool]:
        """Parse, run, keep the output inside its budget: (output text, ok). Never raises for bad input."""
        parsed = self.parse(raw_arguments)
        if isinstance(parsed, dict):
            return compact(parsed), False
        output, ok = self.run(parsed, context)
        if len(output) > context.output_char_budget:  # a tool that cannot shorten its answer says so instead
            return compact(self.error("output_too_large", f"the answer is longer than the tool's budget of "
                                      f"{context.output_char_budget} characters; ask for less")), False
        return output, ok


class ToolRegistry:
    """The tools the app serves, by name, in registration order."""

    def __init__(self, tools: Iterable[Tool[Any]] = ()):
        self._tools: dict[str, Tool[Any]] = {}
        for tool in tools:
            self.register(tool)

    def register(self, tool: Tool[Any]) -> Tool[Any]:
        if not _FUNCTION_NAME.match(tool.name):
            raise ValueError(f"tool name {tool.name!r}: use 1-64 letters, digits, '_' or '-'")
        if tool.name in self._tools:
            raise ValueError(f"a tool named {tool.name!r} is already registered")
        self._tools[tool.name] = tool
        return tool

    def with_tools(self, *tools: Tool[Any]) -> ToolRegistry:
        """A copy with more tools (this registry is unchanged)."""
        return ToolRegistry([*self._tools.values(), *tools])

    def get(self, name: str) -> Tool[Any] | None:
        return self._tools.get(name)

    def definitions(self, catalog: Catalog | None = None) -> list[dict[str, Any]]:
        """Every tool's definition for `catalog` (see `Tool.definition`), in registration order."""
        return [tool.definition(catalog) for tool in self]

    @property
    def names(self) -> list[str]:
        return list(self._tools)

    def __iter__(self) -> Iterator[Tool[Any]]:
        return iter(self._tools.values())

    def __contains__(self, name: object) -> bool:
        return name in self._tools

    def __len__(self) -> int:
        return len(self._tools)
