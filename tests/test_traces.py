"""The in-memory trace store: one record per call_id, TTL and size bounds, race-free parallel writes."""

from __future__ import annotations

import asyncio

from catalog_tools.traces import MemoryTraceStore, ToolCallRecord


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def rec(trace: str, call: str, at: float = 0.0) -> ToolCallRecord:
    return ToolCallRecord(trace, call, "search_catalog", "{}", True, 1.0, at)


def test_record_count_and_idempotent_retry():
    store = MemoryTraceStore()

    async def go():
        await store.record(rec("t1", "c1"))
        await store.record(rec("t1", "c1"))
        await store.record(rec("t1", "c2", 1.0))
        return await store.count("t1"), await store.count("other"), await store.calls("t1")

    count, other, calls = asyncio.run(go())
    assert (count, other) == (2, 0) and [c.call_id for c in calls] == ["c1", "c2"]


def test_traces_expire_after_ttl():
    clock = FakeClock()
    store = MemoryTraceStore(ttl_seconds=10, clock=clock)
    asyncio.run(store.record(rec("old", "c1")))
    clock.now = 5
    asyncio.run(store.record(rec("new", "c1")))
    clock.now = 11
    assert asyncio.run(store.count("old")) == 0 and asyncio.run(store.count("new")) == 1
    assert len(store) == 1


def test_oldest_traces_evicted_beyond_max():
    store = MemoryTraceStore(max_traces=3)
    for i in range(5):
        asyncio.run(store.record(rec(f"t{i}", "c")))
    assert len(store) == 3
    assert [asyncio.run(store.count(f"t{i}")) for i in range(5)] == [0, 0, 1, 1, 1]


def test_parallel_calls_of_one_rollout_all_count():
    store = MemoryTraceStore()

    async def go():
        await asyncio.gather(*(store.record(rec("t", f"c{i}")) for i in range(300)))
        return await store.count("t")

    assert asyncio.run(go()) == 300
