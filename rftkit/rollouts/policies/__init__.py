"""Policies that work for any tool: replay a row's reference trajectory, or draw calls from the tools' schemas;
`AutoPolicy` picks one per row (the stand-in's dry-run jobs use it)."""

from __future__ import annotations

from rftkit.rollouts.policies.auto import AutoPolicy
from rftkit.rollouts.policies.replay import ReplayPolicy, render_replay, replay_findings
from rftkit.rollouts.policies.schema import SchemaPolicy, render_schema, schema_findings

__all__ = ["AutoPolicy", "ReplayPolicy", "SchemaPolicy", "render_replay", "render_schema", "replay_findings",
           "schema_findings"]
