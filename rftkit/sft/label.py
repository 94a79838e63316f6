"""Label captured episodes (`dry-run --episodes FILE`) with a reward and a reason, in place.

Each episode line gains `label: {reward, reason, source, labelled_at}`; `source` is `grader:<name>` or `human`.
A person's label is never overwritten by a grader run. Every other key of a line is kept as it was. The file is
rewritten atomically (a temp file in the same folder, then `os.replace`), and not at all when a line is bad.
"""

from __future__ import annotations

import asyncio
import json
import math
import os
import tempfile
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from rftkit.rollouts.episode import GRADED, Episode

HUMAN = "human"


@dataclass
class EpisodeLine:
    number: int
    data: dict[str, Any]  # the line as read: unknown keys (e.g. `label`) survive the rewrite
    episode: Episode


@dataclass
class LabelSummary:
    labelled: int = 0
    kept_human: int = 0
    ungraded: int = 0  # discarded / failed episodes: labelled 0 without calling the grader
    errors: list[str] = field(default_factory=list)

    def render(self) -> str:
        text = f"labelled {self.labelled} episode(s)"
        if self.kept_human:
            text += f"; kept {self.kept_human} human label(s)"
        if self.ungraded:
            text += f"; {self.ungraded} not graded (discarded or failed: reward 0)"
        return text + "".join(f"\n  {e}" for e in self.errors)


def read_lines(path: Path) -> list[EpisodeLine]:
    """Every episode of the file; ValueError naming `file:line` for the first bad one."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ValueError(f"cannot read {path}: {exc}") from exc
    lines = []
    for number, raw in enumerate(text.splitlines(), start=1):
        if not raw.strip():
            continue
        try:
            data = json.loads(raw)
            if not isinstance(data, dict):
                raise ValueError(f"a JSON object is needed, not {type(data).__name__}")
            episode = Episode.from_dict(data)
        except (ValueError, TypeError) as exc:
            raise ValueError(f"{path}:{number}: not an episode record: {exc}") from exc
        if "label" in data and label_problem(data["label"]):
            raise ValueError(f"{path}:{number}: bad label: {label_problem(data['label'])}")
        lines.append(EpisodeLine(number, data, episode))
    return lines


def label_problem(label: Any) -> str | None:
    if not isinstance(label, dict):
        return "must be an object {reward, reason, source, labelled_at}"
    reward = label.get("reward")
    if isinstance(reward, bool) or not isinstance(reward, (int, float)) or not math.isfinite(reward):
        return f"reward must be a number, not {reward!r}"
    if not isinstance(label.get("source"), str):
        return "source must be 'human' or 'grader:<name>'"
    return None


def write_lines(path: Path, lines: list[EpisodeLine]) -> None:
    """Atomic: the new text goes to a temp file beside `path`, then replaces it in one step."""
    handle, temp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as f:
            for line in lines:
                f.write(json.dumps(line.data, ensure_ascii=False) + "\n")
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


def make_label(reward: float, reason: str, source: str) -> dict[str, Any]:
    return {"reward": float(reward), "reason": reason, "source": source,
            "labelled_at": datetime.now(timezone.utc).isoformat(timespec="seconds")}


def effective_reward(data: dict[str, Any]) -> float | None:
    """The label's reward when there is one, else the episode's own."""
    label = data.get("label")
    if isinstance(label, dict) and label_problem(label) is None:
        return float(label["reward"])
    reward = data.get("reward")
    return float(reward) if isinstance(reward, (int, float)) and not isinstance(reward, bool) else None


def find(lines: list[EpisodeLine], episode_id: str) -> EpisodeLine:
    """An episode by its trace_id, `row_id:sample_index`, or a row id that has one episode only."""
    matches = [line for line in lines if line.episode.trace_id == episode_id
               or f"{line.episode.row_id}:{line.episode.sample_index}" == episode_id]
    if not matches:
        matches = [line for line in lines if line.episode.row_id == episode_id]
        if len(matches) > 1:
            raise ValueError(f"row {episode_id!r} has {len(matches)} episodes: name one by trace_id or "
                             f"'{episode_id}:<sample_index>'")
    if not matches:
        raise ValueError(f"no episode {episode_id!r} (give a trace_id, row_id:sample_index or a row id)")
    return matches[0]


def label_by_hand(path: Path, episode_id: str, reward: float, reason: str) -> EpisodeLine:
    """A person's judgement: it overrides any grader label, and later grader runs keep it."""
    if not math.isfinite(reward) or not 0.0 <= reward <= 1.0:
        raise ValueError(f"reward must be between 0 and 1, not {reward}")
    if not reason.strip():
        raise ValueError("say why: --reason must not be empty")
    lines = read_lines(path)
    line = find(lines, episode_id)
    line.data["label"] = make_label(reward, reason.strip(), HUMAN)
    write_lines(path, lines)
    return line


def _item(episode: Episode, rows: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """The dataset row the grader sees: the real one from `--data`, else what the episode recorded of it."""
    from rftkit.wire import normalize_item

    row = rows.get(episode.row_id)
    if row is not None:
        return normalize_item(row)
    return {"id": episode.row_id, "reference_answer": episode.reference_answer, "metadata": episode.metadata}


def _reason(scratch: Episode) -> str:
    record = scratch.grader
    details = record.details if record else None
    if scratch.errors:
        return "; ".join(f"{e.stage}:{e.kind}: {e.message}" for e in scratch.errors)[:500]
    parts = []
    if isinstance(details, dict) and "verdict" in details:  # the app's /score?explain=true
        components = details.get("components") or {}
        parts.append(f"verdict {details['verdict']}")
        parts += [f"{k}={v:g}" for k, v in components.items() if isinstance(v, (int, float))]
        parts.append(f"{details.get('tool_calls')} tool call(s) seen by the grader")
    elif record and record.sub_rewards:
        parts += [f"{k}={v:.3f}" for k, v in record.sub_rewards.items() if isinstance(v, (int, float))]
    return ", ".join(parts) or f"reward {scratch.reward}"


async def _grade(lines: list[EpisodeLine], grader: dict[str, Any], rows: dict[str, dict[str, Any]],
                 concurrency: int, timeout: float) -> list[Episode]:
    import httpx

    from rftkit.rollouts.scoring import make_scorer
    from rftkit.rollouts.transport import RetryPolicy
    from rftkit.wire import build_sample

    scorer = make_scorer(grader, timeout=timeout, retry=RetryPolicy(retries=3), explain=True)
    gate = asyncio.Semaphore(max(1, concurrency))

    async def one(line: EpisodeLine, http: httpx.AsyncClient) -> Episode:
        source = line.episode
        # A scratch copy: the episode's own reward and grader record stay as the rollout recorded them. The
        # rollout's trace_id goes along, so a grader counting tool calls by trace still finds them.
        scratch = Episode(row_id=source.row_id, sample_index=source.sample_index, trace_id=source.trace_id,
                          policy=source.policy)
        async with gate:
            await scorer.score(scratch, build_sample(source.final_answer), _item(source, rows), http)
        return scratch

    async with httpx.AsyncClient(timeout=timeout) as http:
        return list(await asyncio.gather(*(one(line, http) for line in lines)))


def label_with_grader(path: Path, grader: dict[str, Any], *, rows: dict[str, dict[str, Any]] | None = None,
                      concurrency: int = 8, timeout: float = 60.0) -> LabelSummary:
    """Grade every episode that has no human label and write the labels; raise ValueError for a bad line."""
    return asyncio.run(alabel_with_grader(path, grader, rows=rows, concurrency=concurrency, timeout=timeout))


async def alabel_with_grader(path: Path, grader: dict[str, Any], *, rows: dict[str, dict[str, Any]] | None = None,
                             concurrency: int = 8, timeout: float = 60.0) -> LabelSummary:
    """`label_with_grader` inside a running event loop (a notebook)."""
    lines = read_lines(path)
    source = f"grader:{grader.get('name') or grader.get('type')}"
    summary = LabelSummary()
    todo = []
    for line in lines:
        label = line.data.get("label")
        if isinstance(label, dict) and label.get("source") == HUMAN:
            summary.kept_human += 1
        elif line.episode.status != GRADED:
            first = line.episode.errors[0] if line.episode.errors else None
            why = f" ({first.stage}:{first.kind})" if first else ""
            line.data["label"] = make_label(0.0, f"not graded: the episode is {line.episode.status}{why}", source)
            summary.ungraded += 1
        else:
            todo.append(line)
    results = await _grade(todo, grader, rows or {}, concurrency, timeout)
    for line, scratch in zip(todo, results, strict=True):
        if scratch.status != GRADED or scratch.reward is None:
            summary.errors.append(f"{path}:{line.number}: the grader failed: {_reason(scratch)}")
            continue
        line.data["label"] = make_label(scratch.reward, _reason(scratch), source)
        summary.labelled += 1
    write_lines(path, lines)
    return summary
