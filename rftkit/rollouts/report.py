"""The dry run's report: per-row rewards, always/sometimes/never baseline buckets, tool use, latency and errors."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from rftkit.rollouts.episode import DISCARDED, FAILED, GRADED, TIME_LIMIT, Episode
from rftkit.rollouts.stats import latency_summary, mean, spread

BUCKETS = ("always", "sometimes", "never")
LEARNABLE_BAND_HINT = 0.15  # rule of thumb: 15-30 % of rows in the "sometimes" band


@dataclass
class RowSummary:
    row_id: str
    metadata: dict[str, Any]
    rollouts: int
    rewards: list[float]
    solved: int
    bucket: str  # always | sometimes | never | ungraded

    @property
    def mean(self) -> float | None:
        return mean(self.rewards)

    @property
    def spread(self) -> float | None:
        return spread(self.rewards)

    def to_dict(self) -> dict[str, Any]:
        return {"row_id": self.row_id, "task_type": self.metadata.get("task_type"),
                "difficulty": self.metadata.get("difficulty"), "rollouts": self.rollouts, "graded": len(self.rewards),
                "mean": _r(self.mean), "spread": _r(self.spread), "min": min(self.rewards, default=None),
                "max": max(self.rewards, default=None), "solved": self.solved,
                "solve_rate": _r(self.solved / len(self.rewards)) if self.rewards else None, "bucket": self.bucket}


def _r(value: float | None) -> float | None:
    return None if value is None else round(value, 4)


def _bucket(rewards: list[float], threshold: float) -> tuple[int, str]:
    solved = sum(1 for r in rewards if r >= threshold)
    if not rewards:
        return 0, "ungraded"
    if solved == len(rewards):
        return solved, "always"
    return solved, "sometimes" if solved else "never"


@dataclass
class DryRunReport:
    episodes: list[Episode]
    threshold: float = 1.0
    samples_per_row: int = 1
    concurrency: int = 1
    time_limit: float = 0.0
    wall_seconds: float = 0.0
    policy: str = ""
    grader_type: str = ""
    rows: list[RowSummary] = field(init=False)

    def __post_init__(self) -> None:
        by_row: dict[str, list[Episode]] = {}
        for episode in self.episodes:
            by_row.setdefault(episode.row_id, []).append(episode)
        self.rows = []
        for row_id, episodes in by_row.items():
            rewards = [e.reward for e in episodes if e.status == GRADED and e.reward is not None]
            solved, bucket = _bucket(rewards, self.threshold)
            self.rows.append(RowSummary(row_id, episodes[0].metadata, len(episodes), rewards, solved, bucket))

    # -- aggregates ---------------------------------------------------------------------------------------------
    @property
    def errored(self) -> list[Episode]:
        return [e for e in self.episodes if e.errored]

    @property
    def exit_code(self) -> int:
        """Non-zero when any rollout errored (a tool or grader failure, a policy failure, the time limit)."""
        return 1 if self.errored else 0

    def status_counts(self) -> dict[str, int]:
        counts = Counter(e.status for e in self.episodes)
        return {s: counts.get(s, 0) for s in (GRADED, DISCARDED, FAILED, TIME_LIMIT)}

    def error_counts(self) -> dict[str, int]:
        """Failed requests by `stage:kind`, every attempt counted (e.g. `tool:http_503`, `grader:timeout`)."""
        return dict(Counter(err.key for e in self.episodes for err in e.errors).most_common())

    def error_examples(self) -> dict[str, str]:
        """The first message of each `stage:kind`: it names the URL and, for the usual causes, the fix."""
        examples: dict[str, str] = {}
        for err in (err for e in self.episodes for err in e.errors):
            examples.setdefault(err.key, err.message)
        return examples

    def buckets(self) -> dict[str, Any]:
        counts = Counter(r.bucket for r in self.rows)
        graded_rows = sum(counts[b] for b in BUCKETS)
        shares = {b: _r(counts[b] / graded_rows) if graded_rows else None for b in BUCKETS}
        return {"threshold": self.threshold, "rows": graded_rows, "ungraded_rows": counts.get("ungraded", 0),
                "counts": {b: counts[b] for b in BUCKETS}, "shares": shares, "learnable_share": shares["sometimes"]}

    def tool_calls(self) -> dict[str, Any]:
        counts = [len(e.tool_calls) for e in self.episodes if e.status == GRADED]
        histogram = Counter(counts)
        return {"per_rollout_mean": _r(mean(counts)), "max": max(counts, default=None),
                "histogram": {str(k): histogram[k] for k in sorted(histogram)}}

    def latency_ms(self) -> dict[str, Any]:
        calls = [(c.name, c.latency_ms) for e in self.episodes for c in e.tool_calls if c.latency_ms is not None]
        grader = [e.grader.latency_ms for e in self.episodes if e.grader and e.grader.latency_ms is not None]
        by_tool: dict[str, list[float]] = {}
        for name, latency in calls:
            by_tool.setdefault(name, []).append(latency)
        per_tool = {f"tool:{name}": latency_summary(values) for name, values in sorted(by_tool.items())
                    } if len(by_tool) > 1 else {}  # one tool: the "tool" line says it all
        return {"tool": latency_summary([latency for _, latency in calls]), **per_tool,
                "grader": latency_summary(grader)}

    def summary(self) -> dict[str, Any]:
        rewards = [e.reward for e in self.episodes if e.status == GRADED and e.reward is not None]
        return {
            "rollouts": len(self.episodes), "rows": len(self.rows), "samples_per_row": self.samples_per_row,
            "policy": self.policy, "grader": self.grader_type, "concurrency": self.concurrency,
            "time_limit_s": self.time_limit, "wall_s": round(self.wall_seconds, 3),
            "status": self.status_counts(), "rollouts_with_errors": len(self.errored),
            "mean_reward": _r(mean(rewards)), "reward_spread": _r(spread(rewards)),
            "baseline": self.buckets(), "tool_calls": self.tool_calls(), "latency_ms": self.latency_ms(),
            "errors": self.error_counts(), "error_examples": self.error_examples(),
            # Endpoint graders may score on their own scale (Azure's sample: 0-5): counted, never refused.
            "rewards_outside_0_1": sum(1 for r in rewards if not 0.0 <= r <= 1.0),
        }

    def to_dict(self, include_episodes: bool = False) -> dict[str, Any]:
        data: dict[str, Any] = {"summary": self.summary(), "rows": [r.to_dict() for r in self.rows]}
        if include_episodes:
            data["episodes"] = [e.to_dict() for e in self.episodes]
        return data

    def render(self, max_rows: int = 10) -> str:
        return render_report(self, max_rows)



def _num(value: Any, digits: int = 3) -> str:
    if value is None:
        return "-"
    return f"{value:.{digits}f}" if isinstance(value, float) else str(value)


def _pct(share: float | None) -> str:
    return "-" if share is None else f"{share * 100:.1f} %"


def _baseline_lines(report: DryRunReport) -> list[str]:
    b = report.buckets()
    lines = [f"Baseline (solved = reward >= {report.threshold:g}; per row over its graded rollouts):"]
    for name in BUCKETS:
        marker = "  <- learnable band" if name == "sometimes" else ""
        lines.append(f"  {name:<10}{b['counts'][name]:>5}  {_pct(b['shares'][name]):>8}{marker}")
    if b["ungraded_rows"]:
        lines.append(f"  {'ungraded':<10}{b['ungraded_rows']:>5}  (no rollout of the row was graded)")
    if report.samples_per_row < 2:
        lines.append("  note: with 1 sample per row a row can only be always or never solved; "
                     "use --samples-per-row 5 or more to see the learnable band")
    elif b["learnable_share"] is not None and b["learnable_share"] < LEARNABLE_BAND_HINT:
        lines.append(f"  warning: under {LEARNABLE_BAND_HINT:.0%} of rows are sometimes solved: RFT has little "
                     "signal to learn from (check the base model's prior first)")
    return lines


def _row_lines(report: DryRunReport, max_rows: int) -> list[str]:
    rows = sorted(report.rows, key=lambda r: (r.mean if r.mean is not None else -1.0, r.row_id))[:max_rows]
    if not rows:
        return []
    lines = [f"Rows, lowest mean reward first ({len(rows)} of {len(report.rows)}):",
             f"  {'row':<16}{'task_type':<18}{'difficulty':<11}{'n':>3}{'mean':>7}{'spread':>8}{'solved':>8}  bucket"]
    for r in rows:
        d = r.to_dict()
        lines.append(f"  {r.row_id[:15]:<16}{str(d['task_type'] or '-')[:17]:<18}{str(d['difficulty'] or '-')[:10]:<11}"
                     f"{d['graded']:>3}{_num(d['mean']):>7}{_num(d['spread']):>8}{d['solved']:>5}/{d['graded']:<2}"
                     f"  {r.bucket}")
    return lines


def render_report(report: DryRunReport, max_rows: int = 10) -> str:
    s = report.summary()
    status = s["status"]
    rate = s["rollouts"] / s["wall_s"] if s["wall_s"] else 0.0
    lines = [
        f"Dry run: {s['rollouts']} rollouts ({s['rows']} rows x {s['samples_per_row']}), policy {s['policy']}, "
        f"grader {s['grader']}, concurrency {s['concurrency']}: {s['wall_s']:.2f} s ({rate:.1f} rollouts/s)",
        f"Status: {status['graded']} graded, {status['discarded']} discarded, {status['failed']} failed, "
        f"{status['time_limit']} over the time limit; {s['rollouts_with_errors']} with errors",
        f"Reward: mean {_num(s['mean_reward'])}, spread {_num(s['reward_spread'])} over {status['graded']} graded",
        *_baseline_lines(report),
    ]
    if s["rewards_outside_0_1"]:
        lines.append(f"  note: {s['rewards_outside_0_1']} graded rollouts scored outside [0, 1]: the grader uses "
                     "its own scale (the service accepts it); set --threshold on that scale")
    t = s["tool_calls"]
    histogram = "  ".join(f"{k}:{v}" for k, v in t["histogram"].items()) or "-"
    lines.append(f"Tool calls per graded rollout: mean {_num(t['per_rollout_mean'], 2)}, max {_num(t['max'])}; "
                 f"rollouts by calls  {histogram}")
    lines.append(f"Latency ms     {'p50':>8}{'p95':>9}{'p99':>9}{'max':>9}{'n':>7}")
    for name, lat in s["latency_ms"].items():
        name = f"  {name[5:]}" if name.startswith("tool:") else name  # one tool's calls, under all of them
        lines.append(f"  {name:<12}{_num(lat['p50'], 1):>8}{_num(lat['p95'], 1):>9}{_num(lat['p99'], 1):>9}"
                     f"{_num(lat['max'], 1):>9}{lat['n']:>7}")
    errors = s["errors"]
    lines.append("Errors (failed requests by stage:kind, retries included): "
                 + (", ".join(f"{k} x{v}" for k, v in errors.items()) if errors else "none"))
    lines.extend(f"  {key}, first: {message}" for key, message in s["error_examples"].items())
    lines.extend(_row_lines(report, max_rows))
    return "\n".join(lines)
