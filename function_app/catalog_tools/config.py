"""Settings from environment variables (Azure app settings, `local.settings.json` Values, or a shell)."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

SHIPPED_CATALOG = Path(__file__).resolve().parent.parent / "data" / "products.jsonl"
MAX_BODY_BYTES = 1_048_576  # the service's 1 MB request/response limit


class Settings(BaseSettings):
    """Every knob of the app. Names match the env vars case-insensitively (e.g. `TOOL_AUTH_DISABLED`)."""

    model_config = SettingsConfigDict(extra="ignore", case_sensitive=False)

    # Auth: on by default. The public sample's switches turn it off per endpoint.
    tool_auth_disabled: bool = False
    score_auth_disabled: bool = False
    tool_api_key: SecretStr | None = None
    score_api_key: SecretStr | None = None

    # Catalog and tool output.
    catalog_path: Path = SHIPPED_CATALOG
    tool_output_char_budget: int = Field(default=16_000, ge=1_000, le=900_000)
    # Well under Azure's 230 s HTTP limit: past it the model gets an error output, not a hung call.
    tool_time_budget_seconds: float = Field(default=10.0, gt=0, le=200)

    # Trace store: "memory" (one process) or "table" (Azure Table Storage, shared by every instance).
    trace_store: Literal["memory", "table"] = "memory"
    trace_store_connection: SecretStr | None = None
    azurewebjobsstorage: SecretStr | None = None  # the Function App's own storage, the fallback connection
    trace_table_name: str = Field(default="rfttraces", pattern=r"^[A-Za-z][A-Za-z0-9]{2,62}$")
    trace_store_timeout_seconds: float = Field(default=5.0, gt=0, le=60)
    trace_retention_hours: float = Field(default=48.0, gt=0)
    trace_purge_schedule: str = "0 0 3 * * *"  # NCRONTAB: daily at 03:00 UTC
    # In-memory trace store bounds.
    trace_ttl_seconds: float = Field(default=6 * 3600, gt=0)
    trace_max_traces: int = Field(default=100_000, ge=1)

    # Grader weights (see grading.py for what each one does).
    grader_prose_credit: float = Field(default=0.3, ge=0, le=1)
    grader_no_tool_factor: float = Field(default=0.5, ge=0, le=1)
    grader_free_tool_calls: int = Field(default=3, ge=1)
    grader_extra_call_penalty: float = Field(default=0.05, ge=0, le=1)
    grader_min_call_factor: float = Field(default=0.7, ge=0, le=1)

    log_level: str = "INFO"

    def table_connection_string(self) -> str:
        """TRACE_STORE_CONNECTION, else AzureWebJobsStorage ("UseDevelopmentStorage=true" works with Azurite)."""
        for secret in (self.trace_store_connection, self.azurewebjobsstorage):
            if secret is not None and secret.get_secret_value().strip():
                return secret.get_secret_value().strip()
        raise ValueError("TRACE_STORE=table needs TRACE_STORE_CONNECTION or AzureWebJobsStorage")
