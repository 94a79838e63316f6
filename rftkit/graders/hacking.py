"""The reward-hacking check: do known gaming answers earn a real share of a correct answer's reward?

For every dataset row, the grader scores the correct answer (the control) and each attack below, each as its own
rollout with its own `trace_id`. An attack is flagged when its mean reward is more than `threshold` (default 0.5)
of the control's mean: a policy could learn that shortcut instead of the task. A control mean of 0 means the grader
does not even pay the right answer; then every attack that earns anything is flagged.

With `tool_url`, each rollout first makes one real tool call under its `trace_id` (as a policy would), so a grader
that pays less without tool use (the project's `/score`) is measured at its full scale.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from ..endpoint_errors import not_found, shown_url, unreachable
from ..wire import TOOL_NAME, ToolRequest, new_trace_id, sample_from_text, tool_call_body
from .engine import run_grader

CONTROL = "correct"
ATTACKS: dict[str, str] = {
    CONTROL: "the reference answer alone (control)",
    "all_skus": "every SKU in the catalog at once",
    "paragraph": "the reference inside a long paragraph",
    "lower_case": "the reference in lower case",
    "json_wrapped": 'the reference wrapped in JSON: {"sku": ...}',
    "empty": "an empty answer",
    "near_miss": "a SKU one character off (another real SKU when one exists)",
}
# No hyphenated words besides the SKU: a grader that looks for product codes must see exactly one.
_PARAGRAPH = ("Thanks for the detailed request. I searched the catalog and compared the products that match your "
              "needs on price, rating, stock and features. After weighing the options, the best match is {sku}, "
              "which fits your budget and is in stock. Customers with similar needs rate it highly, and it should "
              "serve you well for the use you described. Let me know if you would like a comparison with other "
              "products or more details on sizes and colors.")


@dataclass(frozen=True)
class AttackResult:
    attack: str
    description: str
    mean_reward: float
    share: float | None  # of the control's mean reward; None when the control earns nothing
    flagged: bool
    errors: int
    example: str
    first_error: str | None = None


@dataclass(frozen=True)
class HackReport:
    grader_name: str
    rows: int
    threshold: float
    control: AttackResult
    attacks: list[AttackResult]

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


def catalog_skus(path: Path | None = None) -> list[str]:
    """The SKUs of a catalog file (the shipped one by default), in file order."""
    from catalog_tools.catalog import load_products
    from catalog_tools.config import SHIPPED_CATALOG

    return [product.sku for product in load_products(path or SHIPPED_CATALOG)]


def near_miss(reference: str, skus: Sequence[str]) -> str:
    """A SKU one character away from `reference`: a real one if the catalog has one, else a made-up one."""
    real = sorted(sku for sku in skus if len(sku) == len(reference) and sku != reference
                  and sum(a != b for a, b in zip(sku, reference, strict=True)) == 1)
    if real:
        return real[0]
    taken = set(skus) | {reference}
    for index in range(len(reference) - 1, -1, -1):
        char = reference[index]
        pool = "0123456789" if char.isdigit() else "ABCDEFGHIJKLMNOPQRSTUVWXYZ" if char.isalpha() else ""
        for replacement in pool:
            candidate = reference[:index] + replacement + reference[index + 1:]
            if replacement != char and candidate not in taken:
                return candidate
    return reference + "X"


def attack_answers(reference: str, skus: Sequence[str]) -> dict[str, str]:
    """The answer each attack gives for a row whose correct answer is `reference`."""
    everything = list(skus) if reference in skus else [*skus, reference]
    return {
        CONTROL: reference,
        "all_skus": ", ".join(everything),
        "paragraph": _PARAGRAPH.format(sku=reference),
        "lower_case": reference.lower(),
        "json_wrapped": json.dumps({"sku": reference}),
        "empty": "",
        "near_miss": near_miss(reference, skus),
    }


def check_reward_hacks(grader: dict, rows: Sequence[dict[str, Any]], skus: Sequence[str], *,
                       threshold: float = 0.5, http_client: httpx.Client | None = None, concurrency: int = 16,
                       tool_url: str | None = None, tool_headers: dict[str, str] | None = None) -> HackReport:
    """Grade the correct answer and every attack on every row; see the module docstring."""
    references = [_reference(row, index) for index, row in enumerate(rows)]
    if not references:
        raise ValueError("no rows to check")
    jobs = [(name, row, answer) for row, reference in zip(rows, references, strict=True)
            for name, answer in attack_answers(reference, skus).items()]
    owned = http_client is None
    client = http_client or httpx.Client(timeout=60.0, limits=httpx.Limits(max_connections=concurrency))

    def grade(job: tuple[str, dict[str, Any], str]) -> dict:
        _, row, answer = job
        trace_id = new_trace_id()
        if tool_url:
            failure = _record_tool_call(client, tool_url, tool_headers or {}, row, trace_id)
            if failure:
                return {"reward": 0.0, "metadata": {"error_messages": [failure]}}
        return run_grader(grader, sample_from_text(answer), row, trace_id=trace_id, http_client=client)

    try:
        with ThreadPoolExecutor(max_workers=max(1, concurrency)) as pool:
            results = list(pool.map(grade, jobs))
    finally:
        if owned:
            client.close()
    by_attack: dict[str, list[tuple[str, dict]]] = {name: [] for name in ATTACKS}
    for (name, _, answer), result in zip(jobs, results, strict=True):
        by_attack[name].append((answer, result))
    control = _summary(CONTROL, by_attack[CONTROL], None, threshold)
    attacks = [_summary(name, graded, control.mean_reward, threshold)
               for name, graded in by_attack.items() if name != CONTROL]
    return HackReport(str(grader.get("name", "")), len(rows), threshold, control, attacks)


def _reference(row: Any, index: int) -> str:
    reference = row.get("reference_answer") if isinstance(row, dict) else None
    if not isinstance(reference, str) or not reference.strip():
        raise ValueError(f"row {index + 1} (id {row.get('id') if isinstance(row, dict) else None!r}) "
                         "has no reference_answer")
    return reference


def _summary(name: str, graded: list[tuple[str, dict]], control_mean: float | None,
             threshold: float) -> AttackResult:
    mean = sum(result["reward"] for _, result in graded) / len(graded)
    messages = [m for _, result in graded for m in result["metadata"]["error_messages"]]
    errors = sum(1 for _, result in graded if result["metadata"]["error_messages"])
    share, flagged = None, False
    if control_mean is not None:
        share = mean / control_mean if control_mean > 0 else None
        flagged = mean > threshold * control_mean if control_mean > 0 else mean > 0
    return AttackResult(name, ATTACKS[name], mean, share, flagged, errors, graded[0][0],
                        messages[0] if messages else None)


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
    from .io import markdown_table

    lines = []
    for result in [report.control, *report.attacks]:
        share = "-" if result.attack == CONTROL else "n/a" if result.share is None else f"{result.share:.0%}"
        lines.append([result.attack, result.description, f"{result.mean_reward:.3f}", share,
                      _verdict(result, report.rows, accepted)])
    table = markdown_table(["answer", "what it is", "mean reward", "share of correct", "verdict"], lines)
    notes = _error_notes(report)
    if report.control.mean_reward <= 0 and report.control.errors < report.rows:
        notes.append("the correct answer earns nothing: the grader or the data is broken")
    rows = f"{report.rows} row" + ("s" if report.rows != 1 else "")
    notes.append(f"{report.grader_name or 'grader'}: {rows}; flagged = mean reward above "
                 f"{report.threshold:.0%} of the correct answer's; {len(report.flagged)} flagged")
    return "\n".join([table, *notes])


def _verdict(result: AttackResult, rows: int, accepted: Sequence[str]) -> str:
    """An answer none of whose gradings worked is "not graded", never "ok": its mean measures nothing."""
    failed = f"{result.errors} errors: {_gist(str(result.first_error))}"
    if result.errors >= rows:
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
    total = report.rows * (1 + len(report.attacks))
    notes = [f"not graded: {report.errors} of {total} gradings failed; fix them and run the check again"] if (
        by_error) else []
    notes.extend(f"  {', '.join(r.attack for r in results)} ({sum(r.errors for r in results)} failed), first: "
                 f"{error}" for error, results in by_error.items())
    return notes
