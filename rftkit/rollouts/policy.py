"""What a policy is to the runner: per rollout, a session that answers each turn with tool calls or a message."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

from rftkit.wire import ToolRequest


@dataclass(frozen=True)
class ToolResult:
    """A tool call and the `output` string the model gets back (a tool's error payload included)."""

    request: ToolRequest
    output: str


@dataclass(frozen=True)
class Turn:
    """One assistant turn: tool calls to run (several = parallel calls), or the final message `text`."""

    tool_calls: tuple[ToolRequest, ...] = ()
    text: str = ""
    notes: dict[str, Any] = field(default_factory=dict)  # policy-side facts worth keeping in the episode

    @property
    def is_final(self) -> bool:
        return not self.tool_calls


class PolicyError(Exception):
    """The policy itself failed (e.g. the model API answered 429/500): recorded as a `policy` error."""

    def __init__(self, kind: str, message: str):
        super().__init__(message)
        self.kind = kind


class Session(Protocol):
    async def next_turn(self, results: list[ToolResult]) -> Turn:
        """`results` are the outputs of the previous turn's tool calls (empty on the first turn)."""
        ...


class Policy(Protocol):
    name: str

    def start(self, item: dict[str, Any], *, row_id: str, sample_index: int) -> Session:
        """A fresh session for one rollout of `item` (the row as the service normalizes it)."""
        ...
