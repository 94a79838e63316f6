"""The endpoint grader, called as the service calls it (docs/service-contract.md#endpoint-grader).

`POST <url>` with the grader's `headers` and the body `{"sample", "item", "trace_id"}`; the answer must be
`{"score": <number>}`, usually in [0, 1] but any finite number is accepted. Every failure — connection, timeout,
HTTP status, body — is returned as an `EndpointReply` with an error, never raised: the service retries such
failures up to 3 times and then discards the rollout, so a preflight must show them. The one caller of endpoint
graders: the grader engine calls once (no retries, so a preflight shows every failure), the rollout dry run passes
the service's `RetryPolicy`.
"""

from __future__ import annotations

import asyncio
import json
import math
import time
from dataclasses import dataclass, replace
from typing import Any

import httpx

from rftkit.util.endpoint_errors import NOT_FOUND_FIX, UNREACHABLE_FIX
from rftkit.wire import MAX_BODY_BYTES, RetryPolicy

TIMEOUT_SECONDS = 60.0
UNRESPONSIVE = "unresponsive_reward_error"
OTHER = "other_error"
# A body that is not JSON-serializable, an unusable URL, or any transport/HTTP failure.
_CALL_ERRORS = (httpx.HTTPError, httpx.InvalidURL, TypeError, ValueError)


@dataclass(frozen=True)
class EndpointReply:
    """One attempt's outcome. `error_flag` is the service's flag; `kind` says what failed (`http_<status>`,
    `timeout`, `connection_error`, `malformed_output`, `response_too_large`, `malformed_request`); `earlier` the
    failed attempts before this one (with retries)."""

    score: float | None
    status: int | None
    latency: float
    error_flag: str | None = None
    error: str | None = None
    kind: str | None = None
    attempt: int = 1
    earlier: tuple[EndpointReply, ...] = ()
    body: Any = None  # the parsed answer, when it had a score

    @property
    def attempts(self) -> int:
        return self.attempt


def score_problem(body: Any) -> str | None:
    """Why a grader's parsed answer is not `{"score": <finite number>}`, or None when it is."""
    score = body.get("score") if isinstance(body, dict) else None
    if isinstance(score, bool) or not isinstance(score, (int, float)) or not math.isfinite(score):
        return "the endpoint's answer has no numeric `score`"
    return None


def request_headers(grader: dict[str, Any]) -> dict[str, str]:
    return {"Content-Type": "application/json", **(grader.get("headers") or {})}


def read_reply(status: int, content: bytes, latency: float) -> EndpointReply:
    """Turn an HTTP answer into a score or an error naming what was wrong."""
    if status == 404:
        return EndpointReply(None, status, latency, OTHER, f"the endpoint answered HTTP 404 Not Found: {NOT_FOUND_FIX}",
                             "http_404")
    snippet = content[:300].decode("utf-8", "replace")
    if not 200 <= status < 300:
        return EndpointReply(None, status, latency, OTHER, f"the endpoint answered HTTP {status}: {snippet}",
                             f"http_{status}")
    if len(content) > MAX_BODY_BYTES:
        return EndpointReply(None, status, latency, OTHER, f"the endpoint's answer is {len(content)} bytes, over the "
                             "service's 1 MB limit", "response_too_large")
    try:
        body = json.loads(content)
    except (json.JSONDecodeError, UnicodeDecodeError):
        return EndpointReply(None, status, latency, OTHER, "the endpoint's answer is not JSON", "malformed_output")
    problem = score_problem(body)
    if problem:
        return EndpointReply(None, status, latency, OTHER, f"{problem}: {snippet}", "malformed_output")
    # Any finite score is used as is: an endpoint grader may answer on its own scale (Azure's sample scores 0-5 and
    # combines it in a multi grader); docs/service-contract.md#endpoint-grader.
    return EndpointReply(float(body["score"]), status, latency, body=body)


def _failure(exc: Exception, latency: float) -> EndpointReply:
    if isinstance(exc, (TypeError, ValueError)):
        return EndpointReply(None, None, latency, OTHER, f"cannot send the request as JSON: {exc}", "malformed_request")
    if isinstance(exc, (httpx.TimeoutException, asyncio.TimeoutError)):
        return EndpointReply(None, None, latency, UNRESPONSIVE, f"no answer in time ({type(exc).__name__})", "timeout")
    fix = f": {UNREACHABLE_FIX}" if isinstance(exc, httpx.ConnectError) else ""
    return EndpointReply(None, None, latency, UNRESPONSIVE, f"cannot reach it ({type(exc).__name__}: {exc}){fix}",
                         "connection_error")


def call_endpoint(grader: dict[str, Any], body: dict[str, Any], client: httpx.Client | None = None,
                  params: dict[str, str] | None = None) -> EndpointReply:
    """POST `body` to the grader's URL with a blocking client (a new one when `client` is None), once."""
    url = grader["url"]
    owned = client is None
    client = client or httpx.Client(timeout=TIMEOUT_SECONDS)
    started = time.perf_counter()
    try:
        answer = client.post(url, content=json.dumps(body), params=params, headers=request_headers(grader))
        return read_reply(answer.status_code, answer.content, time.perf_counter() - started)
    except _CALL_ERRORS as exc:
        return _failure(exc, time.perf_counter() - started)
    finally:
        if owned:
            client.close()


async def acall_endpoint(grader: dict[str, Any], body: dict[str, Any], client: httpx.AsyncClient | None = None,
                         *, retry: RetryPolicy | None = None, timeout: float | None = None,
                         params: dict[str, str] | None = None) -> EndpointReply:
    """The same call with an asyncio client (a new one when `client` is None), retried on any failure as the service
    retries a grader when `retry` is given; `timeout` bounds each whole attempt."""
    owned = client is None
    client = client or httpx.AsyncClient(timeout=TIMEOUT_SECONDS)
    retries = retry.retries if retry else 0
    earlier: list[EndpointReply] = []
    try:
        while True:
            attempt = len(earlier) + 1
            reply = replace(await _attempt(client, grader, body, timeout, params), attempt=attempt,
                            earlier=tuple(earlier))
            if reply.error_flag is None or retry is None or attempt > retries:
                return reply
            earlier.append(reply)
            await asyncio.sleep(retry.delay(attempt))
    finally:
        if owned:
            await client.aclose()


async def _attempt(client: httpx.AsyncClient, grader: dict[str, Any], body: dict[str, Any], timeout: float | None,
                   params: dict[str, str] | None) -> EndpointReply:
    started = time.perf_counter()
    try:
        # wait_for bounds the whole exchange; httpx's own timeouts only bound each read or write.
        answer = await asyncio.wait_for(client.post(grader["url"], content=json.dumps(body), params=params,
                                                    headers=request_headers(grader)), timeout)
        return read_reply(answer.status_code, answer.content, time.perf_counter() - started)
    except (*_CALL_ERRORS, asyncio.TimeoutError) as exc:
        return _failure(exc, time.perf_counter() - started)


def explain_score(grader: dict[str, Any], body: dict[str, Any], client: httpx.Client) -> dict[str, Any] | None:
    """The score's `details` from a separate `POST url?explain=true` (this project's `/score` supports it); None
    when the endpoint gives none — other graders answer `{"score"}` only — or the call fails."""
    reply = call_endpoint(grader, body, client, params={"explain": "true"})
    details = reply.body.get("details") if isinstance(reply.body, dict) else None
    return details if isinstance(details, dict) else None


_VERDICTS = {"embedded": "the SKU inside a longer answer; the task asks for the SKU alone",
             "hedged": "several SKUs: listing candidates does not pay", "wrong": "not the reference SKU",
             "empty": "an empty answer"}


def why_score(details: dict[str, Any], trace_id: str) -> str | None:
    """Why `/score` paid less than 1, from its `details` (`components` answer x tool_use); None when nothing is
    missing or the details are not this app's."""
    components = details.get("components")
    if not isinstance(components, dict):
        return None
    credit, factor, calls = components.get("answer"), components.get("tool_use"), details.get("tool_calls")
    reasons = []
    if isinstance(credit, (int, float)) and credit < 1:
        verdict = _VERDICTS.get(str(details.get("verdict")), str(details.get("verdict")))
        reasons.append(f"the answer {details.get('answer')!r} earned {credit:g} against the reference "
                       f"{details.get('reference')!r} ({verdict})")
    if isinstance(factor, (int, float)) and factor < 1:
        if calls == 0:
            reasons.append(f"no tool call was recorded for trace_id {trace_id}, so the tool-use factor {factor:g} "
                           "applied: run the rollout's tool calls with the same trace_id first, or use "
                           "`python -m rftkit dry-run`, which plays whole rollouts")
        else:
            reasons.append(f"{calls} tool calls were recorded for trace_id {trace_id}, more than the free ones, so "
                           f"the tool-use factor {factor:g} applied")
    return "; ".join(reasons) or None
