"""The rules for dataset rows, each with one id and one severity, shared by `rftkit validate` and the stand-in.

`RULES` is the table: id, severity, scope, summary. Scope `service` is what the service itself checks on an uploaded
file (the stand-in applies exactly these, so a file it processes is one `validate` finds no service error in);
scope `dataset` is advice for this project's tool-calling datasets (only `validate` applies it). The checks are plain
functions returning `Finding`s (rule id, message, line); callers look the severity up in the table, never decide it.
To add rules (e.g. for supervised rows), add `RowRule`s to the table and a function producing their findings.

Sources for the service rules: docs/service-contract.md#dataset-rows. A leading `system` message is a warning, not
an error: OpenAI documents that reasoning models treat a system message as a developer message.
"""

from __future__ import annotations

import copy
import json
import re
from dataclasses import dataclass
from typing import Any, Literal

import jsonschema

from rftkit.wire import ROW_ROLES

Severity = Literal["error", "warning"]
Scope = Literal["service", "dataset"]
Role = Literal["train", "valid"]

MAX_ROWS: dict[str, int] = {"train": 50_000, "valid": 1_000}  # the service's limits per file
MIN_ROWS = 10  # the sample's minimum per file
_TOOL_NAME = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


@dataclass(frozen=True)
class RowRule:
    id: str
    severity: Severity
    scope: Scope
    summary: str


RULES: dict[str, RowRule] = {rule.id: rule for rule in (
    # -- the service's checks of an uploaded file ----------------------------------------------------------------
    RowRule("unreadable", "error", "service", "the file can be read"),
    RowRule("encoding", "error", "service", "UTF-8 without byte-order mark"),
    RowRule("empty-file", "error", "service", "the file has rows"),
    RowRule("invalid-json", "error", "service", "every line is one JSON value, no blank lines"),
    RowRule("not-object", "error", "service", "every row is a JSON object"),
    RowRule("messages", "error", "service", "`messages` is a non-empty list of message objects"),
    RowRule("system-role", "warning", "service", "a leading `system` message works, `developer` is preferred"),
    RowRule("bad-role", "error", "service", "roles are developer, user, assistant, tool (`system` only first)"),
    RowRule("content", "error", "service", "content is a string or a list of text parts (null only beside "
                                           "an assistant's tool_calls)"),
    RowRule("last-not-user", "error", "service", "the last message has role `user`"),
    RowRule("supervised-example", "error", "service", "a chat fine-tuning example is well formed (rftkit.sft.checks)"),
    RowRule("tools", "error", "service", "`tools`, when present, is a list of distinct function definitions"),
    RowRule("too-many-rows", "error", "service", "at most 50,000 training and 1,000 validation rows"),
    # -- advice for this project's tool-calling datasets (validate only) -----------------------------------------
    RowRule("tools-missing", "error", "dataset", "rows carry the schema of the tools the job serves"),
    RowRule("unknown-tool", "error", "dataset", "every function in `tools` is served by the job"),
    RowRule("tools-differ", "warning", "dataset", "the row's tool schema is the app's current one"),
    RowRule("tool-not-mentioned", "warning", "dataset", "a message tells the model to call the tool"),
    RowRule("reference", "error", "dataset", "`reference_answer` is a non-empty string"),
    RowRule("unknown-sku", "error", "dataset", "`reference_answer` is a SKU of the catalog"),
    RowRule("reference-calls", "error", "dataset", "`metadata.reference_calls` name the row's tools with arguments "
            "that fit their schemas"),
    RowRule("duplicate-id", "error", "dataset", "row ids are unique across the files"),
    RowRule("train-valid-overlap", "error", "dataset", "no prompt is in both training and validation"),
    RowRule("too-few-rows", "error", "dataset", "at least 10 rows per file (the sample's advice)"),
    RowRule("class-imbalance", "warning", "dataset", "task types and difficulties are balanced and in both files"),
)}
SERVICE_RULES = frozenset(rule.id for rule in RULES.values() if rule.scope == "service")


@dataclass(frozen=True)
class Finding:
    """One rule broken: its id, what exactly is wrong, and the 1-based line (None: the whole file)."""

    rule: str
    message: str
    line: int | None = None

    @property
    def severity(self) -> Severity:
        return RULES[self.rule].severity

    def at(self, line: int | None) -> Finding:
        return Finding(self.rule, self.message, line)


def kind(value: Any) -> str:
    return {dict: "an object", list: "a list", str: "a string", bool: "a boolean", type(None): "null",
            int: "a number", float: "a number"}.get(type(value), type(value).__name__)


# -- a file's bytes -> lines -> rows -----------------------------------------------------------------------------

def decode_lines(data: bytes) -> tuple[list[tuple[int, str | None]], list[Finding]]:
    """Each line as (number, text), text None when it is not UTF-8; plus the file-level findings.

    The final newline ends the last line, it does not start a new one."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return [], [Finding("encoding", "the file is UTF-16; save it as UTF-8", 1)]
    findings = []
    if data.startswith(b"\xef\xbb\xbf"):
        findings.append(Finding("encoding", "the file starts with a byte-order mark; save it as UTF-8 without BOM", 1))
        data = data[3:]
    if not data.strip():
        return [], [*findings, Finding("empty-file", "the file is empty")]
    raw_lines = data.split(b"\n")
    if raw_lines[-1] == b"":
        raw_lines.pop()
    lines: list[tuple[int, str | None]] = []
    for number, raw in enumerate(raw_lines, start=1):
        try:
            lines.append((number, raw.decode("utf-8")))
        except UnicodeDecodeError as exc:
            findings.append(Finding("encoding", f"not UTF-8: byte 0x{raw[exc.start]:02x} at column {exc.start + 1}",
                                    number))
            lines.append((number, None))
    return lines, findings


def parse_row(text: str) -> tuple[Any, list[Finding]]:
    """(the row, []) or (None, why the line is not a row)."""
    if not text.strip():
        return None, [Finding("invalid-json", "blank line; JSONL needs one JSON object per line")]
    try:
        row = json.loads(text)
    except json.JSONDecodeError as exc:
        return None, [Finding("invalid-json", f"not valid JSON: {exc.msg} at column {exc.colno}")]
    if not isinstance(row, dict):
        return None, [Finding("not-object", f"a row must be a JSON object, not {kind(row)}")]
    return row, []


def row_count_finding(rows: int, role: Role) -> Finding | None:
    if rows > MAX_ROWS[role]:
        return Finding("too-many-rows", f"{rows:,} rows; the service takes at most {MAX_ROWS[role]:,} "
                                        f"{'validation' if role == 'valid' else 'training'} rows")
    return None


# -- one row: the service's rules ----------------------------------------------------------------------------------

def message_findings(row: dict[str, Any]) -> list[Finding]:
    """`messages`: a non-empty list of objects with known roles and text content, ending with `user`."""
    messages = row.get("messages")
    if "messages" not in row:
        return [Finding("messages", "`messages` is missing")]
    if not isinstance(messages, list):
        return [Finding("messages", f"`messages` must be a list, not {kind(messages)}")]
    if not messages:
        return [Finding("messages", "`messages` is empty")]
    findings = []
    for n, message in enumerate(messages, start=1):
        if not isinstance(message, dict):
            findings.append(Finding("messages", f"message {n} must be an object, not {kind(message)}"))
            continue
        role = message.get("role")
        if role == "system":
            findings.append(
                Finding("system-role", "message 1 has role 'system'; use 'developer' (reasoning models take "
                                       "instructions there)") if n == 1 else
                Finding("bad-role", f"message {n} has role 'system' after the conversation started; put "
                                    "instructions first, as 'developer'"))
        elif role not in ROW_ROLES:
            findings.append(Finding("bad-role", f"message {n} has role {role!r}; use one of {', '.join(ROW_ROLES)}"))
        if not _content_ok(message):
            findings.append(Finding("content", f"message {n} content must be a string or a list of text parts, "
                                               f"not {kind(message.get('content'))}"))
    last = messages[-1]
    last_role = last.get("role") if isinstance(last, dict) else None
    if last_role != "user":
        findings.append(Finding("last-not-user", f"the last message must have role 'user', not {last_role!r}"))
    return findings


def _content_ok(message: dict[str, Any]) -> bool:
    content = message.get("content")
    if isinstance(content, str):
        return True
    if content is None:
        return message.get("role") == "assistant" and bool(message.get("tool_calls"))
    return isinstance(content, list) and bool(content) and all(
        isinstance(part, dict) and isinstance(part.get("text"), str) for part in content)


def tool_findings(row: dict[str, Any]) -> tuple[list[str], list[Finding]]:
    """`tools`, when present: distinct function definitions. Returns the well-formed functions' names too."""
    tools = row.get("tools")
    if tools is None or tools == []:
        return [], []
    if not isinstance(tools, list):
        return [], [Finding("tools", f"`tools` must be a list of function definitions, not {kind(tools)}")]
    names: list[str] = []
    findings = []
    for n, tool in enumerate(tools, start=1):
        problem = tool_problem(tool)
        if problem:
            findings.append(Finding("tools", f"tools[{n}]: {problem}"))
            continue
        name = tool["function"]["name"]
        if name in names:
            findings.append(Finding("tools", f"tools[{n}]: the name {name!r} is defined twice"))
            continue
        names.append(name)
    return names, findings


def service_findings(row: dict[str, Any]) -> list[Finding]:
    """Every service rule one parsed row breaks."""
    return message_findings(row) + tool_findings(row)[1]


_KNOWN_TOOLS: list[tuple[Any, str | None]] = []  # (a tool entry seen, its problem): rows repeat a few schemas
_KNOWN_TOOLS_MAX = 64


def tool_problem(tool: Any) -> str | None:
    """Why `tool` is not a Chat-Completions function definition, or None. Checking a schema is the slow part and rows
    repeat one schema, so each distinct entry is checked once (a bounded memo, compared by equality)."""
    for known, problem in _KNOWN_TOOLS:
        if known == tool:
            return problem
    problem = _tool_problem(tool)
    if len(_KNOWN_TOOLS) < _KNOWN_TOOLS_MAX:
        _KNOWN_TOOLS.append((copy.deepcopy(tool), problem))
    return problem


def _tool_problem(tool: Any) -> str | None:
    if not isinstance(tool, dict):
        return f"must be an object, not {kind(tool)}"
    if tool.get("type") != "function":
        return f"`type` must be 'function', not {tool.get('type')!r}"
    function = tool.get("function")
    if not isinstance(function, dict):
        return f"`function` must be an object, not {kind(function)}"
    name = function.get("name")
    if not isinstance(name, str) or not _TOOL_NAME.match(name):
        return f"function name {name!r} must be 1-64 letters, digits, '_' or '-'"
    if "description" in function and not isinstance(function["description"], str):
        return "function description must be a string"
    if "parameters" not in function:
        return None
    params = function["parameters"]
    if not isinstance(params, dict) or params.get("type") != "object":
        return "`parameters` must be a JSON Schema object with \"type\": \"object\""
    try:
        jsonschema.Draft202012Validator.check_schema(params)
    except jsonschema.SchemaError as exc:
        where = "/".join(str(p) for p in exc.path) or "parameters"
        return f"`parameters` is not a valid JSON Schema at {where}: {exc.message}"
    if not isinstance(params.get("properties", {}), dict):
        return "`parameters.properties` must be an object"
    missing = [r for r in params.get("required", []) if r not in params.get("properties", {})]
    if missing:
        return f"`parameters.required` names undefined properties: {', '.join(map(str, missing))}"
    return None
