"""HTTP POSTs as the service makes them: a per-request time bound, retries, and every failure classified.

Failure kinds: `http_<status>`, `timeout`, `connection_error`, `malformed_output` (a 2xx whose body is not what
the contract says) and `response_too_large` (over the service's 1 MB limit). Nothing here raises for a failed call.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx

from rftkit.util.endpoint_errors import not_found, shown_url, unreachable
from rftkit.wire import MAX_BODY_BYTES, RetryPolicy


@dataclass(frozen=True)
class Failure:
    kind: str
    message: str
    attempt: int


@dataclass
class Reply:
    """The last attempt's answer (`body` is the parsed JSON when it was valid), plus every failed attempt."""

    status_code: int | None = None
    body: Any = None
    text: str = ""
    latency_ms: float | None = None
    attempts: int = 0
    failures: list[Failure] = field(default_factory=list)
    ok: bool = False

    @property
    def last_failure(self) -> Failure | None:
        return self.failures[-1] if self.failures and not self.ok else None


# A validator checks a 2xx body; it returns an error message, or None when the body is fine.
Validator = Callable[[Any], "str | None"]


async def post_json(http: httpx.AsyncClient, url: str, body: dict[str, Any], *, headers: dict[str, str] | None,
                    timeout: float, retry: RetryPolicy, validate: Validator,
                    retry_when: Callable[[Failure, int | None], bool], params: dict[str, str] | None = None) -> Reply:
    """POST `body` as JSON; retry the failures `retry_when(failure, status)` accepts, up to `retry.retries` times."""
    reply = Reply()
    content = json.dumps(body, ensure_ascii=False).encode()
    send_headers = {"Content-Type": "application/json", **(headers or {})}
    for attempt in range(1, retry.retries + 2):
        reply.attempts = attempt
        started = time.perf_counter()
        failure: Failure | None = None
        try:
            # wait_for bounds the whole exchange; httpx's own timeouts only bound each read or write.
            answer = await asyncio.wait_for(http.post(url, content=content, headers=send_headers, params=params),
                                            timeout)
        except (asyncio.TimeoutError, httpx.TimeoutException):
            failure = Failure("timeout", f"no answer from {shown_url(url)} within {timeout:g} s", attempt)
            reply.status_code, reply.body, reply.text = None, None, ""
        except httpx.HTTPError as exc:
            message = (unreachable(url, exc) if isinstance(exc, httpx.ConnectError)
                       else f"{shown_url(url)}: {type(exc).__name__}: {exc}")
            failure = Failure("connection_error", message, attempt)
            reply.status_code, reply.body, reply.text = None, None, ""
        else:
            reply.status_code = answer.status_code
            reply.text = answer.text
            failure = _check_answer(url, answer, reply, validate, attempt)
        reply.latency_ms = round((time.perf_counter() - started) * 1000, 3)
        if failure is None:
            reply.ok = True
            return reply
        reply.failures.append(failure)
        if attempt > retry.retries or not retry_when(failure, reply.status_code):
            return reply
        await asyncio.sleep(retry.delay(attempt))
    return reply


def _check_answer(url: str, answer: httpx.Response, reply: Reply, validate: Validator,
                  attempt: int) -> Failure | None:
    if len(answer.content) > MAX_BODY_BYTES:
        return Failure("response_too_large", f"{len(answer.content)} bytes (the service's limit is 1 MB)", attempt)
    try:
        reply.body = answer.json()
    except ValueError:
        reply.body = None
    if answer.status_code == 404:
        return Failure("http_404", f"{not_found(url)}; the answer: {answer.text[:200]}", attempt)
    if not answer.is_success:
        return Failure(f"http_{answer.status_code}", f"HTTP {answer.status_code}: {answer.text[:300]}", attempt)
    if reply.body is None:
        return Failure("malformed_output", f"the answer is not JSON: {answer.text[:300]!r}", attempt)
    problem = validate(reply.body)
    return Failure("malformed_output", problem, attempt) if problem else None


def transient(failure: Failure, status: int | None) -> bool:
    """What the service retries for tools: 5xx, and (as infrastructure failures) timeouts and lost connections."""
    return failure.kind in ("timeout", "connection_error") or (status is not None and status >= 500)

