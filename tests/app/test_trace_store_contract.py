"""One contract for every trace store: the in-memory default and Azure Table Storage (against Azurite)."""

from __future__ import annotations

import asyncio
import uuid

import pytest

from catalog_tools.table_traces import TableTraceStore, table_key
from catalog_tools.traces import MemoryTraceStore, ToolCallRecord
from tests.azurite import AZURITE_MARKS


@pytest.fixture(params=["memory", pytest.param("table", marks=AZURITE_MARKS)])
def store(request):
    if request.param == "memory":
        yield MemoryTraceStore()
        return
    azurite = request.getfixturevalue("azurite")
    table = TableTraceStore(azurite.connection_string, table_name="t" + uuid.uuid4().hex[:16])
    yield table


def rec(trace: str, call: str, at: float = 1_000.0, ok: bool = True, arguments: str = '{"query":"puffer"}'):
    return ToolCallRecord(trace, call, "search_catalog", arguments, ok, 12.5, at)


def run(coro):
    return asyncio.run(coro)


def test_record_then_count_and_list(store):
    async def go():
        await store.record(rec("trace_a", "call_2", at=2_000.0, ok=False))
        await store.record(rec("trace_a", "call_1", at=1_000.0))
        await store.record(rec("trace_b", "call_1"))
        return await store.count("trace_a"), await store.calls("trace_a"), await store.count("trace_none")

    count, calls, none = run(go())
    assert count == 2 and none == 0
    assert calls == [rec("trace_a", "call_1", at=1_000.0), rec("trace_a", "call_2", at=2_000.0, ok=False)]


def test_retry_of_the_same_call_is_idempotent(store):
    async def go():
        for _ in range(3):
            await store.record(rec("trace_r", "call_1"))
        return await store.count("trace_r")

    assert run(go()) == 1


def test_hundreds_of_parallel_calls_on_one_trace_all_count(store):
    async def go():
        await asyncio.gather(*(store.record(rec("trace_p", f"call_{i}")) for i in range(300)))
        return await store.count("trace_p"), await store.calls("trace_p")

    count, calls = run(go())
    assert count == 300 and {c.call_id for c in calls} == {f"call_{i}" for i in range(300)}


def test_expiry_deletes_exactly_the_old_calls(store):
    async def go():
        await store.record(rec("trace_old", "call_1", at=100.0))
        await store.record(rec("trace_mixed", "call_old", at=150.0))
        await store.record(rec("trace_mixed", "call_new", at=900.0))
        await store.record(rec("trace_new", "call_1", at=1_000.0))
        deleted = await store.purge_older_than(500.0)
        return deleted, [await store.count(t) for t in ("trace_old", "trace_mixed", "trace_new")], \
            await store.calls("trace_mixed")

    deleted, counts, mixed = run(go())
    assert deleted == 2 and counts == [0, 1, 1] and [c.call_id for c in mixed] == ["call_new"]


HOSTILE = ["trace/with/slashes", "trace\\back", "trace#hash", "trace?q=1", "ctl\x00\x01\x1f\x7f", "ünïcødé 🚀",
           "x" * 300, "h~abc", "' or PartitionKey ne '"]


def test_hostile_keys_round_trip_without_collisions(store):
    async def go():
        for i, key in enumerate(HOSTILE):
            await store.record(rec(key, key, at=float(i)))
            await store.record(rec(key, f"call_{i}", at=float(i) + 0.5))
        return [(await store.count(k), [c.call_id for c in await store.calls(k)]) for k in HOSTILE]

    results = run(go())
    for i, (key, (count, call_ids)) in enumerate(zip(HOSTILE, results, strict=True)):
        assert count == 2 and call_ids == [key, f"call_{i}"], key


def test_table_keys_never_pass_unsafe_characters_through():
    for key in HOSTILE:
        encoded = table_key(key)
        assert not set(encoded) & set("/\\#?'") and len(encoded) <= 255
        assert all(0x20 <= ord(ch) < 0x7F for ch in encoded)
    assert table_key("trace_0a1b-2c3d") == "trace_0a1b-2c3d"
    assert table_key("a/b") != table_key("a\\b")


@pytest.mark.slow
@pytest.mark.integration
def test_table_store_recreates_a_deleted_table(azurite):
    from azure.data.tables import TableServiceClient

    name = "t" + uuid.uuid4().hex[:16]
    store = TableTraceStore(azurite.connection_string, table_name=name)
    run(store.record(rec("trace_d", "call_1")))
    TableServiceClient.from_connection_string(azurite.connection_string).delete_table(name)
    run(store.record(rec("trace_d", "call_2")))
    assert [c.call_id for c in run(store.calls("trace_d"))] == ["call_2"]
