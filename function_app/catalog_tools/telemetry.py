"""Application Insights through OpenTelemetry (azure-monitor-opentelemetry), off unless configured.

`configure_telemetry` calls `configure_azure_monitor` only when APPLICATIONINSIGHTS_CONNECTION_STRING is set, so
local runs and tests stay offline and the heavy import is paid only then. Every tool call and grading becomes a
span carrying `rft.trace_id`, `rft.call_id`, `rft.tool`, `rft.verdict`, `rft.score`, `rft.latency_ms`, so one
rollout can be followed by its trace_id. Off, `Telemetry.enabled` is False and callers skip it: one attribute
check per request, no allocation. Exporting runs in the SDK's background thread: an unreachable ingestion endpoint
never fails a request.
"""

from __future__ import annotations

import inspect
import logging
import time
from typing import Any

from fastapi import FastAPI

from .config import Settings, SettingsError
from .credentials import CredentialFactory, azure_identity_credential

log = logging.getLogger("catalog_tools.telemetry")
TOOL_SPAN = "rft.tool_call"
GRADE_SPAN = "rft.grade"
_configured = False  # configure_azure_monitor installs process-wide providers: once per process
# Recent FastAPI releases carry an OpenTelemetry layer of their own (`FastAPI(telemetry=...)`), on by default: it
# traces every request into whatever global providers the process has, and looks them up (three environment reads)
# on every request. This app's spans come from `Telemetry.instrument` alone, only with a connection string.
NATIVE_TELEMETRY_OFF: dict[str, Any] = (
    {"telemetry": {"tracing": False, "metrics": False, "logs": False}}
    if "telemetry" in inspect.signature(FastAPI.__init__).parameters else {})


class Telemetry:
    """Spans for the app's events; `Telemetry()` (no tracer) is the switched-off default."""

    def __init__(self, tracer: Any = None, tracer_provider: Any = None):
        self.tracer = tracer
        self.tracer_provider = tracer_provider
        self.enabled = tracer is not None

    def instrument(self, app: Any) -> None:
        """Request spans for this app. Explicit, because the distro's automatic FastAPI instrumentation only
        reaches apps built from `fastapi.FastAPI` looked up after it ran, and app.py imported the class before."""
        if not self.enabled or self.tracer_provider is None:
            return
        from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor

        FastAPIInstrumentor.instrument_app(app, tracer_provider=self.tracer_provider)

    def _span(self, name: str, latency_ms: float, attributes: dict[str, Any]) -> None:
        # Made after the fact with the measured start and end: one call, and the span still nests under the
        # current request span (the FastAPI/ASGI instrumentation's), with exact timing.
        end = time.time_ns()
        span = self.tracer.start_span(name, start_time=end - int(latency_ms * 1_000_000),
                                      attributes={k: v for k, v in attributes.items() if v is not None})
        span.end(end_time=end)

    def tool_call(self, trace_id: str | None, call_id: str, tool: str, ok: bool, latency_ms: float) -> None:
        self._span(TOOL_SPAN, latency_ms, {"rft.trace_id": trace_id, "rft.call_id": call_id, "rft.tool": tool,
                                           "rft.tool_ok": ok, "rft.latency_ms": latency_ms})

    def grading(self, trace_id: str | None, verdict: str, score: float, tool_calls: int, latency_ms: float) -> None:
        self._span(GRADE_SPAN, latency_ms, {"rft.trace_id": trace_id, "rft.verdict": verdict, "rft.score": score,
                                            "rft.tool_calls": tool_calls, "rft.latency_ms": latency_ms})


OFF = Telemetry()


def parse_authentication_string(authentication_string: str | None) -> tuple[bool, str | None]:
    """APPLICATIONINSIGHTS_AUTHENTICATION_STRING as (Entra ID auth wanted, client id of a user-assigned identity)."""
    if not authentication_string or not authentication_string.strip():
        return False, None
    parts: dict[str, str] = {}
    for part in authentication_string.split(";"):
        if part.strip():
            key, sep, value = part.partition("=")
            if not sep:
                parts = {}
                break
            parts[key.strip().lower()] = value.strip()
    if parts.get("authorization", "").upper() != "AAD":
        raise SettingsError(f"APPLICATIONINSIGHTS_AUTHENTICATION_STRING={authentication_string!r} is not valid: "
                            "expected Authorization=AAD;ClientId=<client id of the identity> (or Authorization=AAD "
                            "for the system-assigned identity)")
    return True, parts.get("clientid") or None


def configure_telemetry(settings: Settings,
                        credential_factory: CredentialFactory = azure_identity_credential) -> Telemetry:
    """Export to Application Insights when its connection string is set; otherwise `OFF` (nothing imported)."""
    global _configured
    secret = settings.applicationinsights_connection_string
    connection = secret.get_secret_value().strip() if secret is not None else ""
    if not connection:
        return OFF
    aad, client_id = parse_authentication_string(settings.applicationinsights_authentication_string)
    if not _configured:
        from azure.monitor.opentelemetry import configure_azure_monitor

        options: dict[str, Any] = {"connection_string": connection}
        if aad:  # App Insights with local auth disabled accepts only Entra ID tokens
            options["credential"] = credential_factory("managedidentity", client_id, aio=False)
        configure_azure_monitor(**options)
        _configured = True
        log.info("telemetry: exporting to Application Insights%s",
                 f" with managed identity{f' (client id {client_id})' if client_id else ''}" if aad else "")
    from opentelemetry import trace

    return Telemetry(trace.get_tracer("catalog_tools"), trace.get_tracer_provider())
