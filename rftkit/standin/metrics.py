"""Metrics of a dry-run step, shaped like the service's RFT `metrics` events.

See docs/service-contract.md#files-job-statuses-and-monitoring.

`train_mean_reward` is the mean over this step's rollouts; `full_valid_mean_reward` the mean over every validation
rollout so far (the whole validation set at the last step). Discarded rollouts (a tool or grader failure after
retries) are left out of the means, as the service drops them.
"""

from __future__ import annotations

from statistics import fmean
from typing import Any

from rftkit.rollouts.episode import GRADED, Episode

MAX_TRACE_IDS = 1_000  # the service's validation-row limit: every rollout of a step fits


def _mean(values: list[float]) -> float | None:
    return round(fmean(values), 6) if values else None


def _rewards(episodes: list[Episode], key: str | None = None) -> list[float]:
    """Graded rewards, or one sub-grader's rewards (a multi grader's `sub_rewards[key]`)."""
    values = []
    for e in episodes:
        if e.status != GRADED or e.reward is None:
            continue
        if key is None:
            values.append(e.reward)
        elif e.grader and isinstance((e.grader.sub_rewards or {}).get(key), (int, float)):
            values.append(float(e.grader.sub_rewards[key]))
    return values


def _grader_scores(grader: dict[str, Any], step: list[Episode], so_far: list[Episode]) -> list[dict[str, Any]]:
    if grader.get("type") == "multi" and isinstance(grader.get("graders"), dict):
        parts = [(key, sub) for key, sub in grader["graders"].items() if isinstance(sub, dict)]
    else:
        parts = [(None, grader)]
    return [{"name": sub.get("name") or key, "type": sub.get("type"),
             "train_reward_mean": _mean(_rewards(step, key)), "valid_reward_mean": _mean(_rewards(so_far, key))}
            for key, sub in parts]


def _rollout_counts(episodes: list[Episode]) -> dict[str, Any]:
    calls = [c for e in episodes for c in e.tool_calls]
    return {"played": len(episodes), "graded": sum(e.status == GRADED for e in episodes),
            "discarded": sum(e.status != GRADED for e in episodes), "tool_calls": len(calls),
            "tool_call_errors": sum(not c.ok for c in calls),
            "tool_calls_per_rollout": round(len(calls) / len(episodes), 3) if episodes else 0.0,
            # Each rollout's trace_id, to find its calls in the tool's and grader's logs.
            "trace_ids": [e.trace_id for e in episodes[:MAX_TRACE_IDS]]}


def step_metrics(step: int, total_steps: int, grader: dict[str, Any], step_episodes: list[Episode],
                 so_far: list[Episode]) -> tuple[str, dict[str, Any]]:
    """(message, data) of one `metrics` event."""
    train, valid = _mean(_rewards(step_episodes)), _mean(_rewards(so_far))
    parse_errors = [any(err.kind == "sample_parse_error" for err in e.errors) for e in so_far]
    data = {
        "step": step, "total_steps": total_steps,
        "train_mean_reward": train, "full_valid_mean_reward": valid,
        "full_valid_mean_parse_error": _mean([float(x) for x in parse_errors]) or 0.0,
        "reasoning_tokens_mean": 0.0, "completion_tokens_mean": 0.0,  # a scripted policy uses no tokens
        "scores": {"train_reward_mean": train, "valid_reward_mean": valid,
                   "graders": _grader_scores(grader, step_episodes, so_far)},
        "usage": {}, "errors": {}, "timing": {},
        "dry_run": True, "rollouts": _rollout_counts(step_episodes),
    }
    shown = lambda v: "n/a" if v is None else f"{v:.4f}"  # noqa: E731
    message = (f"Step {step}/{total_steps} , train mean reward={shown(train)}, "
               f"full validation mean reward={shown(valid)} (dry run)")
    return message, data
