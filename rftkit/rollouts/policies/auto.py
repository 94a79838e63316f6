"""Pick a policy per row, so a rehearsal works for any tool and never scores a row 0 without saying why.

- the catalog's scripted policy, when the row offers its tool and mistakes were asked for (`error_rate` > 0:
  only the scripted policy makes a base model's mistakes);
- replay, when the row carries `metadata.reference_calls`;
- the scripted policy, when the row offers the catalog tool;
- the schema policy otherwise (its rewards mean nothing: it exercises the tools).

Each rollout's notes say which one played (`notes["policy"]`).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from typing import Any

from rftkit.data.reference_calls import reference_calls
from rftkit.rollouts.policies.replay import ReplayPolicy
from rftkit.rollouts.policies.schema import SchemaPolicy
from rftkit.rollouts.policy import Policy, Session, ToolResult, Turn
from rftkit.rollouts.scripted import ScriptedPolicy
from rftkit.rollouts.tools import row_functions
from rftkit.wire import normalize_item

WHY = {"replay": "the row's reference_calls", "scripted": "the catalog's scripted policy",
       "schema": "calls drawn from the tools' schemas; rewards mean nothing"}


class _Labelled:
    def __init__(self, session: Session, name: str):
        self.session = session
        self.name = name

    async def next_turn(self, results: list[ToolResult]) -> Turn:
        turn = await self.session.next_turn(results)
        return Turn(tool_calls=turn.tool_calls, text=turn.text, notes={**turn.notes, "policy": self.name})


class AutoPolicy:
    name = "auto"

    def __init__(self, scripted: ScriptedPolicy, *, tool_names: Iterable[str] | None = None, seed: int = 0,
                 replay: Policy | None = None, schema: Policy | None = None):
        self.tool_names = set(tool_names) if tool_names is not None else None
        self.policies: dict[str, Policy] = {
            "scripted": scripted, "replay": replay or ReplayPolicy(),
            "schema": schema or SchemaPolicy(seed=seed, tool_names=self.tool_names)}

    def choose(self, item: dict[str, Any]) -> str:
        scripted = self.policies["scripted"]
        catalog = scripted.tool_name in row_functions(item) and (
            self.tool_names is None or scripted.tool_name in self.tool_names)
        if catalog and scripted.error_rate > 0:
            return "scripted"
        if reference_calls(item) is not None:
            return "replay"
        return "scripted" if catalog else "schema"

    def start(self, item: dict[str, Any], *, row_id: str, sample_index: int) -> Session:
        name = self.choose(item)
        return _Labelled(self.policies[name].start(item, row_id=row_id, sample_index=sample_index), name)

    def plan(self, rows: Iterable[dict[str, Any]]) -> Counter[str]:
        """How many rows each policy will play."""
        return Counter(self.choose(normalize_item(row)) for row in rows)

    def describe(self, rows: Iterable[dict[str, Any]]) -> str:
        return "; ".join(f"{name} for {count} row{'s' if count != 1 else ''} ({WHY[name]})"
                         for name, count in sorted(self.plan(rows).items()))
