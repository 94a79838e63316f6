"""A real model as the policy, through the Responses API with function tools.

Each turn sends the whole conversation so far (`input`: the row's messages, the model's previous output items and
the `function_call_output` of every call) with the row's functions as Responses tools; function calls go back to
the runner, which runs them against the job's tool URLs. The loop ends on a message without calls, or at
`max_episode_steps`.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from rftkit.rollouts.policy import PolicyError, ToolResult, Turn
from rftkit.wire import ToolRequest

if TYPE_CHECKING:
    from openai import AsyncOpenAI


def responses_tools(row_tools: Any) -> list[dict[str, Any]]:
    """Chat-style row tools (`{"type": "function", "function": {...}}`) as Responses function tools."""
    tools = []
    for tool in row_tools or []:
        if not isinstance(tool, dict):
            continue
        function = tool.get("function") if isinstance(tool.get("function"), dict) else tool
        if not function.get("name"):
            continue
        entry: dict[str, Any] = {"type": "function", "name": function["name"],
                                 "parameters": function.get("parameters") or {"type": "object", "properties": {}},
                                 "strict": bool(function.get("strict", False))}
        if function.get("description"):
            entry["description"] = function["description"]
        tools.append(entry)
    return tools


def responses_input(messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Row messages as Responses input items (assistant tool calls and tool messages become function items)."""
    items: list[dict[str, Any]] = []
    for message in messages:
        role = message.get("role")
        if role == "tool":
            items.append({"type": "function_call_output", "call_id": message.get("tool_call_id", ""),
                          "output": message.get("content") or ""})
            continue
        if message.get("content"):
            items.append({"role": role, "content": message["content"]})
        for call in message.get("tool_calls") or []:
            function = call.get("function") or {}
            items.append({"type": "function_call", "call_id": call.get("id", ""), "name": function.get("name", ""),
                          "arguments": function.get("arguments", "{}")})
    return items


def _policy_error(exc: Exception) -> PolicyError:
    import openai

    if isinstance(exc, openai.APITimeoutError):
        return PolicyError("timeout", f"the model API did not answer in time: {exc}")
    if isinstance(exc, openai.APIStatusError):
        return PolicyError(f"http_{exc.status_code}", f"the model API answered {exc.status_code}: {exc.message}")
    if isinstance(exc, openai.APIConnectionError):
        return PolicyError("connection_error", f"cannot reach the model API: {exc}")
    return PolicyError("malformed_output", f"{type(exc).__name__}: {exc}")


class ModelSession:
    def __init__(self, policy: ModelPolicy, item: dict[str, Any]):
        self.policy = policy
        self.input = responses_input(item.get("messages") or [])
        self.tools = responses_tools(item.get("tools"))
        self.parallel = item.get("parallel_tool_calls")

    async def next_turn(self, results: list[ToolResult]) -> Turn:
        import openai

        for result in results:
            self.input.append({"type": "function_call_output", "call_id": result.request.call_id,
                               "output": result.output})
        kwargs: dict[str, Any] = {"model": self.policy.model, "input": self.input}
        if self.tools:
            kwargs["tools"] = self.tools
            if isinstance(self.parallel, bool):
                kwargs["parallel_tool_calls"] = self.parallel
        if self.policy.reasoning_effort:
            kwargs["reasoning"] = {"effort": self.policy.reasoning_effort}
        if self.policy.max_output_tokens:
            kwargs["max_output_tokens"] = self.policy.max_output_tokens
        try:
            response = await self.policy.client.responses.create(**kwargs)
        except openai.OpenAIError as exc:
            raise _policy_error(exc) from exc
        calls = []
        for output in response.output or []:
            self.input.append(output.to_dict())  # reasoning and message items go back as they came
            if output.type == "function_call":
                arguments = output.arguments if isinstance(output.arguments, str) else json.dumps(output.arguments)
                fallback = ToolRequest.new(output.name, arguments)
                calls.append(ToolRequest(name=output.name, arguments=arguments,
                                         call_id=output.call_id or fallback.call_id, id=output.id or fallback.id))
        notes = {"response_id": response.id}
        if calls:
            return Turn(tool_calls=tuple(calls), notes=notes)
        return Turn(text=response.output_text or "", notes=notes)


class ModelPolicy:
    """`client.responses.create(model=<deployment>, ...)` in a loop; `client` is an `openai.AsyncOpenAI`."""

    def __init__(self, client: AsyncOpenAI, model: str, *, reasoning_effort: str | None = None,
                 max_output_tokens: int | None = None):
        self.client = client
        self.model = model
        self.reasoning_effort = reasoning_effort
        self.max_output_tokens = max_output_tokens
        self.name = f"model:{model}"

    def start(self, item: dict[str, Any], *, row_id: str, sample_index: int) -> ModelSession:
        return ModelSession(self, item)

    async def aclose(self) -> None:
        await self.client.close()
