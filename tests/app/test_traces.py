"""What only the in-memory trace store does: TTL and size bounds. Recording, idempotent retries, parallel writes,
expiry and hostile keys are the contract every store meets (`test_trace_store_contract.py`)."""

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


def test_memory_stays_bounded_under_a_burst_of_distinct_traces():
    import httpx

    from tests.support import make_app

    app = make_app(trace_max_traces=300, log_level="WARNING")

    async def burst():
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://app") as c:
            for i in range(1_500):
                body = {"type": "function_call", "call_id": f"call_{i}", "name": "search_catalog",
                        "arguments": '{"query":"puffer","top_k":1}', "trace_id": f"trace_{i}"}
                assert (await c.post("/tool/search_catalog", json=body)).status_code == 200
        store = app.state.store
        return len(store), await store.count("trace_1499"), await store.count("trace_0")

    assert asyncio.run(burst()) == (300, 1, 0)
