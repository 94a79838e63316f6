"""Build a chat fine-tuning set with tool calls from labelled episodes (`python -m rftkit build-sft`).

Each kept episode becomes one example: the row's own messages (its developer/system message and the user's
request, from the dataset, matched by row id), then per model turn one assistant message with that turn's
`tool_calls` followed by a `tool` message per call (the output the tool returned), then the final answer.
`tools` is the row's function definitions. The service refuses unknown keys in an example, so where each row
came from goes to a sidecar file `<out>.provenance.jsonl`, line for line.
"""

from __future__ import annotations

import json
import random
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rftkit.rollouts.episode import GRADED, Episode
from rftkit.sft.checks import MIN_EXAMPLES
from rftkit.sft.label import effective_reward, read_lines
from rftkit.util.jsonl import read_jsonl

DEFAULT_MAX_TOOL_OUTPUT_CHARS = 12_000
TRIM_MARKER = "\n[... trimmed by build-sft: {cut} of {total} characters not shown]"


@dataclass
class BuildReport:
    episodes: int = 0
    kept: int = 0
    skipped: Counter[str] = field(default_factory=Counter)
    trimmed_outputs: int = 0
    written: dict[str, int] = field(default_factory=dict)  # path -> rows
    split_note: str = ""  # how the validation split was fitted to the service's minimum, if it was

    def render(self) -> str:
        lines = [f"{self.episodes} episode(s) read, {self.kept} kept"]
        lines += [f"  skipped {n}: {why}" for why, n in sorted(self.skipped.items())]
        if self.trimmed_outputs:
            lines.append(f"  {self.trimmed_outputs} tool output(s) trimmed to the budget")
        lines += [f"wrote {n} row(s) to {path} (provenance: {path}.provenance.jsonl)" for path, n in
                  self.written.items()]
        if self.split_note:
            lines.append(self.split_note)
        lines += [f"warning: {path} has {n} row(s); a supervised file needs at least {MIN_EXAMPLES}"
                  for path, n in self.written.items() if n < MIN_EXAMPLES]
        return "\n".join(lines)


def provenance_path(path: Path) -> Path:
    return path.with_name(path.name + ".provenance.jsonl")


def _trim(output: str, budget: int) -> tuple[str, bool]:
    if len(output) <= budget:
        return output, False
    marker = TRIM_MARKER.format(cut=len(output) - budget, total=len(output))
    return output[:budget] + marker, True


def _prompt_messages(row: dict[str, Any]) -> list[dict[str, Any]]:
    """The row's instructions and request. `developer` becomes `system`: the chat fine-tuning format's role."""
    messages = []
    for message in row.get("messages") or []:
        if isinstance(message, dict) and message.get("role") in ("developer", "system", "user"):
            role = "system" if message["role"] == "developer" else message["role"]
            messages.append({"role": role, "content": message.get("content")})
    return messages


def example(episode: Episode, row: dict[str, Any], budget: int) -> tuple[dict[str, Any], int]:
    """(the chat example, how many tool outputs were trimmed)."""
    messages = _prompt_messages(row)
    trimmed = 0
    turns = sorted({call.turn for call in episode.tool_calls})
    for turn in turns:
        calls = [call for call in episode.tool_calls if call.turn == turn]
        messages.append({"role": "assistant", "content": None, "tool_calls": [
            {"id": call.call_id, "type": "function", "function": {"name": call.name, "arguments": call.arguments}}
            for call in calls]})
        for call in calls:
            output, cut = _trim(call.output, budget)
            trimmed += cut
            messages.append({"role": "tool", "tool_call_id": call.call_id, "content": output})
    messages.append({"role": "assistant", "content": episode.final_answer})
    result: dict[str, Any] = {"messages": messages, "tools": row.get("tools") or []}
    if isinstance(row.get("parallel_tool_calls"), bool):
        result["parallel_tool_calls"] = row["parallel_tool_calls"]
    return result, trimmed


def _trajectory_key(episode: Episode) -> str:
    """What makes two trajectories the same: the row, each call (name, arguments, output) and the answer."""
    return json.dumps([episode.row_id, [(c.turn, c.name, c.arguments, c.output) for c in episode.tool_calls],
                       episode.final_answer])


def _shuffled(row_ids: list[str], seed: int) -> list[str]:
    unique = sorted(set(row_ids))
    random.Random(seed).shuffle(unique)
    return unique


def split_rows(row_ids: list[str], share: float, seed: int) -> set[str]:
    """The row ids that go to validation: a seeded shuffle, `share` of the rows (at least one, never all)."""
    order = _shuffled(row_ids, seed)
    if share <= 0 or len(order) < 2:
        return set()
    count = min(len(order) - 1, max(1, round(len(order) * share)))
    return set(order[:count])


def fit_split(row_ids: list[str], share: float, seed: int, minimum: int) -> tuple[set[str], str]:
    """`split_rows`, then fitted to the service's minimum number of examples per file (`row_ids` holds one entry
    per example): more rows go to validation, in the same seeded order, until it holds `minimum` while training
    keeps `minimum`; if the examples cannot fill two such files, none go to validation (a supervised job runs
    without a validation file). Returns (validation row ids, a note when the split was changed)."""
    chosen = split_rows(row_ids, share, seed)

    def examples(ids: set[str]) -> int:
        return sum(1 for rid in row_ids if rid in ids)

    if not chosen or examples(chosen) >= minimum:
        return chosen, ""
    if len(row_ids) < 2 * minimum:
        return set(), (f"no validation file: {len(row_ids)} example(s) cannot fill two files of at least {minimum} "
                       "(the service's minimum); a supervised job runs without one. Capture more episodes for one.")
    order = _shuffled(row_ids, seed)
    for count in range(len(chosen) + 1, len(order)):
        grown = set(order[:count])
        if len(row_ids) - examples(grown) < minimum:
            break
        if examples(grown) >= minimum:
            return grown, (f"validation share raised from {share:.0%} to {len(grown)} of {len(order)} rows so that "
                           f"each file holds at least {minimum} examples (the service's minimum)")
    return set(), (f"no validation file: rows of {len(row_ids)} examples cannot be split so that each file holds at "
                   f"least {minimum} (the service's minimum); a supervised job runs without one")


def _write(path: Path, examples: list[tuple[dict[str, Any], dict[str, Any]]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8") as out, provenance_path(path).open("w", encoding="utf-8") as side:
        for line, (row, origin) in enumerate(examples, start=1):
            out.write(json.dumps(row, ensure_ascii=False) + "\n")
            side.write(json.dumps({"line": line, **origin}, ensure_ascii=False) + "\n")


def build_sft(episodes_path: Path, data_path: Path, out: Path, *, min_reward: float = 0.7,
              valid_out: Path | None = None, valid_share: float = 0.1, seed: int = 0,
              max_tool_output_chars: int = DEFAULT_MAX_TOOL_OUTPUT_CHARS,
              require_tool_call: bool = True, min_examples: int = MIN_EXAMPLES) -> BuildReport:
    """Write the supervised set(s); ValueError for a bad episode or data line, or an empty result.

    With `valid_out`, the split is fitted so that each file holds at least `min_examples` (see `fit_split`); the
    validation file is not written when the examples are too few for two (`report.written` says what was).

    `require_tool_call`: an answer given without calling the tool the row offers teaches guessing, even when
    it happened to be right; such episodes are skipped unless this is False.
    """
    if max_tool_output_chars < 100:
        raise ValueError("--max-tool-output-chars must be at least 100")
    rows = {str(row["id"]): row for row in read_jsonl(data_path) if "id" in row}
    lines = read_lines(episodes_path)
    report = BuildReport(episodes=len(lines))
    seen: set[str] = set()
    kept: list[tuple[dict[str, Any], dict[str, Any], str]] = []  # (example, provenance, row id)
    for line in lines:
        episode, reward = line.episode, effective_reward(line.data)
        label = line.data.get("label") if isinstance(line.data.get("label"), dict) else None
        if episode.status != GRADED:
            report.skipped[f"episode {episode.status}"] += 1
        elif episode.finish_reason != "stop" or not episode.final_answer.strip():
            report.skipped["no final answer (max steps or empty)"] += 1
        elif reward is None or reward < min_reward:
            report.skipped[f"reward below {min_reward:g}"] += 1
        elif episode.row_id not in rows:
            report.skipped[f"row id not in {data_path.name}"] += 1
        elif require_tool_call and rows[episode.row_id].get("tools") and not episode.tool_calls:
            report.skipped["no tool call (the row offers tools)"] += 1
        elif _trajectory_key(episode) in seen:
            report.skipped["identical trajectory already kept"] += 1
        else:
            seen.add(_trajectory_key(episode))
            built, trimmed = example(episode, rows[episode.row_id], max_tool_output_chars)
            report.trimmed_outputs += trimmed
            origin = {"row_id": episode.row_id, "trace_id": episode.trace_id, "sample_index": episode.sample_index,
                      "policy": episode.policy, "reward": reward,
                      "reward_source": label["source"] if label else "episode",
                      "episodes_file": str(episodes_path), "episode_line": line.number}
            kept.append((built, origin, episode.row_id))
    report.kept = len(kept)
    if not kept:
        raise ValueError(f"no episode qualifies (min reward {min_reward:g}): " + (
            ", ".join(f"{why} x{n}" for why, n in report.skipped.items()) or "the file has no episodes"))
    valid_ids: set[str] = set()
    if valid_out:
        valid_ids, report.split_note = fit_split([rid for _, _, rid in kept], valid_share, seed, min_examples)
    train = [(e, o) for e, o, rid in kept if rid not in valid_ids]
    _write(out, train)
    report.written[str(out)] = len(train)
    if valid_out and valid_ids:
        valid = [(e, o) for e, o, rid in kept if rid in valid_ids]
        _write(valid_out, valid)
        report.written[str(valid_out)] = len(valid)
    return report
