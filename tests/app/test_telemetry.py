"""Application Insights / OpenTelemetry: spans for every tool call and grading (both the fast path and the
routes), Entra ID auth for the exporter, offline by default, and an unreachable ingestion endpoint never failing a
request. Nothing here reaches Azure: spans go to the SDK's in-memory exporter, or to a closed loopback port."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import textwrap

import pytest
from fastapi.testclient import TestClient
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from catalog_tools import telemetry as telemetry_module
from catalog_tools.app import create_app
from catalog_tools.config import SettingsError
from catalog_tools.telemetry import GRADE_SPAN, OFF, TOOL_SPAN, Telemetry, configure_telemetry
from tests.support import REPO_ROOT as REPO
from tests.support import make_app, open_settings, puffer_call, puffer_grading, shipped_catalog

UNREACHABLE = "InstrumentationKey=00000000-0000-0000-0000-000000000000;IngestionEndpoint=http://127.0.0.1:9/"
OFFLINE_ENV = {"APPLICATIONINSIGHTS_STATSBEAT_DISABLED_ALL": "true", "OTEL_EXPERIMENTAL_RESOURCE_DETECTORS": "otel"}


@pytest.fixture()
def spans():
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    yield exporter, Telemetry(provider.get_tracer("test"), provider)
    provider.shutdown()


# "" takes the fast path (plain POST); "?via=routes" has a query string, so FastAPI's routes answer.
@pytest.mark.parametrize("query", ["", "?via=routes"])
def test_tool_call_and_grading_spans_carry_the_rollout(spans, query):
    exporter, telemetry = spans
    app = create_app(open_settings(), catalog=shipped_catalog(), telemetry=telemetry)
    with TestClient(app) as c:
        assert c.post(f"/tool/search_catalog{query}", json=puffer_call("trace_otel", "call_7")).status_code == 200
        assert c.post(f"/score{query}", json=puffer_grading("trace_otel")).json() == {"score": 1.0}
    finished = exporter.get_finished_spans()
    by_name = {s.name: s for s in finished if s.name.startswith("rft.")}
    assert set(by_name) == {TOOL_SPAN, GRADE_SPAN}
    # Each event span sits inside its request's server span (FastAPI instrumentation), fast path included.
    servers = {s.context.span_id: s for s in finished if s.kind.name == "SERVER"}
    assert {servers[by_name[n].parent.span_id].attributes.get("http.route") for n in by_name} == \
        {"/tool/search_catalog", "/score"}
    tool, grade = dict(by_name[TOOL_SPAN].attributes), dict(by_name[GRADE_SPAN].attributes)
    assert tool["rft.trace_id"] == "trace_otel" and tool["rft.call_id"] == "call_7"
    assert tool["rft.tool"] == "search_catalog" and tool["rft.tool_ok"] is True and tool["rft.latency_ms"] > 0
    assert grade["rft.trace_id"] == "trace_otel" and grade["rft.verdict"] == "exact" and grade["rft.score"] == 1.0
    assert grade["rft.tool_calls"] == 1 and grade["rft.latency_ms"] >= 0
    span = by_name[TOOL_SPAN]
    assert span.end_time - span.start_time == pytest.approx(tool["rft.latency_ms"] * 1e6, rel=0.01, abs=2000)


def test_request_log_record_carries_the_attributes_when_telemetry_is_on(spans, caplog):
    _, telemetry = spans
    app = create_app(open_settings(), catalog=shipped_catalog(), telemetry=telemetry)
    with caplog.at_level(logging.INFO, logger="catalog_tools.requests"), TestClient(app) as c:
        c.post("/tool/search_catalog", json=puffer_call("trace_log", "call_1"))
        c.post("/score", json=puffer_grading("trace_log"))
    tool, grading = [r for r in caplog.records if r.name == "catalog_tools.requests"]
    assert getattr(tool, "rft.trace_id") == "trace_log" and getattr(tool, "rft.call_id") == "call_1"
    assert getattr(tool, "rft.tool") == "search_catalog" and getattr(tool, "rft.status") == 200
    assert getattr(grading, "rft.verdict") == "exact" and getattr(grading, "rft.score") == 1.0
    assert json.loads(grading.getMessage())["trace_id"] == "trace_log"


def test_off_by_default_no_spans_and_no_record_attributes(caplog):
    app = make_app()
    assert app.state.service.telemetry is OFF and not OFF.enabled
    with caplog.at_level(logging.INFO, logger="catalog_tools.requests"), TestClient(app) as c:
        c.post("/score", json=puffer_grading("trace_off"))
        assert c.get("/health").json()["telemetry"] == "off"
    record = next(r for r in caplog.records if r.name == "catalog_tools.requests")
    assert not hasattr(record, "rft.trace_id")
    assert json.loads(record.getMessage())["verdict"] == "exact"  # still on the line itself


def test_no_connection_string_imports_no_exporter():
    code = ("import sys, function_app; "
            "print(sorted(m for m in sys.modules if m.startswith(('azure.monitor', 'opentelemetry.sdk'))))")
    env = {**os.environ, "TOOL_AUTH_DISABLED": "true", "SCORE_AUTH_DISABLED": "true"}
    env.pop("APPLICATIONINSIGHTS_CONNECTION_STRING", None)
    result = subprocess.run([sys.executable, "-c", code], cwd=REPO / "function_app", env=env, capture_output=True,
                            text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "[]"


class Recorder:
    def __init__(self):
        self.calls: list[dict] = []
        self.credentials: list[tuple] = []

    def configure(self, **kwargs):
        self.calls.append(kwargs)

    def factory(self, kind, client_id, *, aio):
        self.credentials.append((kind, client_id, aio))
        return f"credential:{kind}:{client_id}"


@pytest.mark.parametrize("auth,credential", [
    (None, None),
    ("Authorization=AAD;ClientId=11111111-2222-3333-4444-555555555555",
     ("managedidentity", "11111111-2222-3333-4444-555555555555", False)),
    ("Authorization=AAD", ("managedidentity", None, False)),
])
def test_configure_azure_monitor_called_with_connection_string_and_identity(monkeypatch, auth, credential):
    import azure.monitor.opentelemetry as distro

    recorder = Recorder()
    monkeypatch.setattr(distro, "configure_azure_monitor", recorder.configure)
    monkeypatch.setattr(telemetry_module, "_configured", False)
    settings = open_settings(applicationinsights_connection_string=UNREACHABLE,
                             applicationinsights_authentication_string=auth)
    result = configure_telemetry(settings, recorder.factory)
    assert result.enabled
    assert recorder.calls[0]["connection_string"] == UNREACHABLE
    if credential is None:
        assert "credential" not in recorder.calls[0] and recorder.credentials == []
    else:
        assert recorder.credentials == [credential]
        assert recorder.calls[0]["credential"] == f"credential:{credential[0]}:{credential[1]}"
    configure_telemetry(settings, recorder.factory)
    assert len(recorder.calls) == 1  # process-wide providers: configured once


def test_no_connection_string_means_off_and_nothing_configured(monkeypatch):
    import azure.monitor.opentelemetry as distro

    recorder = Recorder()
    monkeypatch.setattr(distro, "configure_azure_monitor", recorder.configure)
    monkeypatch.setattr(telemetry_module, "_configured", False)
    assert configure_telemetry(open_settings(), recorder.factory) is OFF and recorder.calls == []


@pytest.mark.parametrize("auth", ["Authorization=Key", "AAD", "ClientId=abc"])
def test_bad_authentication_string_fails_at_start_up(monkeypatch, auth):
    monkeypatch.setattr(telemetry_module, "_configured", False)
    settings = open_settings(applicationinsights_connection_string=UNREACHABLE,
                             applicationinsights_authentication_string=auth)
    with pytest.raises(SettingsError, match="APPLICATIONINSIGHTS_AUTHENTICATION_STRING"):
        configure_telemetry(settings, Recorder().factory)


OUTAGE_SCRIPT = textwrap.dedent('''
    import asyncio, json, time
    import azure.functions as func
    import function_app
    from opentelemetry import trace

    http = function_app.app.get_functions()[0].get_user_function()

    def call(method, path, body=None):
        request = func.HttpRequest(method, "http://localhost" + path, headers={"Content-Type": "application/json"},
                                   params={}, body=json.dumps(body).encode() if body is not None else b"")
        response = asyncio.run(http(request, None))
        return response.status_code, json.loads(response.get_body())

    tool = {"type": "function_call", "id": "fc_1", "call_id": "call_1", "name": "search_catalog",
            "arguments": '{"query":"Urban Puffer","top_k":1}', "trace_id": "trace_outage", "item": {}}
    score = {"sample": {"output_text": "JKT-URB-009"}, "trace_id": "trace_outage",
             "item": {"reference_answer": "JKT-URB-009", "tools": [{"type": "function", "function": {}}]}}
    results = [call("POST", "/tool/search_catalog", tool), call("POST", "/score", score)]
    flushed = trace.get_tracer_provider().force_flush(10_000)  # the export to the closed port happens (and fails)
    results += [call("POST", "/score", score), call("GET", "/health")]
    print(json.dumps({"results": results, "flushed": flushed}))
''')


def test_unreachable_ingestion_endpoint_never_breaks_a_request(tmp_path):
    env = {**os.environ, **OFFLINE_ENV, "TOOL_AUTH_DISABLED": "true", "SCORE_AUTH_DISABLED": "true",
           "APPLICATIONINSIGHTS_CONNECTION_STRING": UNREACHABLE, "TMPDIR": str(tmp_path)}  # offline retry files
    env.pop("APPLICATIONINSIGHTS_AUTHENTICATION_STRING", None)
    result = subprocess.run([sys.executable, "-c", OUTAGE_SCRIPT], cwd=REPO / "function_app", env=env,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
    out = json.loads(result.stdout.strip().splitlines()[-1])
    (tool_status, tool), (score_status, score), (again_status, again), (health_status, health) = out["results"]
    assert tool_status == 200 and json.loads(tool["output"])["items"][0]["sku"] == "JKT-URB-009"
    assert (score_status, score) == (200, {"score": 1.0}) and (again_status, again) == (200, {"score": 1.0})
    assert health_status == 200 and health["telemetry"] == "application insights"


def test_off_means_no_spans_even_when_the_process_has_a_global_tracer_provider(spans, monkeypatch):
    """Another component of the process (the Functions worker with OpenTelemetry on, say) may install global
    providers. FastAPI's own telemetry layer (recent releases) would trace every request into them; the app turns
    that layer off, so without a connection string it still emits nothing."""
    from opentelemetry import trace

    exporter, telemetry = spans
    monkeypatch.setattr(trace, "get_tracer_provider", lambda: telemetry.tracer_provider)
    app = create_app(open_settings(), catalog=shipped_catalog())  # telemetry off: no connection string
    with TestClient(app) as c:
        assert c.post("/tool/search_catalog", json=puffer_call("trace_off", "call_1")).status_code == 200
        assert c.post("/score?via=routes", json=puffer_grading("trace_off")).status_code == 200
    assert exporter.get_finished_spans() == ()
