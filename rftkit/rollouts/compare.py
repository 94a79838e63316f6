"""Compare two episode files per row (evaluate the tuned model): base model vs tuned checkpoint, same rows.

A row's reward and tool calls are the means over its graded rollouts. Rows are matched by `row_id`; rows only
in one file, or never graded in one of them, are listed apart and left out of the numbers.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rftkit.rollouts.episode import GRADED, Episode, read_episodes
from rftkit.rollouts.stats import mean

SLICE_KEYS = ("task_type", "difficulty")
EPSILON = 1e-9  # reward differences below this are "unchanged"


@dataclass
class RowDiff:
    row_id: str
    metadata: dict[str, Any]
    base_reward: float
    tuned_reward: float
    base_tools: float
    tuned_tools: float
    base_worst: Episode
    tuned_worst: Episode

    @property
    def d_reward(self) -> float:
        return self.tuned_reward - self.base_reward

    @property
    def d_tools(self) -> float:
        return self.tuned_tools - self.base_tools

    @property
    def outcome(self) -> str:
        if self.d_reward > EPSILON:
            return "improved"
        return "regressed" if self.d_reward < -EPSILON else "unchanged"


def _graded_by_row(episodes: list[Episode]) -> tuple[dict[str, list[Episode]], set[str]]:
    graded: dict[str, list[Episode]] = {}
    seen: set[str] = set()
    for e in episodes:
        seen.add(e.row_id)
        if e.status == GRADED and e.reward is not None:
            graded.setdefault(e.row_id, []).append(e)
    return graded, seen


def _counts(diffs: list[RowDiff]) -> dict[str, int]:
    return {k: sum(1 for d in diffs if d.outcome == k) for k in ("improved", "regressed", "unchanged")}


def _aggregate(diffs: list[RowDiff]) -> dict[str, Any]:
    return {"rows": len(diffs),
            "base_mean_reward": _r(mean([d.base_reward for d in diffs])),
            "tuned_mean_reward": _r(mean([d.tuned_reward for d in diffs])),
            "mean_d_reward": _r(mean([d.d_reward for d in diffs])),
            "mean_d_tool_calls": _r(mean([d.d_tools for d in diffs])),
            **_counts(diffs)}


def _r(value: float | None) -> float | None:
    return None if value is None else round(value, 4)


def output_preview(output: str, chars: int = 160) -> str:
    """A tool output in one line: the SKUs of a search result, an error's kind and message, else its start."""
    try:
        payload = json.loads(output)
    except (TypeError, ValueError):
        return output[:chars]
    if isinstance(payload, dict) and isinstance(payload.get("items"), list):
        skus = [str(i.get("sku")) for i in payload["items"] if isinstance(i, dict)]
        total = payload.get("total", len(skus))
        return f"{total} match(es): {', '.join(skus[:5])}{' ...' if len(skus) > 5 else ''}"[:chars]
    if isinstance(payload, dict) and "error" in payload:
        return f"error: {payload.get('error')}: {payload.get('message', '')}"[:chars]
    return output[:chars]


def trace_of(episode: Episode) -> dict[str, Any]:
    """A rollout's trace for reading: its trace_id, each tool call with arguments and output, the answer."""
    return {"trace_id": episode.trace_id, "sample_index": episode.sample_index, "reward": episode.reward,
            "tool_calls": [{"name": c.name, "arguments": c.arguments, "output": output_preview(c.output),
                            "status_code": c.status_code} for c in episode.tool_calls],
            "final_answer": episode.final_answer}


@dataclass
class Comparison:
    diffs: list[RowDiff]
    only_base: list[str] = field(default_factory=list)
    only_tuned: list[str] = field(default_factory=list)
    ungraded: list[str] = field(default_factory=list)  # in both files but not graded in one of them

    def summary(self) -> dict[str, Any]:
        return _aggregate(self.diffs)

    def slices(self, key: str) -> dict[str, dict[str, Any]]:
        groups: dict[str, list[RowDiff]] = {}
        for d in self.diffs:
            groups.setdefault(str(d.metadata.get(key, "-")), []).append(d)
        return {name: _aggregate(groups[name]) for name in sorted(groups)}

    def worst_regressions(self, top: int = 5) -> list[RowDiff]:
        regressed = [d for d in self.diffs if d.outcome == "regressed"]
        return sorted(regressed, key=lambda d: (d.d_reward, d.row_id))[:top]

    def to_dict(self, top: int = 5) -> dict[str, Any]:
        return {
            "summary": self.summary(),
            "slices": {key: self.slices(key) for key in SLICE_KEYS},
            "worst_regressions": [
                {"row_id": d.row_id, "d_reward": _r(d.d_reward), "d_tool_calls": _r(d.d_tools),
                 "base_reward": _r(d.base_reward), "tuned_reward": _r(d.tuned_reward),
                 "prompt": d.tuned_worst.prompt, "reference_answer": d.tuned_worst.reference_answer,
                 "base_trace": trace_of(d.base_worst), "tuned_trace": trace_of(d.tuned_worst)}
                for d in self.worst_regressions(top)],
            "rows": [{"row_id": d.row_id, "base_reward": _r(d.base_reward), "tuned_reward": _r(d.tuned_reward),
                      "d_reward": _r(d.d_reward), "d_tool_calls": _r(d.d_tools), "outcome": d.outcome}
                     for d in self.diffs],
            "only_base": self.only_base, "only_tuned": self.only_tuned, "ungraded": self.ungraded,
        }

    def render(self, top: int = 5) -> str:
        return render_comparison(self, top)


def compare_episodes(base: list[Episode], tuned: list[Episode]) -> Comparison:
    base_graded, base_seen = _graded_by_row(base)
    tuned_graded, tuned_seen = _graded_by_row(tuned)
    diffs = []
    for row_id in sorted(base_seen & tuned_seen):
        b, t = base_graded.get(row_id), tuned_graded.get(row_id)
        if not b or not t:
            continue
        diffs.append(RowDiff(
            row_id=row_id, metadata=b[0].metadata or t[0].metadata,
            base_reward=mean([e.reward for e in b]), tuned_reward=mean([e.reward for e in t]),
            base_tools=mean([len(e.tool_calls) for e in b]), tuned_tools=mean([len(e.tool_calls) for e in t]),
            base_worst=min(b, key=lambda e: e.reward), tuned_worst=min(t, key=lambda e: e.reward)))
    matched = {d.row_id for d in diffs}
    return Comparison(diffs, only_base=sorted(base_seen - tuned_seen), only_tuned=sorted(tuned_seen - base_seen),
                      ungraded=sorted((base_seen & tuned_seen) - matched))


def compare_files(base_path: Path, tuned_path: Path) -> Comparison:
    return compare_episodes(read_episodes(Path(base_path)), read_episodes(Path(tuned_path)))



def _signed(value: float | None, digits: int = 3) -> str:
    return "-" if value is None else f"{value:+.{digits}f}"


def _plain(value: float | None, digits: int = 3) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def _slice_lines(key: str, slices: dict[str, dict[str, Any]]) -> list[str]:
    lines = [f"By {key}:", f"  {'slice':<20}{'rows':>5}{'base':>8}{'tuned':>8}{'Δreward':>9}{'Δtools':>8}"
             f"{'improved':>10}{'regressed':>11}{'unchanged':>11}"]
    for name, s in slices.items():
        lines.append(f"  {name[:19]:<20}{s['rows']:>5}{_plain(s['base_mean_reward']):>8}"
                     f"{_plain(s['tuned_mean_reward']):>8}{_signed(s['mean_d_reward']):>9}"
                     f"{_signed(s['mean_d_tool_calls'], 2):>8}{s['improved']:>10}{s['regressed']:>11}"
                     f"{s['unchanged']:>11}")
    return lines


def render_comparison(comparison: Comparison, top: int = 5) -> str:
    data = comparison.to_dict(top)
    s = data["summary"]
    n = s["rows"]
    lines = [
        f"Rows compared: {n} (base mean reward {_plain(s['base_mean_reward'])}, tuned "
        f"{_plain(s['tuned_mean_reward'])})",
        f"mean Δreward: {_signed(s['mean_d_reward'])}   mean Δtools: {_signed(s['mean_d_tool_calls'], 2)}",
        f"improved: {s['improved']}/{n}   regressed: {s['regressed']}/{n}   unchanged: {s['unchanged']}/{n}",
    ]
    for label, ids in (("only in base", data["only_base"]), ("only in tuned", data["only_tuned"]),
                       ("not graded in one file", data["ungraded"])):
        if ids:
            shown = ", ".join(ids[:10]) + (" ..." if len(ids) > 10 else "")
            lines.append(f"Left out, {label}: {len(ids)} ({shown})")
    for key, slices in data["slices"].items():
        lines.extend(_slice_lines(key, slices))
    regressions = data["worst_regressions"]
    lines.append(f"Worst regressions ({len(regressions)} shown):" if regressions else "Worst regressions: none")
    for r in regressions:
        lines.append(f"=== {r['row_id']}  Δreward={_signed(r['d_reward'], 2)}  Δtools={_signed(r['d_tool_calls'], 1)}"
                     f"  (base {_plain(r['base_reward'], 2)} -> tuned {_plain(r['tuned_reward'], 2)})")
        lines.append(f"  PROMPT: {r['prompt']}")
        lines.append(f"  REFERENCE: {r['reference_answer']}")
        for label, trace in (("base", r["base_trace"]), ("tuned", r["tuned_trace"])):
            lines.append(f"  {label} trace {trace['trace_id']} (sample {trace['sample_index']}, "
                         f"reward {_plain(trace['reward'], 2)}):")
            for call in trace["tool_calls"]:
                lines.append(f"    → {call['name']}({call['arguments']})")
                lines.append(f"    ← {call['output']}")
            lines.append(f"    [answer] {trace['final_answer'][:160]}")
    return "\n".join(lines)
