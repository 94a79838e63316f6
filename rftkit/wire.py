"""The wire contract on the client side, in one place: what the training service sends and accepts.

- the tool-call wrapper POSTed to a tool's `server_url`, and the `item` (the dataset row as forwarded);
- the `sample` of a finished rollout and the grader request `{sample, item, trace_id}`;
- trace ids, message roles, the service's retries, job statuses (re-exported from `rftkit.jobs.status`) and the
  1 MB body limit (the app's value, `catalog_tools.config`: rftkit imports the app's domain, never the reverse).

Sources: docs/service-contract.md#tool-endpoint, #endpoint-grader and #limits-and-service-behaviour. The grader
engine, the rollout runner, the stand-in, the notebook and the benchmarks all build these shapes here, so the
client can only drift from the service in one file.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from typing import Any

from catalog_tools.config import MAX_BODY_BYTES
from catalog_tools.tools import SEARCH_CATALOG as TOOL_NAME
from rftkit.jobs.status import ACTIVE_STATUSES, JOB_STATUSES, TERMINAL_STATUSES, is_terminal

__all__ = [
    "ACTIVE_STATUSES", "GRADER_MESSAGE_ROLES", "JOB_STATUSES", "MAX_BODY_BYTES", "RESERVED_ROW_KEYS", "ROW_ROLES",
    "TERMINAL_STATUSES", "TOOL_NAME", "RetryPolicy", "ToolRequest", "build_sample", "grader_body", "is_terminal",
    "last_user_text", "new_trace_id", "normalize_item", "output_tool_entry", "sample_from_text", "tool_call_body",
]

ROW_ROLES = ("developer", "user", "assistant", "tool")  # roles of a dataset row's messages
GRADER_MESSAGE_ROLES = ("system", "developer", "user", "assistant")  # roles of a model grader's `input`
RESERVED_ROW_KEYS = ("messages", "tools", "parallel_tool_calls")


@dataclass(frozen=True)
class RetryPolicy:
    """`retries` extra attempts (the service retries at most 3 times), spaced by `backoff` seconds, doubling."""

    retries: int = 3
    backoff: float = 0.5
    max_backoff: float = 8.0

    def delay(self, attempt: int) -> float:
        return min(self.max_backoff, self.backoff * 2 ** (attempt - 1))


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
    """A tool call as the sample lists it (`message.tool_calls`, `output_tools`)."""
    return {"id": request.call_id, "type": "function",
            "function": {"name": request.name, "arguments": request.arguments}}


def sample_from_text(text: str) -> dict[str, Any]:
    """A sample whose final answer is `text`, with no tool calls: the shape Azure sends to an endpoint grader.

    `output_json` is the parsed answer when `text` is a JSON object (the service fills it when the sample is valid
    JSON), else None.
    """
    try:
        parsed = json.loads(text)
    except (json.JSONDecodeError, TypeError):
        parsed = None
    return {
        "choices": [{"index": 0, "message": {"role": "assistant", "content": text, "tool_calls": []},
                     "finish_reason": "stop"}],
        "output_text": text,
        "output_json": parsed if isinstance(parsed, dict) else None,
        "output_tools": [],
        "output_reasoning_summary": None,
    }


def build_sample(text: str, final_turn_calls: list[ToolRequest] | tuple[ToolRequest, ...] = ()) -> dict[str, Any]:
    """The `sample` of a finished rollout, shaped like the one captured on Azure.

    `sample_from_text`, then `output_tools` gets the tool calls of the *final* assistant turn: empty when the rollout
    ended with a message, as in the captured sample. Whether the service lists every call of the rollout there is
    uncertain, which is why graders count calls by `trace_id` on the tool side.
    """
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
