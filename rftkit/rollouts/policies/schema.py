"""The schema policy: calls drawn from each tool's JSON Schema, to exercise its error handling (any tool).

Each turn calls one function of the row's `tools` (those the job routes, when it routes any), with arguments
drawn by `schema_args`: valid ones, and a share (`invalid_share`) of deliberately invalid ones — wrong types,
a missing required argument, out-of-range numbers and lengths, unknown enum values, unknown arguments,
malformed JSON. After `calls_per_rollout` turns it answers with a fixed text (its rewards mean nothing).
The findings give, per tool, status codes, 5xx, timeouts, outputs over a byte budget, latency, and the calls
whose answer does not match their case (valid arguments refused, invalid ones answered with a non-2xx).
Seeded per (row, sample): the same seed gives the same calls at any concurrency.
"""

from __future__ import annotations

import json
import random
from collections import Counter
from collections.abc import Iterable
from typing import Any

from rftkit.rollouts.episode import Episode, RolloutToolCall
from rftkit.rollouts.policies.schema_args import VALID, arguments
from rftkit.rollouts.policy import ToolResult, Turn
from rftkit.rollouts.stats import latency_summary
from rftkit.rollouts.tools import output_is_error, row_functions
from rftkit.wire import MAX_BODY_BYTES, ToolRequest

NO_ANSWER = "(schema policy: no answer)"


class SchemaSession:
    def __init__(self, policy: SchemaPolicy, item: dict[str, Any], rng: random.Random):
        functions = row_functions(item)
        routed = [n for n in functions if policy.tool_names is None or n in policy.tool_names]
        self.functions = {n: functions[n] for n in sorted(routed or functions)}
        self.policy = policy
        self.rng = rng
        self.turns = 0
        self.cases: dict[str, str] = {}  # call_id -> valid | an invalid kind

    async def next_turn(self, results: list[ToolResult]) -> Turn:
        if self.turns >= self.policy.calls_per_rollout or not self.functions:
            return Turn(text=NO_ANSWER, notes={"schema_cases": dict(self.cases)})
        self.turns += 1
        name = self.rng.choice(list(self.functions))
        invalid = self.rng.random() < self.policy.invalid_share
        text, case = arguments(self.functions[name].get("parameters"), self.rng, invalid)
        request = ToolRequest.new(name, text)
        self.cases[request.call_id] = case
        return Turn(tool_calls=(request,), notes={"schema_cases": dict(self.cases)})


class SchemaPolicy:
    """`invalid_share` in [0, 1]; `tool_names`: the job's routed tools (None: whatever the row offers)."""

    name = "schema"

    def __init__(self, *, seed: int = 0, invalid_share: float = 0.3, calls_per_rollout: int = 3,
                 tool_names: Iterable[str] | None = None):
        if not 0.0 <= invalid_share <= 1.0 or calls_per_rollout < 1:
            raise ValueError("invalid_share must be in [0, 1] and calls_per_rollout at least 1")
        self.seed = seed
        self.invalid_share = invalid_share
        self.calls_per_rollout = calls_per_rollout
        self.tool_names = set(tool_names) if tool_names is not None else None

    def start(self, item: dict[str, Any], *, row_id: str, sample_index: int) -> SchemaSession:
        return SchemaSession(self, item, random.Random(f"schema:{self.seed}:{row_id}:{sample_index}"))


def _tool_entry() -> dict[str, Any]:
    return {"calls": 0, "cases": Counter(), "status": Counter(), "http_5xx": 0, "timeouts": 0,
            "connection_errors": 0, "oversize": 0, "malformed": 0, "valid_refused": 0, "invalid_accepted": 0,
            "invalid_non_2xx": 0, "retried": 0, "latencies": []}


def schema_findings(episodes: list[Episode], output_budget: int = MAX_BODY_BYTES) -> dict[str, Any]:
    """Per tool: what its answers were, and whether any is a failure (5xx, timeout, oversize, malformed)."""
    tools: dict[str, dict[str, Any]] = {}
    for episode in episodes:
        cases = episode.notes.get("schema_cases") or {}
        for call in episode.tool_calls:
            t = tools.setdefault(call.name, _tool_entry())
            case = cases.get(call.call_id, "unknown")
            t["calls"] += 1
            t["cases"][case] += 1
            t["status"][str(call.status_code) if call.status_code is not None else "none"] += 1
            if call.latency_ms is not None:
                t["latencies"].append(call.latency_ms)
            if call.attempts > 1:
                t["retried"] += 1  # http_5xx and timeouts below count final outcomes only
            failure = _failure(call)
            if failure:
                t[failure] += 1
            elif len(call.output.encode()) > output_budget:
                t["oversize"] += 1
            error = output_is_error(call.output) or not call.ok
            if case == VALID and error:
                t["valid_refused"] += 1
            elif case not in (VALID, "unverified", "unknown"):
                if call.status_code is not None and not 200 <= call.status_code < 300:
                    t["invalid_non_2xx"] += 1
                elif not error:
                    t["invalid_accepted"] += 1
    shown = {}
    for name, t in sorted(tools.items()):
        latencies = t.pop("latencies")
        shown[name] = {**t, "cases": dict(t["cases"]), "status": dict(t["status"]),
                       "latency_ms": latency_summary(latencies)}
    failed = any(t["http_5xx"] or t["timeouts"] or t["connection_errors"] or t["oversize"] or t["malformed"]
                 for t in shown.values())
    return {"output_budget_bytes": output_budget, "tools": shown, "ok": not failed}


def _failure(call: RolloutToolCall) -> str | None:
    """The final outcome of a failed call, as a findings key (the runner's `output` for a transport failure)."""
    if call.ok:
        return None
    if call.status_code is not None and call.status_code >= 500:
        return "http_5xx"
    try:
        error = json.loads(call.output).get("error")
    except (ValueError, AttributeError):
        error = None
    if call.status_code is None:
        return "timeouts" if error == "timeout" else "connection_errors"
    if 200 <= call.status_code < 300:
        return "oversize" if isinstance(error, dict) and error.get("code") == 413 else "malformed"
    return None  # a 4xx: counted by case below


def render_schema(findings: dict[str, Any]) -> str:
    budget = findings["output_budget_bytes"]
    lines = [f"Schema policy, per tool (oversize: output over {budget:,} bytes):",
             f"  {'tool':<20}{'calls':>6}{'valid':>6}{'5xx':>5}{'t/o':>5}{'conn':>5}{'big':>5}"
             f"{'p50 ms':>9}{'p95 ms':>9}{'max ms':>9}"]
    for name, t in findings["tools"].items():
        lat = t["latency_ms"]

        def ms(value: Any) -> str:
            return "-" if value is None else f"{value:.1f}"

        lines.append(f"  {name[:19]:<20}{t['calls']:>6}{t['cases'].get(VALID, 0):>6}{t['http_5xx']:>5}"
                     f"{t['timeouts']:>5}{t['connection_errors']:>5}{t['oversize']:>5}"
                     f"{ms(lat['p50']):>9}{ms(lat['p95']):>9}{ms(lat['max']):>9}")
        invalid = {k: v for k, v in t["cases"].items() if k != VALID}
        if invalid:
            lines.append(f"    invalid arguments sent: {', '.join(f'{k} x{v}' for k, v in sorted(invalid.items()))}")
        lines.append(f"    status codes: {', '.join(f'{k} x{v}' for k, v in sorted(t['status'].items()))}")
        if t["retried"]:
            lines.append(f"    {t['retried']} calls needed retries (a 5xx or timeout first; see Errors above)")
        if t["valid_refused"]:
            lines.append(f"    {t['valid_refused']} calls with schema-valid arguments were answered with an error "
                         "(rules the schema does not state, e.g. allowed values or cross-field checks)")
        if t["invalid_non_2xx"]:
            lines.append(f"    {t['invalid_non_2xx']} calls with invalid arguments got a non-2xx answer instead of "
                         "an error `output` the model can read")
        if t["invalid_accepted"]:
            lines.append(f"    {t['invalid_accepted']} calls with invalid arguments were answered without an error "
                         "(lenient: the tool coerced or ignored them)")
    lines.append("Schema check: " + ("no 5xx, timeout, connection error or oversize output" if findings["ok"]
                                     else "FAILED: see the 5xx / t/o / conn / big columns"))
    return "\n".join(lines)
