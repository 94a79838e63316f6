"""The app on the Table Storage trace store: selection, timer purge, /traces, outage and scale-out."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from azure.functions.timer import TimerRequest
from fastapi.testclient import TestClient

from catalog_tools.app import make_store
from catalog_tools.config import Settings
from catalog_tools.table_traces import TableTraceStore
from catalog_tools.traces import MemoryTraceStore, ToolCallRecord
from rftkit.util.servers import start_function_app
from tests.azurite import AZURITE_MARKS, start_azurite
from tests.support import (
    import_function_app,
    make_app,
    open_settings,
    puffer_call,
    puffer_grading,
    shipped_catalog,
)


def table_app(connection: str, **overrides):
    from catalog_tools.app import create_app

    settings = open_settings(trace_store="table", trace_store_connection=connection,
                             trace_table_name="t" + uuid.uuid4().hex[:16], **overrides)
    return create_app(settings, catalog=shipped_catalog())


def test_table_store_selected_by_setting_with_storage_fallback(monkeypatch):
    monkeypatch.delenv("TRACE_STORE_CONNECTION", raising=False)
    monkeypatch.setenv("TRACE_STORE", "table")
    monkeypatch.setenv("AzureWebJobsStorage", "UseDevelopmentStorage=true")
    store = make_store(Settings())
    assert isinstance(store, TableTraceStore) and "AccountKey" not in repr(store)
    monkeypatch.setenv("AzureWebJobsStorage", "")
    with pytest.raises(ValueError, match="TRACE_STORE_CONNECTION or AzureWebJobsStorage"):
        make_store(Settings())
    monkeypatch.delenv("TRACE_STORE")
    assert isinstance(make_store(Settings()), MemoryTraceStore)


def load_function_app(monkeypatch, **env):
    for key, value in {"TOOL_AUTH_DISABLED": "true", "SCORE_AUTH_DISABLED": "true", **env}.items():
        monkeypatch.setenv(key, value)
    return import_function_app()


def test_no_timer_with_the_memory_store(monkeypatch):
    monkeypatch.delenv("TRACE_STORE", raising=False)
    module = load_function_app(monkeypatch)
    assert [f.get_trigger().type for f in module.app.get_functions()] == ["httpTrigger"]


@pytest.mark.slow
@pytest.mark.integration
def test_timer_registered_with_its_schedule_and_purges_expired(monkeypatch, azurite):
    table = "t" + uuid.uuid4().hex[:16]
    module = load_function_app(monkeypatch, TRACE_STORE="table", AzureWebJobsStorage=azurite.connection_string,
                               TRACE_TABLE_NAME=table, TRACE_PURGE_SCHEDULE="0 */30 * * * *",
                               TRACE_RETENTION_HOURS="24")
    functions = {f.get_function_name(): f for f in module.app.get_functions()}
    assert set(functions) == {"http_app_func", "purge_traces"}
    trigger = functions["purge_traces"].get_trigger()
    assert trigger.type == "timerTrigger" and trigger.schedule == "0 */30 * * * *"
    assert json.loads(functions["purge_traces"].get_function_json())["bindings"][0]["schedule"] == "0 */30 * * * *"

    store = module.fastapi_app.state.store
    now = time.time()

    async def go():
        await store.record(ToolCallRecord("trace_old", "c1", "search_catalog", "{}", True, 1.0, now - 25 * 3600))
        await store.record(ToolCallRecord("trace_old", "c2", "search_catalog", "{}", True, 1.0, now - 23 * 3600))
        await store.record(ToolCallRecord("trace_new", "c1", "search_catalog", "{}", True, 1.0, now))
        await functions["purge_traces"].get_user_function()(TimerRequest(past_due=False))
        return [c.call_id for c in await store.calls("trace_old")], await store.count("trace_new")

    assert asyncio.run(go()) == (["c2"], 1)


@pytest.mark.slow
@pytest.mark.integration
def test_in_azure_with_storage_and_no_trace_store_setting_uses_the_table(monkeypatch, azurite):
    # What a deployment gets by default: Azure sets WEBSITE_INSTANCE_ID, the app has AzureWebJobsStorage.
    monkeypatch.delenv("TRACE_STORE", raising=False)
    monkeypatch.delenv("TRACE_STORE_CONNECTION", raising=False)
    table = "t" + uuid.uuid4().hex[:16]
    module = load_function_app(monkeypatch, WEBSITE_INSTANCE_ID="0123456789abcdef",
                               AzureWebJobsStorage=azurite.connection_string, TRACE_TABLE_NAME=table)
    assert {f.get_function_name() for f in module.app.get_functions()} == {"http_app_func", "purge_traces"}
    with TestClient(module.fastapi_app) as c:
        health = c.get("/health").json()
        assert health["trace_store"] == {"kind": "table", "reason": "chosen for Azure", "storage": "connection string"}
        assert c.post("/tool/search_catalog", json=puffer_call("trace_azure", "call_1")).status_code == 200
        explained = c.post("/score?explain=true", json=puffer_grading("trace_azure")).json()
        assert explained["score"] == 1.0 and explained["details"]["tool_calls"] == 1
    # The call is in Azurite's table, where another instance would find it.
    other_instance = TableTraceStore(azurite.connection_string, table)

    async def read():
        try:
            return [c.call_id for c in await other_instance.calls("trace_azure")]
        finally:
            await other_instance.close()

    assert asyncio.run(read()) == ["call_1"]


@pytest.mark.parametrize("kind", ["memory", pytest.param("table", marks=AZURITE_MARKS)])
def test_get_trace_lists_calls_in_time_order_and_needs_the_tool_key(kind, request):
    overrides = {"tool_auth_disabled": False, "tool_api_key": "k-123"}
    if kind == "table":
        app = table_app(request.getfixturevalue("azurite").connection_string, **overrides)
    else:
        app = make_app(**overrides)
    with TestClient(app) as c:
        for call_id in ("call_b", "call_a"):
            c.post("/tool/search_catalog", json=puffer_call("trace/odd#id", call_id), headers={"api-key": "k-123"})
        assert c.get("/traces/anything").status_code == 401
        body = c.get("/traces/trace%2Fodd%23id", headers={"api-key": "k-123"}).json()
        assert body["trace_id"] == "trace/odd#id"
        assert [call["call_id"] for call in body["calls"]] == ["call_b", "call_a"]
        assert body["calls"][0]["name"] == "search_catalog" and body["calls"][0]["ok"] is True


@pytest.mark.slow
@pytest.mark.integration
def test_store_outage_tool_still_answers_grader_503_then_recovers(tmp_path, caplog):
    azurite = start_azurite(tmp_path / "outage")
    try:
        with TestClient(table_app(azurite.connection_string, trace_store_timeout_seconds=2)) as c:
            assert c.post("/tool/search_catalog", json=puffer_call("trace_o", "call_1")).status_code == 200
            assert c.post("/score", json=puffer_grading("trace_o")).json() == {"score": 1.0}

            azurite.stop()
            response = c.post("/tool/search_catalog", json=puffer_call("trace_o", "call_2"))
            assert response.status_code == 200
            assert json.loads(response.json()["output"])["items"][0]["sku"] == "JKT-URB-009"
            assert "could not record tool call call_2" in caplog.text
            down = c.post("/score", json=puffer_grading("trace_o"))
            assert down.status_code == 503 and down.json()["error"]["code"] == "trace_store_unavailable"
            assert c.get("/traces/trace_o").status_code == 503
            assert c.get("/health").status_code == 200
            no_tools = {**puffer_grading("trace_o"), "item": {"reference_answer": "JKT-URB-009"}}
            assert c.post("/score", json=no_tools).json() == {"score": 1.0}  # needs no store

            azurite.start()
            assert c.post("/tool/search_catalog", json=puffer_call("trace_o", "call_3")).status_code == 200
            explained = c.post("/score?explain=true", json=puffer_grading("trace_o")).json()
            assert explained["details"]["tool_calls"] == 2  # call_1 and call_3; call_2 was lost while down
    finally:
        azurite.stop()


def start_uvicorn(env: dict[str, str]) -> tuple[subprocess.Popen, str]:
    """The app in its own process (a second instance of the scale-out), healthy once returned."""
    return start_function_app({**os.environ, **env}, output=subprocess.PIPE)


@pytest.mark.slow
@pytest.mark.integration
def test_scale_out_two_processes_share_one_table(azurite):
    env = {"TOOL_AUTH_DISABLED": "true", "SCORE_AUTH_DISABLED": "true", "TRACE_STORE": "table",
           "AzureWebJobsStorage": azurite.connection_string, "TRACE_TABLE_NAME": "t" + uuid.uuid4().hex[:16]}
    procs = [start_uvicorn(env) for _ in range(2)]
    try:
        urls = [url for _, url in procs]
        trace = f"trace_{uuid.uuid4()}"
        calls = [(urls[i % 2], f"call_{i}") for i in range(40)]

        def send(target):
            url, call_id = target
            return httpx.post(f"{url}/tool/search_catalog", json=puffer_call(trace, call_id), timeout=30).status_code

        with ThreadPoolExecutor(16) as pool:
            assert set(pool.map(send, calls + calls[:10])) == {200}  # 10 retries land too
        for url in urls:
            explained = httpx.post(f"{url}/score?explain=true", json=puffer_grading(trace), timeout=30).json()
            assert explained["details"]["tool_calls"] == 40
    finally:
        for proc, _ in procs:
            proc.terminate()
            proc.wait(10)


@pytest.mark.slow
@pytest.mark.integration
def test_dry_run_at_concurrency_256_loses_no_calls_in_the_table_store(azurite):
    from rftkit import DATA_DIR
    from rftkit.jobs.builders import tool_entries
    from rftkit.rollouts import ScriptedPolicy, run_rollouts

    table = "t" + uuid.uuid4().hex[:16]
    env = {"TOOL_AUTH_DISABLED": "true", "SCORE_AUTH_DISABLED": "true", "TRACE_STORE": "table", "LOG_LEVEL": "WARNING",
           "AzureWebJobsStorage": azurite.connection_string, "TRACE_TABLE_NAME": table}
    proc, url = start_uvicorn(env)
    try:
        rows = [json.loads(line) for line in (DATA_DIR / "valid_tool.jsonl").read_text().splitlines()]
        report = asyncio.run(run_rollouts(
            rows, tools=tool_entries(url),  # both tools: the shortlist rows read products with get_product
            grader={"type": "endpoint", "name": "catalog_grader", "url": f"{url}/score"},
            policy=ScriptedPolicy(error_rate=0.3, seed=7), samples_per_row=4, concurrency=256, time_limit=240))
        assert report.exit_code == 0, report.render()
        made = {e.trace_id: sum(1 for c in e.tool_calls if c.status_code == 200) for e in report.episodes}
        rollouts = 4 * len(rows)
        assert len(made) == rollouts and sum(made.values()) > rollouts * 0.6

        async def recorded():
            store = TableTraceStore(azurite.connection_string, table_name=table)
            counts = await asyncio.gather(*(store.count(trace) for trace in made))
            await store.close()
            return dict(zip(made, counts, strict=True))

        assert asyncio.run(recorded()) == made
    finally:
        proc.terminate()
        proc.wait(10)
