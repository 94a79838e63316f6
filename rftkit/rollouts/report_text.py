"""The dry-run report as text for a terminal or a notebook cell."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .report import BUCKETS, LEARNABLE_BAND_HINT

if TYPE_CHECKING:
    from .report import DryRunReport


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
