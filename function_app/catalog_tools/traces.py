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


class MemoryTraceStore:
    """Process-local store bounded by a TTL per trace and a maximum number of traces (oldest evicted first)."""

    def __init__(self, ttl_seconds: float = 6 * 3600, max_traces: int = 100_000, clock: Any = time.monotonic):
        self.ttl_seconds = ttl_seconds
        self.max_traces = max_traces
        self._clock = clock
        self._lock = threading.Lock()
        # trace_id -> (first seen, {call_id: record}); insertion order = age order.
        self._traces: OrderedDict[str, tuple[float, dict[str, ToolCallRecord]]] = OrderedDict()

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
                entry = (now, {})
                self._traces[call.trace_id] = entry
                while len(self._traces) > self.max_traces:
                    self._traces.popitem(last=False)
            entry[1][call.call_id] = call

    def _live(self, trace_id: str) -> dict[str, ToolCallRecord]:
        now = self._clock()
        with self._lock:
            self._expire(now)
            entry = self._traces.get(trace_id)
            return dict(entry[1]) if entry else {}

    async def count(self, trace_id: str) -> int:
        return len(self._live(trace_id))

    async def calls(self, trace_id: str) -> list[ToolCallRecord]:
        return sorted(self._live(trace_id).values(), key=lambda c: (c.recorded_at, c.call_id))

    async def purge_older_than(self, cutoff: float) -> int:
        """Delete calls recorded (wall clock) before `cutoff`; return how many were deleted."""
        deleted = 0
        with self._lock:
            for trace_id in list(self._traces):
                calls = self._traces[trace_id][1]
                for call_id in [c for c, rec in calls.items() if rec.recorded_at < cutoff]:
                    del calls[call_id]
                    deleted += 1
                if not calls:
                    del self._traces[trace_id]
        return deleted
