"""Tool calls recorded per rollout (`trace_id`), so the grader can see whether and how often the tool was used.

One record per `call_id`: a retried call overwrites itself and parallel calls each count once. The store is
an interface so that a shared store (Azure Table Storage) can replace the in-memory default once the app
runs on more than one process or instance.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from dataclasses import asdict, dataclass
from typing import Any, Protocol

ARGUMENTS_KEEP_CHARS = 1_000


@dataclass(frozen=True)
class ToolCallRecord:
    trace_id: str
    call_id: str
    name: str
    arguments: str
    ok: bool
    latency_ms: float
    recorded_at: float

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


class TraceStoreError(Exception):
    """The store cannot be reached or answered wrongly: an infrastructure failure, not a caller's mistake."""


class TraceStore(Protocol):
    async def record(self, call: ToolCallRecord) -> None: ...

    async def count(self, trace_id: str) -> int: ...

    async def calls(self, trace_id: str) -> list[ToolCallRecord]: ...

    async def purge_older_than(self, cutoff: float) -> int: ...


# A stored call: ToolCallRecord's fields as a plain tuple. Tuples of strings and numbers are untracked by Python's
# garbage collector, so a full store adds nothing to its full collections; as dicts and dataclass instances, 100,000
# traces made every full collection walk 350,000 objects (about 130 ms, a pause every request in flight waits out).
_Row = tuple[str, str, str, str, bool, float, float]


def _row(call: ToolCallRecord) -> _Row:
    return (call.trace_id, call.call_id, call.name, call.arguments, call.ok, call.latency_ms, call.recorded_at)


class MemoryTraceStore:
    """Process-local store bounded by a TTL per trace and a maximum number of traces (oldest evicted first)."""

    def __init__(self, ttl_seconds: float = 6 * 3600, max_traces: int = 100_000, clock: Any = time.monotonic):
        self.ttl_seconds = ttl_seconds
        self.max_traces = max_traces
        self._clock = clock
        self._lock = threading.Lock()
        # trace_id -> (first seen, ((call_id, row), ...)); insertion order = age order. Immutable per trace: a call
        # replaces the whole (short) tuple, which keeps it untracked by the garbage collector.
        self._traces: OrderedDict[str, tuple[float, tuple[tuple[str, _Row], ...]]] = OrderedDict()

    def __len__(self) -> int:
        return len(self._traces)

    def _expire(self, now: float) -> None:
        while self._traces:
            first_seen, _ = next(iter(self._traces.values()))
            if now - first_seen < self.ttl_seconds:
                break
            self._traces.popitem(last=False)

    async def record(self, call: ToolCallRecord) -> None:
        now = self._clock()
        with self._lock:
            self._expire(now)
            entry = self._traces.get(call.trace_id)
            if entry is None:
                self._traces[call.trace_id] = (now, ((call.call_id, _row(call)),))
                while len(self._traces) > self.max_traces:
                    self._traces.popitem(last=False)
            else:  # one record per call_id: a retried call replaces itself, in place
                calls = entry[1]
                if any(cid == call.call_id for cid, _ in calls):
                    calls = tuple((cid, _row(call) if cid == call.call_id else row) for cid, row in calls)
                else:
                    calls += ((call.call_id, _row(call)),)
                self._traces[call.trace_id] = (entry[0], calls)

    def _live(self, trace_id: str) -> tuple[tuple[str, _Row], ...]:
        now = self._clock()
        with self._lock:
            self._expire(now)
            entry = self._traces.get(trace_id)
            return entry[1] if entry else ()

    async def count(self, trace_id: str) -> int:
        return len(self._live(trace_id))

    async def calls(self, trace_id: str) -> list[ToolCallRecord]:
        records = (ToolCallRecord(*row) for _, row in self._live(trace_id))
        return sorted(records, key=lambda c: (c.recorded_at, c.call_id))

    async def purge_older_than(self, cutoff: float) -> int:
        """Delete calls recorded (wall clock) before `cutoff`; return how many were deleted."""
        deleted = 0
        with self._lock:
            for trace_id in list(self._traces):
                first_seen, calls = self._traces[trace_id]
                kept = tuple((cid, row) for cid, row in calls if row[6] >= cutoff)  # row[6]: recorded_at
                deleted += len(calls) - len(kept)
                if not kept:
                    del self._traces[trace_id]
                elif len(kept) != len(calls):
                    self._traces[trace_id] = (first_seen, kept)
        return deleted
