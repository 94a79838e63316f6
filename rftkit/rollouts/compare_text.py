"""`compare` as text: the headline numbers, the slices, then the worst regressions with their traces."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .compare import Comparison


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
