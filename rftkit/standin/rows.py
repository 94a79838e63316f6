"""The checks the service runs on an uploaded fine-tune JSONL file (CONTRACTS §3), as file status details."""

from __future__ import annotations

import json
from typing import Any

ROLES = ("developer", "user", "assistant", "tool")
MAX_REPORTED = 5


def _message_problem(message: Any, index: int) -> str | None:
    where = f"messages[{index}]"
    if not isinstance(message, dict):
        return f"{where} is not an object"
    role = message.get("role")
    if role == "system":
        return f"{where}.role is 'system': use 'developer' for reinforcement fine-tuning"
    if role not in ROLES:
        return f"{where}.role must be one of {', '.join(ROLES)}; got {role!r}"
    content = message.get("content")
    if role in ("developer", "user") and not (isinstance(content, str) or isinstance(content, list)):
        return f"{where}.content must be a string or a list of content parts"
    return None


def _tools_problem(tools: Any) -> str | None:
    if tools is None:
        return None
    if not isinstance(tools, list):
        return "tools must be a list of function definitions"
    for i, tool in enumerate(tools):
        function = tool.get("function") if isinstance(tool, dict) else None
        if not isinstance(function, dict) or not isinstance(function.get("name"), str) or not function["name"]:
            return f"tools[{i}] must be {{'type': 'function', 'function': {{'name': ..., 'parameters': ...}}}}"
    return None


def row_problem(row: Any) -> str | None:
    """Why the service would refuse this row, or None."""
    if not isinstance(row, dict):
        return "is not a JSON object"
    messages = row.get("messages")
    if not isinstance(messages, list) or not messages:
        return "has no `messages` list"
    for index, message in enumerate(messages):
        problem = _message_problem(message, index)
        if problem:
            return problem
    if messages[-1].get("role") != "user":
        return f"the last message must have role 'user' (the model answers it); got {messages[-1].get('role')!r}"
    return _tools_problem(row.get("tools"))


def check_jsonl(data: bytes) -> tuple[list[dict[str, Any]], str | None]:
    """(rows, None) for a good file; ([], status_details naming the first bad lines) otherwise."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return [], "The file is not UTF-8 text."
    from ..sft.checks import is_supervised_text

    if is_supervised_text(text):  # a chat fine-tuning file (assistant turns to learn): its own rules
        from ..sft.standin import check_upload

        return check_upload(text)
    rows: list[dict[str, Any]] = []
    problems: list[str] = []
    lines = text.splitlines()
    for number, line in enumerate(lines, 1):
        if not line.strip():
            if number < len(lines):
                problems.append(f"line {number}: empty line")
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            problems.append(f"line {number}: not valid JSON ({exc.msg})")
            continue
        problem = row_problem(row)
        if problem:
            problems.append(f"line {number}: {problem}")
        else:
            rows.append(row)
    if not problems and not rows:
        return [], "The file has no rows."
    if problems:
        shown = "; ".join(problems[:MAX_REPORTED])
        more = f" (and {len(problems) - MAX_REPORTED} more)" if len(problems) > MAX_REPORTED else ""
        return [], f"Invalid file format: {len(problems)} invalid line(s): {shown}{more}."
    return rows, None
