"""One grading's outcome, and the service's `graders/run` response built from it.

The response mirrors `POST /fine_tuning/alpha/graders/run` (openai-python `GraderRunResponse`): `reward`,
`metadata` {name, type, errors, execution_time, scores, token_usage, sampled_model_name}, `sub_rewards` and
`model_grader_token_usage_per_model`. `metadata.errors` carries every flag the service defines. One key is local:
`metadata.error_messages`, a readable sentence per error, since the service's flags alone do not say what went wrong.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

ERROR_FLAGS = (
    "formula_parse_error", "sample_parse_error", "truncated_observation_error", "unresponsive_reward_error",
    "invalid_variable_error", "other_error", "python_grader_server_error", "python_grader_runtime_error",
    "model_grader_server_error", "model_grader_refusal_error", "model_grader_parse_error",
)
ERROR_DETAILS = ("python_grader_server_error_type", "python_grader_runtime_error_details",
                 "model_grader_server_error_details")


def no_errors() -> dict[str, Any]:
    errors: dict[str, Any] = dict.fromkeys(ERROR_FLAGS, False)
    errors.update(dict.fromkeys(ERROR_DETAILS))
    return errors


@dataclass
class Outcome:
    """What grading one sample produced, before it is shaped as a response."""

    reward: float = 0.0
    errors: dict[str, Any] = field(default_factory=no_errors)
    messages: list[str] = field(default_factory=list)
    scores: dict[str, Any] = field(default_factory=dict)
    sub_rewards: dict[str, Any] = field(default_factory=dict)

    @property
    def failed(self) -> bool:
        return bool(self.messages)

    def fail(self, flag: str, message: str, **details: str) -> Outcome:
        """Record an error: its service flag, a readable message, and any `*_details` / `*_type` field."""
        self.errors[flag] = True
        self.errors.update(details)
        self.messages.append(message)
        return self

    def absorb(self, other: Outcome, prefix: str) -> None:
        """Take a sub-grader's errors (a multi grader fails when one of its graders does)."""
        for flag in ERROR_FLAGS:
            self.errors[flag] = self.errors[flag] or other.errors[flag]
        for key in ERROR_DETAILS:
            self.errors[key] = self.errors[key] or other.errors[key]
        self.messages.extend(f"{prefix}: {message}" for message in other.messages)


def response(grader: Any, outcome: Outcome, execution_time: float) -> dict[str, Any]:
    """The `graders/run` response for `grader` (a dict, or anything else when the grader itself is broken)."""
    name = grader.get("name") if isinstance(grader, dict) else None
    kind = grader.get("type") if isinstance(grader, dict) else None
    return {
        "reward": float(outcome.reward),
        "metadata": {
            "name": name if isinstance(name, str) else "",
            "type": kind if isinstance(kind, str) else "",
            "errors": outcome.errors,
            "execution_time": execution_time,
            "scores": outcome.scores,
            "token_usage": None,
            "sampled_model_name": None,
            "error_messages": outcome.messages,
        },
        "sub_rewards": outcome.sub_rewards,
        "model_grader_token_usage_per_model": {},
    }
