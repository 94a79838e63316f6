"""Reward one finished rollout with the job's grader.

- `endpoint` grader: the service's exact request — a plain `POST url` with `{sample, item, trace_id}` and the
  grader's `headers` — retried like the service (any failure, at most 3 times), optionally rate limited by the
  grader's `rate_limit`. With `explain=True` (episode capture) a *second*, separate `POST url?explain=true` fetches
  the score's details; it never replaces the scored request and its failures are only noted.
- any built-in grader (string_check, text_similarity, multi, ...): the local engine `rftkit.graders`, whose
  `metadata` becomes the details.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any, Protocol

import httpx

from rftkit.graders.endpoint import EndpointReply, acall_endpoint
from rftkit.rollouts.episode import DISCARDED, GRADED, Episode, GraderRecord
from rftkit.util.endpoint_errors import shown_url
from rftkit.wire import RetryPolicy, grader_body


class Scorer(Protocol):
    async def score(self, episode: Episode, sample: dict[str, Any], item: dict[str, Any],
                    http: httpx.AsyncClient) -> None:
        """Set `episode.reward`, `.grader` and `.status`, or record why it could not be scored."""
        ...


class RateLimiter:
    """At most `per_second` starts per second (the job grader's `rate_limit`), shared by all rollouts."""

    def __init__(self, per_second: float):
        self.interval = 1.0 / per_second
        self._next = 0.0
        self._lock = asyncio.Lock()

    async def wait(self) -> None:
        async with self._lock:
            now = time.monotonic()
            start = max(now, self._next)
            self._next = start + self.interval
        if start > now:
            await asyncio.sleep(start - now)


class EndpointScorer:
    def __init__(self, grader: dict[str, Any], *, timeout: float, retry: RetryPolicy, explain: bool = False):
        self.grader = grader
        self.timeout = timeout
        self.retry = retry
        self.explain = explain
        rate = grader.get("rate_limit") or grader.get("max_rps")  # the eval echo's name for it (uncertain)
        self.limiter = RateLimiter(float(rate)) if isinstance(rate, (int, float)) and rate > 0 else None

    async def score(self, episode: Episode, sample: dict[str, Any], item: dict[str, Any],
                    http: httpx.AsyncClient) -> None:
        body = grader_body(sample, item, episode.trace_id)
        if self.limiter:
            await self.limiter.wait()
        reply = await acall_endpoint(self.grader, body, http, retry=self.retry, timeout=self.timeout)
        record = GraderRecord(type="endpoint", name=self.grader.get("name"), latency_ms=round(reply.latency * 1000, 3),
                              status_code=reply.status, attempts=reply.attempts)
        episode.grader = record
        for failed in (*reply.earlier, reply):
            if failed.error is not None:
                episode.add_error("grader", str(failed.kind), self._message(failed), failed.attempt)
        if reply.score is None:
            episode.status = DISCARDED  # the service drops a rollout whose grader failed 4 times
            return
        # any finite score: endpoint graders may use their own scale (noted per episode, not refused)
        episode.reward = reply.score
        if not 0.0 <= episode.reward <= 1.0:
            episode.notes["score_outside_0_1"] = (f"the endpoint grader scored {episode.reward}, outside [0, 1]: "
                                                  "fine if it uses its own scale, but rewards then are not 0-1")
        episode.status = GRADED
        if self.explain:
            await self._explain(episode, body, record, http)

    async def _explain(self, episode: Episode, body: dict[str, Any], record: GraderRecord,
                       http: httpx.AsyncClient) -> None:
        """Details for the episode file only: a separate call the service never makes."""
        reply = await acall_endpoint(self.grader, body, http, timeout=self.timeout, params={"explain": "true"})
        details = reply.body.get("details") if isinstance(reply.body, dict) else None
        if isinstance(details, dict):
            record.details, record.details_source = details, "explain_call"
        else:
            episode.notes["explain_unavailable"] = self._message(reply) if reply.error else "no `details` in the answer"

    def _message(self, reply: EndpointReply) -> str:
        return f"{shown_url(self.grader['url'])}: {reply.error}"


def _error_flags(metadata: Any) -> list[tuple[str, str]]:
    """The engine's raised error flags (e.g. invalid_variable_error), each with the engine's readable messages."""
    errors = metadata.get("errors") if isinstance(metadata, dict) else None
    if not isinstance(errors, dict):
        return []
    messages = metadata.get("error_messages")
    text = "; ".join(str(m) for m in messages) if isinstance(messages, list) and messages else ""
    return [(key, text or key) for key, value in errors.items() if value is True]


class EngineScorer:
    """Built-in graders (and a multi grader's endpoint sub-graders) through the local engine `rftkit.graders`."""

    def __init__(self, grader: dict[str, Any]):
        self.grader = grader

    async def score(self, episode: Episode, sample: dict[str, Any], item: dict[str, Any],
                    http: httpx.AsyncClient) -> None:
        from rftkit import graders

        started = time.perf_counter()
        record = GraderRecord(type=str(self.grader.get("type")), name=self.grader.get("name"), attempts=1)
        episode.grader = record
        try:
            result = await graders.arun_grader(self.grader, sample, item, trace_id=episode.trace_id, http_client=http)
        except Exception as exc:  # a grader crash is reported per rollout, not raised
            record.latency_ms = round((time.perf_counter() - started) * 1000, 3)
            episode.add_error("grader", "exception", f"{type(exc).__name__}: {exc}")
            episode.status = DISCARDED
            return
        record.latency_ms = round((time.perf_counter() - started) * 1000, 3)
        metadata = result.get("metadata") if isinstance(result, dict) else None
        record.details, record.details_source = (metadata, "engine_metadata") if isinstance(metadata, dict) else (
            None, None)
        record.sub_rewards = result.get("sub_rewards") if isinstance(result, dict) else None
        for flag, message in _error_flags(metadata):
            episode.add_error("grader", flag, message)
        reward = result.get("reward") if isinstance(result, dict) else None
        if isinstance(reward, bool) or not isinstance(reward, (int, float)):
            episode.add_error("grader", "malformed_output", f"the engine returned no numeric reward: {result!r}"[:300])
            episode.status = DISCARDED
            return
        episode.reward = float(reward)
        episode.status = GRADED


def make_scorer(grader: dict[str, Any], *, timeout: float, retry: RetryPolicy, explain: bool) -> Scorer:
    if not isinstance(grader, dict) or not isinstance(grader.get("type"), str):
        raise ValueError("grader must be a job grader object with a `type`")
    if grader["type"] == "endpoint":
        if not isinstance(grader.get("url"), str) or not grader["url"]:
            raise ValueError("an endpoint grader needs a `url`")
        return EndpointScorer(grader, timeout=timeout, retry=retry, explain=explain)
    return EngineScorer(grader)
