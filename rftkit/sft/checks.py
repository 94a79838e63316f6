"""The rules of a supervised (chat) fine-tuning file with tool calls, one problem per `file:line`.

Shared by `python -m rftkit validate` (which recognises a supervised file by its rows: assistant turns and no
`reference_answer`) and the stand-in's upload and job checks. The rules are the chat fine-tuning format's: see
docs/service-contract.md#supervised-fine-tuning-with-tools.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rftkit.sft.job import SFT_TOOL_MODELS
from rftkit.sft.tokens import count_row

# docs/service-contract.md#supervised-fine-tuning-with-tools: the per-example token limit (the largest model's: a
# file does not know its model; a job checks its own model's) and the minimum count.
MAX_TOKENS_PER_EXAMPLE = max(SFT_TOOL_MODELS.values())
MIN_EXAMPLES = 10
ROW_KEYS = ("messages", "tools", "parallel_tool_calls")  # the service refuses others ("contains an extra key")
ROLES = ("system", "developer", "user", "assistant", "tool")


@dataclass(frozen=True)
class SftProblem:
    line: int | None  # None: the whole file
    message: str


def is_supervised_row(row: Any) -> bool:
    """A chat fine-tuning example: no RFT `reference_answer`, and the conversation ends after the user's turn (an
    assistant answer, or a tool reply when the answer is missing); an RFT row always ends with the user."""
    if not isinstance(row, dict) or "reference_answer" in row:
        return False
    messages = row.get("messages")
    return bool(isinstance(messages, list) and messages and isinstance(messages[-1], dict)
                and messages[-1].get("role") in ("assistant", "tool"))


def is_supervised_text(text: str) -> bool:
    """The kind of a file, from its first row that parses."""
    for line in text.splitlines():
        if line.strip():
            try:
                return is_supervised_row(json.loads(line))
            except json.JSONDecodeError:
                continue
    return False


def _call_problems(call: Any, where: str, pending: dict[str, str], declared: set[str] | None) -> list[str]:
    if not isinstance(call, dict):
        return [f"{where} must be an object {{id, type, function}}"]
    problems = []
    call_id, function = call.get("id"), call.get("function")
    if not isinstance(call_id, str) or not call_id:
        problems.append(f"{where}.id must be a non-empty string")
    if call.get("type") != "function":
        problems.append(f"{where}.type must be 'function', not {call.get('type')!r}")
    if not isinstance(function, dict) or not isinstance(function.get("name"), str) or not function["name"]:
        return [*problems, f"{where}.function must be {{name, arguments}}"]
    name, arguments = function["name"], function.get("arguments")
    if not isinstance(arguments, str):
        problems.append(f"{where}.function.arguments must be a JSON string, not {type(arguments).__name__}")
    else:
        try:
            json.loads(arguments)
        except json.JSONDecodeError as exc:
            problems.append(f"{where}.function.arguments is not valid JSON: {exc.msg}")
    if declared is not None and name not in declared:
        problems.append(f"{where} calls {name!r}, which `tools` does not declare")
    if isinstance(call_id, str) and call_id:
        if call_id in pending:
            problems.append(f"{where}.id {call_id!r} is used twice")
        pending[call_id] = name
    return problems


def _declared(tools: Any) -> tuple[set[str] | None, list[str]]:
    if tools is None:
        return set(), []
    if not isinstance(tools, list):
        return None, ["`tools` must be a list of function definitions"]
    names, problems = set(), []
    for i, tool in enumerate(tools):
        function = tool.get("function") if isinstance(tool, dict) else None
        if not isinstance(tool, dict) or tool.get("type") != "function" or not isinstance(function, dict) \
                or not isinstance(function.get("name"), str) or not function["name"]:
            problems.append(f"tools[{i}] must be {{'type': 'function', 'function': {{'name', 'parameters'}}}}")
            continue
        if "parameters" in function and not (isinstance(function["parameters"], dict)
                                             and function["parameters"].get("type") == "object"):
            problems.append(f"tools[{i}].function.parameters must be a JSON Schema object")
        names.add(function["name"])
    return names, problems


def row_problems(row: Any, *, count_tokens: bool = True) -> list[str]:
    """Every problem of one example (an empty list: the service takes it)."""
    if not isinstance(row, dict):
        return ["a row must be a JSON object"]
    problems = [f"contains an extra key {key!r} (a chat example has only {', '.join(ROW_KEYS)})"
                for key in row if key not in ROW_KEYS]
    messages = row.get("messages")
    if not isinstance(messages, list) or not messages:
        return [*problems, "`messages` must be a non-empty list"]
    declared, tool_problems = _declared(row.get("tools"))
    problems += tool_problems
    pending: dict[str, str] = {}  # call id -> function name, waiting for its tool message
    answered: set[str] = set()
    for n, message in enumerate(messages):
        where = f"messages[{n}]"
        if not isinstance(message, dict):
            problems.append(f"{where} must be an object")
            continue
        role, content = message.get("role"), message.get("content")
        if role not in ROLES:
            problems.append(f"{where}.role must be one of {', '.join(ROLES)}; got {role!r}")
            continue
        if role == "assistant" and pending.keys() - answered:
            missing = sorted(pending.keys() - answered)
            problems.append(f"{where}: tool call(s) {', '.join(missing)} got no tool message before the next "
                            "assistant turn")
            answered.update(missing)
        if role == "assistant":
            calls = message.get("tool_calls")
            if calls is not None and (not isinstance(calls, list) or not calls):
                problems.append(f"{where}.tool_calls must be a non-empty list")
                calls = None
            if not calls and not (isinstance(content, str) and content.strip()):
                problems.append(f"{where}: an assistant message needs text content or tool_calls")
            if content is not None and not isinstance(content, str):
                problems.append(f"{where}.content must be a string or null")
            for k, call in enumerate(calls or []):
                problems += _call_problems(call, f"{where}.tool_calls[{k}]", pending, declared)
        elif role == "tool":
            call_id = message.get("tool_call_id")
            if call_id not in pending:
                problems.append(f"{where}: tool_call_id {call_id!r} answers no earlier assistant tool call")
            elif call_id in answered:
                problems.append(f"{where}: tool call {call_id!r} is answered twice")
            else:
                answered.add(call_id)
            if not isinstance(content, str):
                problems.append(f"{where}.content must be the tool's output as a string")
        elif not isinstance(content, str):
            problems.append(f"{where}.content must be a string")
    unanswered = sorted(pending.keys() - answered)
    if unanswered:
        problems.append(f"tool call(s) {', '.join(unanswered)} never get a tool message")
    last = messages[-1]
    if not (isinstance(last, dict) and last.get("role") == "assistant" and isinstance(last.get("content"), str)
            and last["content"].strip() and not last.get("tool_calls")):
        role = last.get("role") if isinstance(last, dict) else None
        problems.append(f"the last message must be the assistant's answer (text, no tool calls), not {role!r}")
    if count_tokens and not problems:
        tokens = count_row(row)
        if tokens > MAX_TOKENS_PER_EXAMPLE:
            problems.append(f"{tokens:,} tokens; an example holds at most {MAX_TOKENS_PER_EXAMPLE:,}")
    return problems


def check_text(text: str) -> tuple[list[dict[str, Any]], list[SftProblem]]:
    """(good rows, problems) of a whole file's text; line numbers are 1-based, as editors show them."""
    rows: list[dict[str, Any]] = []
    problems: list[SftProblem] = []
    lines = text.splitlines()
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            if number < len(lines):
                problems.append(SftProblem(number, "empty line; JSONL needs one JSON object per line"))
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            problems.append(SftProblem(number, f"not valid JSON: {exc.msg} at column {exc.colno}"))
            continue
        found = row_problems(row)
        problems += [SftProblem(number, p) for p in found]
        if not found:
            rows.append(row)
    examples = sum(1 for line in lines if line.strip())
    if examples < MIN_EXAMPLES:
        problems.append(SftProblem(None, f"{examples} examples; a supervised file needs at least {MIN_EXAMPLES}"))
    return rows, problems


def check_file(path: Path) -> tuple[list[dict[str, Any]], list[SftProblem]]:
    try:
        text = path.read_bytes().decode("utf-8")
    except OSError as exc:
        return [], [SftProblem(None, f"cannot read the file: {exc.strerror or exc}")]
    except UnicodeDecodeError:
        return [], [SftProblem(None, "the file is not UTF-8")]
    return check_text(text)


def _request(row: dict[str, Any]) -> str:
    """The user's words of an example, normalised: the same request on both sides of a split leaks."""
    return "\n".join(" ".join(m["content"].lower().split()) for m in row["messages"]
                     if isinstance(m, dict) and m.get("role") == "user" and isinstance(m.get("content"), str))


def validate_supervised(path: Path, role: str, requests: dict[str, dict[str, str]] | None = None
                        ) -> tuple[list[Any], Any]:
    """For `rftkit.data.validate`: the file's issues and summary in its own types. `requests` (role -> request ->
    location), shared across the files of one run, finds a request in both training and validation."""
    from rftkit.data.validate import FileSummary, Issue

    rows, problems = check_file(path)
    shown = str(path)
    issues = [Issue(shown, p.line, "error", "supervised", p.message) for p in problems]
    if requests is not None:
        other = requests.setdefault("valid" if role == "train" else "train", {})
        mine = requests.setdefault(role, {})
        numbers = [n for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1)
                   if line.strip() and n not in {p.line for p in problems}]
        for number, row in zip(numbers, rows, strict=False):
            request = _request(row)
            if request in other:
                issues.append(Issue(shown, number, "error", "train-valid-overlap",
                                    f"the same request is in training and validation (also at {other[request]})"))
            mine.setdefault(request, f"{shown}:{number}")
    summary = FileSummary(shown, role)  # type: ignore[arg-type]
    summary.rows = len(rows) + len({p.line for p in problems if p.line is not None})
    return issues, summary
