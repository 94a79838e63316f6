"""The replay policy: a row's reference trajectory, played against the job's real tools, then its reference answer.

Each row's `metadata.reference_calls` are made one per turn, in order, against the job's tool URLs; the final turn
answers `reference_answer`. Every row should earn the grader's top reward: the findings list those that do not —
the reference is unreachable through the tools (a call failed or answered an error) or the grader does not pay
for it — and the rows with no reference trajectory, which are never graded. A check of data, tools and grader
together that needs no model and works for any tool.
"""

from __future__ import annotations

import json
import re
from decimal import Decimal
from typing import Any

from rftkit.data.reference_calls import arguments_text, reference_call_problems, reference_calls
from rftkit.graders.attacks.shape import parse_number
from rftkit.rollouts.episode import GRADED, Episode
from rftkit.rollouts.policy import PolicyError, ToolResult, Turn
from rftkit.rollouts.tools import output_is_error
from rftkit.wire import ToolRequest

NO_REFERENCE = "no_reference_trajectory"
BAD_REFERENCE = "bad_reference_trajectory"


# A number as tool outputs write it: 1,234.5 or 1234.50 (the sign is left out: a filing writes "a loss of 14.2").
_OUTPUT_NUMBER = re.compile(r"(?<![\d.,])(\d{1,3}(?:,\d{3})+|\d+)(\.\d+)?")


def answer_text(reference: Any) -> str:
    return reference if isinstance(reference, str) else json.dumps(reference)


def shows_reference(reference: str, outputs: list[str]) -> bool:
    """Whether a tool output shows the reference: as written, or, for a numeric reference, its digits written
    otherwise (thousands separators, trailing zeros, no sign: `1,234.50` shows `1234.5`; scale words and units are
    not compared, so `1.20` shows `1.2 billion`). Only a note in the report, so a loose match is enough."""
    if any(reference in output for output in outputs):
        return True
    number = parse_number(reference)
    if number is None:
        return False
    wanted = abs(number.value)
    return any(Decimal(m[1].replace(",", "") + (m[2] or "")) == wanted
               for output in outputs for m in _OUTPUT_NUMBER.finditer(output))


class ReplaySession:
    def __init__(self, item: dict[str, Any]):
        self.item = item
        self.calls = reference_calls(item)
        self.problems = reference_call_problems(item) if self.calls is not None else []
        self.index = 0
        self.errors: list[str] = []  # "<turn>:<tool>" of the calls whose output was an error
        self.outputs: list[str] = []

    async def next_turn(self, results: list[ToolResult]) -> Turn:
        if self.calls is None:
            raise PolicyError(NO_REFERENCE, "the row has no metadata.reference_calls to replay")
        if self.problems:
            raise PolicyError(BAD_REFERENCE, "; ".join(self.problems))
        for result in results:
            self.outputs.append(result.output)
            if output_is_error(result.output):
                self.errors.append(f"{self.index}:{result.request.name}")
        if self.index < len(self.calls):
            call = self.calls[self.index]
            self.index += 1
            return Turn(tool_calls=(ToolRequest.new(call["name"], arguments_text(call)),), notes=self._notes())
        return Turn(text=answer_text(self.item.get("reference_answer")), notes=self._notes())

    def _notes(self) -> dict[str, Any]:
        reference = answer_text(self.item.get("reference_answer"))
        return {"replay": {"reference_calls": len(self.calls or []), "error_outputs": list(self.errors),
                           "reference_in_outputs": shows_reference(reference, self.outputs)}}


class ReplayPolicy:
    """Replays `metadata.reference_calls`; a row without them fails its rollout with `no_reference_trajectory`."""

    name = "replay"

    def start(self, item: dict[str, Any], *, row_id: str, sample_index: int) -> ReplaySession:
        return ReplaySession(item)


def _why(episode: Episode, threshold: float) -> str | None:
    """Why a replayed rollout did not earn the top reward, or None when it did."""
    kinds = {err.kind for err in episode.errors}
    if NO_REFERENCE in kinds:
        return None  # listed apart
    if BAD_REFERENCE in kinds:
        return "the reference calls do not fit the row's tools: " + next(
            e.message for e in episode.errors if e.kind == BAD_REFERENCE)
    tool_errors = [e for e in episode.errors if e.stage == "tool"]
    if tool_errors:
        return f"unreachable: a reference call failed ({tool_errors[-1].kind}: {tool_errors[-1].message[:120]})"
    replay = episode.notes.get("replay") or {}
    if replay.get("error_outputs"):
        return f"unreachable: the tool answered a reference call with an error (turn:tool {replay['error_outputs']})"
    if episode.finish_reason == "max_steps":
        return "unreachable: the reference calls need more turns than max_episode_steps"
    if episode.status != GRADED:
        detail = f" ({episode.errors[-1].stage}: {episode.errors[-1].kind})" if episode.errors else ""
        return f"not graded: {episode.status}{detail}"
    if episode.reward is not None and episode.reward < threshold:
        return f"the grader pays {episode.reward:g} for the reference answer, not {threshold:g}"
    return None


def replay_findings(episodes: list[Episode], threshold: float = 1.0) -> dict[str, Any]:
    """Per row: top reward or why not; rows without a reference trajectory; references no tool output shows."""
    by_row: dict[str, list[Episode]] = {}
    for episode in episodes:
        by_row.setdefault(episode.row_id, []).append(episode)
    missing, failing, unseen = [], [], []
    for row_id, row_episodes in by_row.items():
        if any(err.kind == NO_REFERENCE for e in row_episodes for err in e.errors):
            missing.append(row_id)
            continue
        reasons = sorted({why for e in row_episodes if (why := _why(e, threshold))})
        if reasons:
            rewards = [e.reward for e in row_episodes if e.reward is not None]
            failing.append({"row_id": row_id, "reward": min(rewards) if rewards else None, "reasons": reasons})
        elif not all((e.notes.get("replay") or {}).get("reference_in_outputs") for e in row_episodes):
            unseen.append(row_id)
    top = len(by_row) - len(missing) - len(failing)
    return {"rows": len(by_row), "top_reward_rows": top, "threshold": threshold, "not_top": failing,
            "no_reference_trajectory": missing, "reference_not_in_tool_outputs": unseen,
            "ok": not failing and not missing}


def render_replay(findings: dict[str, Any], max_rows: int = 20) -> str:
    lines = [f"Replay: {findings['top_reward_rows']} of {findings['rows']} rows earn the top reward "
             f"(>= {findings['threshold']:g}) with their reference trajectory"]
    for row in findings["not_top"][:max_rows]:
        reward = "-" if row["reward"] is None else f"{row['reward']:g}"
        lines.append(f"  {row['row_id']}: reward {reward}: {'; '.join(row['reasons'])}")
    if len(findings["not_top"]) > max_rows:
        lines.append(f"  ... and {len(findings['not_top']) - max_rows} more rows below the top reward")
    missing = findings["no_reference_trajectory"]
    if missing:
        shown = ", ".join(missing[:max_rows]) + (f" (+{len(missing) - max_rows})" if len(missing) > max_rows else "")
        lines.append(f"  no reference trajectory (metadata.reference_calls), not graded: {len(missing)} rows: {shown}")
    unseen = findings["reference_not_in_tool_outputs"]
    if unseen:
        lines.append(f"  note: paid, but no tool output of the trajectory shows the reference answer: "
                     f"{', '.join(unseen[:max_rows])}")
    return "\n".join(lines)
