"""The exact shapes the training service sends: tool-call wrapper, `item`, `sample`, grader body.

See docs/service-contract.md#tool-endpoint and docs/service-contract.md#endpoint-grader.

Kept in one place so the dry run can only drift from the service in one file.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from typing import Any

RESERVED_ROW_KEYS = ("messages", "tools", "parallel_tool_calls")


@dataclass(frozen=True)
class ToolRequest:
    """One function call a policy asks for. `arguments` is the JSON *string* the model emitted."""

    name: str
    arguments: str
    call_id: str
    id: str

    @classmethod
    def new(cls, name: str, arguments: dict[str, Any] | str) -> ToolRequest:
        token = uuid.uuid4().hex
        raw = arguments if isinstance(arguments, str) else json.dumps(arguments, separators=(",", ":"))
        return cls(name=name, arguments=raw, call_id=f"call_{token}", id=f"fc_{token}")


def new_trace_id() -> str:
    """One per rollout, shared by all its tool calls and its grader request."""
    return f"trace_{uuid.uuid4().hex}"


def normalize_item(row: dict[str, Any]) -> dict[str, Any]:
    """The row as the service forwards it: every message with `"name": null` (unless set), `tools` (null when the
    row has none), `parallel_tool_calls`, then every extra field of the row unchanged."""
    messages = [{**m, "name": m.get("name")} if isinstance(m, dict) else m for m in row.get("messages") or []]
    # Absent `parallel_tool_calls`: the API's default is true (the service's exact value here is not documented).
    item: dict[str, Any] = {"messages": messages, "tools": row.get("tools"),
                            "parallel_tool_calls": row.get("parallel_tool_calls", True)}
    item.update({k: v for k, v in row.items() if k not in RESERVED_ROW_KEYS})
    return item


def tool_call_body(request: ToolRequest, trace_id: str, item: dict[str, Any]) -> dict[str, Any]:
    """The wrapper POSTed to a tool's `server_url`."""
    return {"type": "function_call", "id": request.id, "call_id": request.call_id, "name": request.name,
            "arguments": request.arguments, "trace_id": trace_id, "item": item}


def output_tool_entry(request: ToolRequest) -> dict[str, Any]:
    return {"id": request.call_id, "type": "function",
            "function": {"name": request.name, "arguments": request.arguments}}


def build_sample(text: str, final_turn_calls: list[ToolRequest] | tuple[ToolRequest, ...] = ()) -> dict[str, Any]:
    """The `sample` of a finished rollout, shaped like the one captured on Azure.

    Built on the grader engine's `sample_from_text` (one definition of the shape, `output_json` included), then
    `output_tools` gets the tool calls of the *final* assistant turn: empty when the rollout ended with a message,
    as in the captured sample. Whether the service lists every call of the rollout there is uncertain, which is
    why graders count calls by `trace_id` on the tool side.
    """
    from ..graders import sample_from_text

    sample = sample_from_text(text)
    if final_turn_calls:
        tools = [output_tool_entry(r) for r in final_turn_calls]
        choice = sample["choices"][0]
        choice["message"]["tool_calls"] = tools
        choice["finish_reason"] = "stop" if text else "tool_calls"
        sample["output_tools"] = tools
    return sample


def grader_body(sample: dict[str, Any], item: dict[str, Any], trace_id: str) -> dict[str, Any]:
    """The body POSTed to an endpoint grader's `url`."""
    return {"sample": sample, "item": item, "trace_id": trace_id}


def last_user_text(item: dict[str, Any]) -> str:
    """The text of the last user message (the request a policy answers)."""
    for message in reversed(item.get("messages") or []):
        if isinstance(message, dict) and message.get("role") == "user":
            content = message.get("content")
            if isinstance(content, str):
                return content
            if isinstance(content, list):
                return " ".join(p.get("text", "") for p in content if isinstance(p, dict))
    return ""
