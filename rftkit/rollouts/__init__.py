"""Rollout dry runs: play rollouts against the tool and grader URLs exactly as the training service does.

    report = await run_rollouts(rows, tools=[{"name": "search_catalog", "server_url": url}],
                                grader={"type": "endpoint", "url": score_url}, policy=ScriptedPolicy())
    print(report.render())

`compare_files(base, tuned)` diffs two episode files (base model vs tuned checkpoint).
"""

from __future__ import annotations

from rftkit.rollouts.compare import Comparison, compare_episodes, compare_files
from rftkit.rollouts.episode import Episode, ErrorRecord, GraderRecord, RolloutToolCall, read_episodes, write_episodes
from rftkit.rollouts.model_policy import ModelPolicy, responses_input, responses_tools
from rftkit.rollouts.policy import Policy, PolicyError, Session, ToolResult, Turn
from rftkit.rollouts.report import DryRunReport, RowSummary
from rftkit.rollouts.request_parser import SearchPlan, Vocabulary, parse_request
from rftkit.rollouts.runner import run_rollouts
from rftkit.rollouts.scripted import ScriptedPolicy
from rftkit.wire import ToolRequest, build_sample, grader_body, new_trace_id, normalize_item, tool_call_body

__all__ = [
    "Comparison", "DryRunReport", "Episode", "ErrorRecord", "GraderRecord", "ModelPolicy", "Policy", "PolicyError",
    "RowSummary", "ScriptedPolicy", "SearchPlan", "Session", "RolloutToolCall", "ToolRequest", "ToolResult", "Turn",
    "Vocabulary", "build_sample", "compare_episodes", "compare_files", "grader_body",
    "new_trace_id", "normalize_item", "parse_request", "read_episodes", "responses_input", "responses_tools",
    "run_rollouts", "tool_call_body", "write_episodes",
]
