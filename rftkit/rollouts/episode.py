"""One rollout's record (an episode capture): what was asked, every tool call, the answer, the reward.

`--episodes FILE` writes one `Episode.to_dict()` per line; `compare` reads them back with `read_episodes`.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

# Episode.status values.
GRADED = "graded"          # the grader answered: `reward` is set
DISCARDED = "discarded"    # a tool 5xx/timeout or the grader failed after retries: the service drops such rollouts
FAILED = "failed"          # the policy itself failed (e.g. the model API errored)
TIME_LIMIT = "time_limit"  # not finished within the run's total time bound
PENDING = "pending"


@dataclass
class ErrorRecord:
    """`stage` is tool | grader | policy | runner; `kind` is e.g. http_503, timeout, connection_error,
    malformed_output, response_too_large, or a grader engine error flag."""

    stage: str
    kind: str
    message: str
    attempt: int = 1

    @property
    def key(self) -> str:
        return f"{self.stage}:{self.kind}"


@dataclass
class RolloutToolCall:
    call_id: str
    id: str
    name: str
    arguments: str
    output: str = ""
    latency_ms: float | None = None  # the final attempt's round trip
    status_code: int | None = None
    attempts: int = 0
    ok: bool = False  # a 200 with a well-formed function_call_output
    turn: int = 0


@dataclass
class GraderRecord:
    """The reward and where its details come from.

    `details_source`:
    - "explain_call": a *separate* `POST url?explain=true` made after the scored request (endpoint grader, only when
      episodes are captured); the scored request itself is the service's exact plain POST.
    - "engine_metadata": the local grader engine's `metadata` (built-in graders).
    - None: no details.
    """

    type: str
    name: str | None = None
    latency_ms: float | None = None
    status_code: int | None = None
    attempts: int = 0
    details: dict[str, Any] | None = None
    details_source: str | None = None
    sub_rewards: dict[str, Any] | None = None


@dataclass
class Episode:
    row_id: str
    sample_index: int
    trace_id: str
    policy: str
    metadata: dict[str, Any] = field(default_factory=dict)
    prompt: str = ""
    reference_answer: Any = None
    status: str = PENDING
    steps: int = 0
    finish_reason: str | None = None  # stop | tool_calls | max_steps
    tool_calls: list[RolloutToolCall] = field(default_factory=list)
    final_answer: str = ""
    reward: float | None = None
    grader: GraderRecord | None = None
    errors: list[ErrorRecord] = field(default_factory=list)
    notes: dict[str, Any] = field(default_factory=dict)
    duration_ms: float | None = None

    @property
    def errored(self) -> bool:
        return bool(self.errors)

    def add_error(self, stage: str, kind: str, message: str, attempt: int = 1) -> None:
        self.errors.append(ErrorRecord(stage, kind, message[:500], attempt))

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Episode:
        known = {k: v for k, v in data.items() if k in cls.__dataclass_fields__}
        known["tool_calls"] = [RolloutToolCall(**c) for c in known.get("tool_calls") or []]
        known["errors"] = [ErrorRecord(**e) for e in known.get("errors") or []]
        if isinstance(known.get("grader"), dict):
            known["grader"] = GraderRecord(**known["grader"])
        return cls(**known)


def write_episodes(path: Path, episodes: Iterable[Episode]) -> int:
    count = 0
    with path.open("w", encoding="utf-8") as f:
        for episode in episodes:
            f.write(json.dumps(episode.to_dict(), ensure_ascii=False) + "\n")
            count += 1
    return count


def iter_episodes(path: Path) -> Iterator[Episode]:
    """Episodes from a JSONL file; a bad line raises ValueError naming it."""
    with path.open(encoding="utf-8") as f:
        for lineno, line in enumerate(f, start=1):
            if not line.strip():
                continue
            try:
                yield Episode.from_dict(json.loads(line))
            except (ValueError, TypeError) as exc:
                raise ValueError(f"{path}:{lineno}: not an episode record: {exc}") from exc


def read_episodes(path: Path) -> list[Episode]:
    return list(iter_episodes(path))
