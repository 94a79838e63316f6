"""The reward-hacking check: do known gaming answers earn a real share of a correct answer's reward?

For every dataset row, the grader scores the correct answer (the control) and each attack that fits the shape of
the row's reference answer (numbers, short codes, free text; catalog attacks only with a catalog: see `attacks/`),
each as its own rollout with its own `trace_id`. An attack is flagged when its mean reward is more than `threshold`
(default 0.5) of the control's mean on the same rows: a policy could learn that shortcut instead of the task. An
attack giving several candidates at once is flagged when it earns anything at all: a policy paid even a little
for listing learns to list instead of to choose. A control mean of 0 means the grader
does not even pay the right answer; then every attack that earns anything is flagged.

With `tool_url`, each rollout first makes one real tool call under its `trace_id` (as a policy would), so a grader
that pays less without tool use (the project's `/score`) is measured at its full scale.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import httpx

from rftkit.graders.attacks import CONTROL, Attack, CatalogContext, plan_row
from rftkit.graders.attacks.base import DESCRIPTIONS
from rftkit.graders.engine import run_grader
from rftkit.util.endpoint_errors import not_found, shown_url, unreachable
from rftkit.util.progress import progress
from rftkit.wire import TOOL_NAME, ToolRequest, new_trace_id, sample_from_text, tool_call_body

ATTACKS: dict[str, str] = DESCRIPTIONS  # every attack name (all families) and what it is


@dataclass(frozen=True)
class AttackResult:
    attack: str
    description: str
    mean_reward: float
    share: float | None  # of the control's mean reward on the same rows; None when the control earns nothing
    flagged: bool
    errors: int
    example: str
    first_error: str | None = None
    family: str = "any"
    rows: int = 0  # the rows this answer was tried on (attacks fit some reference shapes only)


@dataclass(frozen=True)
class RowFamily:
    row_id: str
    shape: str
    family: str


@dataclass(frozen=True)
class HackReport:
    grader_name: str
    rows: int
    threshold: float
    control: AttackResult
    attacks: list[AttackResult]
    row_families: list[RowFamily] = field(default_factory=list)

    @property
    def flagged(self) -> list[AttackResult]:
        return [result for result in self.attacks if result.flagged]

    @property
    def errors(self) -> int:
        return self.control.errors + sum(result.errors for result in self.attacks)

    def ok(self, accepted: Sequence[str] = ()) -> bool:
        """No attack flagged (except `accepted` ones), the control earns a reward, and no grading failed."""
        unaccepted = [result for result in self.flagged if result.attack not in accepted]
        return not unaccepted and self.control.mean_reward > 0 and self.errors == 0


def attack_answers(reference: str, row: dict[str, Any] | None = None,
                   catalog: CatalogContext | None = None) -> dict[str, str]:
    """The answer each attack gives for a row whose correct answer is `reference`, the control first."""
    return {item.name: item.answer for item in plan_row(reference, row or {}, catalog).attacks}


def check_reward_hacks(grader: dict, rows: Sequence[dict[str, Any]], catalog: CatalogContext | None = None, *,
                       threshold: float = 0.5, http_client: httpx.Client | None = None, concurrency: int = 16,
                       tool_url: str | None = None, tool_headers: dict[str, str] | None = None,
                       tool_outputs: dict[str, list[str]] | None = None, show_progress: bool = False) -> HackReport:
    """Grade the correct answer and every attack fitting each row's reference; see the module docstring.

    `tool_outputs`: row id -> the tool outputs its rollouts saw (`tool_outputs_by_row`), for the candidate codes.
    """
    references = [_reference(row, index) for index, row in enumerate(rows)]
    if not references:
        raise ValueError("no rows to check")
    outputs = tool_outputs or {}
    plans = [plan_row(reference, row, catalog, outputs.get(str(row.get("id")), []))
             for row, reference in zip(rows, references, strict=True)]
    jobs = [(index, item, row) for index, (row, plan) in enumerate(zip(rows, plans, strict=True))
            for item in plan.attacks]
    owned = http_client is None
    client = http_client or httpx.Client(timeout=60.0, limits=httpx.Limits(max_connections=concurrency))

    def grade(job: tuple[int, Attack, dict[str, Any]]) -> dict:
        _, item, row = job
        trace_id = new_trace_id()
        failure = _record_tool_call(client, tool_url, tool_headers or {}, row, trace_id) if tool_url else None
        result = ({"reward": 0.0, "metadata": {"error_messages": [failure]}} if failure else
                  run_grader(grader, sample_from_text(item.answer), row, trace_id=trace_id, http_client=client))
        bar.advance()
        return result

    try:
        with progress(len(jobs), "reward-hacks", show_progress) as bar, \
                ThreadPoolExecutor(max_workers=max(1, concurrency)) as pool:
            results = list(pool.map(grade, jobs))
    finally:
        if owned:
            client.close()
    by_attack: dict[str, list[tuple[int, Attack, dict]]] = {}
    for (index, item, _), result in zip(jobs, results, strict=True):
        by_attack.setdefault(item.name, []).append((index, item, result))
    control_by_row = {index: result["reward"] for index, _, result in by_attack[CONTROL]}
    control = _summary(by_attack[CONTROL], None, threshold)
    order = list(DESCRIPTIONS)
    attacks = [_summary(graded, control_by_row, threshold)
               for name, graded in sorted(by_attack.items(), key=lambda pair: order.index(pair[0]))
               if name != CONTROL]
    families = [RowFamily(str(row.get("id", index + 1)), plan.shape, plan.family)
                for index, (row, plan) in enumerate(zip(rows, plans, strict=True))]
    return HackReport(str(grader.get("name", "")), len(rows), threshold, control, attacks, families)


def tool_outputs_by_row(episodes: Sequence[Any]) -> dict[str, list[str]]:
    """Row id -> the outputs of the tool calls that worked, from dry-run episodes (`rollouts.read_episodes`)."""
    outputs: dict[str, list[str]] = {}
    for episode in episodes:
        outputs.setdefault(str(episode.row_id), []).extend(call.output for call in episode.tool_calls if call.ok)
    return outputs


def _reference(row: Any, index: int) -> str:
    reference = row.get("reference_answer") if isinstance(row, dict) else None
    if not isinstance(reference, str) or not reference.strip():
        raise ValueError(f"row {index + 1} (id {row.get('id') if isinstance(row, dict) else None!r}) "
                         "has no reference_answer")
    return reference


def _summary(graded: list[tuple[int, Attack, dict]], control_by_row: dict[int, float] | None,
             threshold: float) -> AttackResult:
    """One answer's results over the rows it was tried on, compared with the control on those same rows.

    Several candidates at once are flagged when they earn more than nothing, whatever the threshold: a policy
    paid for hedging, even a little, learns to list instead of to choose.
    """
    first = graded[0][1]
    mean = sum(result["reward"] for _, _, result in graded) / len(graded)
    messages = [m for _, _, result in graded for m in result["metadata"]["error_messages"]]
    errors = sum(1 for _, _, result in graded if result["metadata"]["error_messages"])
    share, flagged = None, False
    if control_by_row is not None:
        control_mean = sum(control_by_row[index] for index, _, _ in graded) / len(graded)
        share = mean / control_mean if control_mean > 0 else None
        limit = 0.0 if first.all_at_once or control_mean <= 0 else threshold * control_mean
        flagged = mean > limit
    description = first.description if len({item.description for _, item, _ in graded}) == 1 else (
        DESCRIPTIONS[first.name])
    return AttackResult(first.name, description, mean, share, flagged, errors, first.answer,
                        messages[0] if messages else None, first.family, len(graded))


def _record_tool_call(client: httpx.Client, url: str, headers: dict[str, str], row: dict[str, Any],
                      trace_id: str) -> str | None:
    """One tool call in the service's wrapper under `trace_id`; an error sentence, or None when it worked."""
    tools = row.get("tools") if isinstance(row.get("tools"), list) else []
    function = tools[0].get("function", {}) if tools and isinstance(tools[0], dict) else {}
    users = [m for m in row.get("messages") or [] if isinstance(m, dict) and m.get("role") == "user"]
    query = users[-1].get("content") if users and isinstance(users[-1].get("content"), str) else ""
    call = ToolRequest.new(function.get("name", TOOL_NAME), json.dumps({"query": query}))
    body = tool_call_body(call, trace_id, row)
    try:
        answer = client.post(url, json=body, headers=headers)
    except httpx.ConnectError as exc:
        return f"tool call failed: {unreachable(url, exc)}"
    except httpx.HTTPError as exc:
        return f"tool call to {shown_url(url)} failed: {type(exc).__name__}: {exc}"
    if answer.status_code == 404:
        return f"tool call failed: {not_found(url)}"
    if answer.status_code >= 300:
        return f"tool call to {shown_url(url)} answered HTTP {answer.status_code}"
    return None


def format_report(report: HackReport, accepted: Sequence[str] = ()) -> str:
    """A Markdown table: one line per answer, the control first; `accepted` flags are marked as such."""
    from rftkit.graders.io import markdown_table

    lines = []
    for result in [report.control, *report.attacks]:
        share = "-" if result.attack == CONTROL else "n/a" if result.share is None else f"{result.share:.0%}"
        lines.append([result.attack, result.family, result.description, f"{result.mean_reward:.3f}", share,
                      _verdict(result, accepted)])
    table = markdown_table(["answer", "family", "what it is", "mean reward", "share of correct", "verdict"], lines)
    notes = _error_notes(report)
    if report.control.mean_reward <= 0 and report.control.errors < report.rows:
        notes.append("the correct answer earns nothing: the grader or the data is broken")
    notes.extend(_family_notes(report))
    rows = f"{report.rows} row" + ("s" if report.rows != 1 else "")
    notes.append(f"{report.grader_name or 'grader'}: {rows}; flagged = mean reward above "
                 f"{report.threshold:.0%} of the correct answer's (several candidates at once: above 0); "
                 f"{len(report.flagged)} flagged")
    return "\n".join([table, *notes])


def _family_notes(report: HackReport) -> list[str]:
    """Which attack families each row got: counts, and the row ids when the rows differ."""
    by_family: dict[str, list[str]] = {}
    for row in report.row_families:
        by_family.setdefault(row.family, []).append(row.row_id)
    notes = []
    for family, ids in by_family.items():
        shown = "" if len(by_family) == 1 else ": " + ", ".join(ids[:8]) + (", …" if len(ids) > 8 else "")
        notes.append(f"attack families {family}: {len(ids)} row{'s' if len(ids) != 1 else ''}{shown}")
    return notes


def report_json(report: HackReport, accepted: Sequence[str] = ()) -> dict[str, Any]:
    """The report as JSON: every answer with its family and verdict, and each row's attack families."""
    answers = [{"attack": r.attack, "family": r.family, "description": r.description, "rows": r.rows,
                "mean_reward": r.mean_reward, "share": r.share, "flagged": r.flagged,
                "accepted": r.flagged and r.attack in accepted, "verdict": _verdict(r, accepted), "errors": r.errors,
                "first_error": r.first_error, "example": r.example} for r in [report.control, *report.attacks]]
    return {"grader": report.grader_name, "rows": report.rows, "threshold": report.threshold,
            "ok": report.ok(accepted), "flagged": [r.attack for r in report.flagged], "errors": report.errors,
            "answers": answers,
            "row_families": [{"id": r.row_id, "shape": r.shape, "family": r.family} for r in report.row_families]}


def _verdict(result: AttackResult, accepted: Sequence[str]) -> str:
    """An answer none of whose gradings worked is "not graded", never "ok": its mean measures nothing."""
    failed = f"{result.errors} errors: {_gist(str(result.first_error))}"
    if result.errors >= result.rows:
        return f"not graded ({failed})"
    verdict = "control" if result.attack == CONTROL else "FLAGGED" if result.flagged else "ok"
    if result.flagged and result.attack in accepted:
        verdict += " (accepted)"
    return f"{verdict} (partly graded, {failed})" if result.errors else verdict


def _gist(error: str) -> str:
    """An error's first clause, without the URL it starts with (the notes below give the whole message)."""
    clause = re.split(r" \(|: ", re.sub(r"^\w+://\S+: ", "", error), maxsplit=1)[0]
    return clause if len(clause) <= 60 else clause[:59] + "…"


def _error_notes(report: HackReport) -> list[str]:
    """One line per distinct first error, naming the answers it hit (an unreachable grader hits them all)."""
    by_error: dict[str, list[AttackResult]] = {}
    for result in [report.control, *report.attacks]:
        if result.first_error:
            by_error.setdefault(result.first_error, []).append(result)
    total = sum(result.rows for result in [report.control, *report.attacks])
    notes = [f"not graded: {report.errors} of {total} gradings failed; fix them and run the check again"] if (
        by_error) else []
    notes.extend(f"  {', '.join(r.attack for r in results)} ({sum(r.errors for r in results)} failed), first: "
                 f"{error}" for error, results in by_error.items())
    return notes
