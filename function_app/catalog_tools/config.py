"""Settings from environment variables (Azure app settings, `local.settings.json` Values, or a shell)."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict

from .grading import Weights

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

    # Trace store: "memory" (one process) or "table" (Azure Table Storage, shared by every instance). Unset: table
    # when running in Azure with storage configured, memory elsewhere (see storage.choose_trace_store).
    trace_store: Literal["memory", "table"] | None = None
    trace_store_connection: SecretStr | None = None
    azurewebjobsstorage: SecretStr | None = None  # the Function App's own storage, the fallback connection
    # Identity-based AzureWebJobsStorage, in the forms the Functions host accepts (see storage.resolve_storage).
    azurewebjobsstorage__accountname: str | None = None
    azurewebjobsstorage__tableserviceuri: str | None = None
    azurewebjobsstorage__credential: str | None = None
    azurewebjobsstorage__clientid: str | None = None
    website_instance_id: str | None = None  # set by App Service / Functions in Azure: "we run in Azure"
    functions_worker_runtime: str | None = None  # set by the Functions host (Azure and Core Tools); host-only
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
    docs_enabled: bool = True  # false: no /docs, /redoc, /openapi.json

    # Application Insights (OpenTelemetry); off unless the connection string is set.
    applicationinsights_connection_string: SecretStr | None = None
    # "Authorization=AAD;ClientId=<id>" when the resource has local auth disabled (Entra ID only).
    applicationinsights_authentication_string: str | None = None

    def grader_weights(self) -> Weights:
        """The GRADER_* settings as the grader's weights (built once per app, by the service)."""
        return Weights(self.grader_prose_credit, self.grader_no_tool_factor, self.grader_free_tool_calls,
                       self.grader_extra_call_penalty, self.grader_min_call_factor)

    def storage_connection_string(self) -> str | None:
        """TRACE_STORE_CONNECTION, else AzureWebJobsStorage ("UseDevelopmentStorage=true" works with Azurite)."""
        for secret in (self.trace_store_connection, self.azurewebjobsstorage):
            if secret is not None and secret.get_secret_value().strip():
                return secret.get_secret_value().strip()
        return None


class SettingsError(ValueError):
    """A setting is missing, mistyped or half there: one line naming the environment variable as users write it."""


# Environment variables whose usual spelling is not simply the field name upper-cased.
_SPELLING = {name.lower(): name for name in (
    "AzureWebJobsStorage", "AzureWebJobsStorage__accountName", "AzureWebJobsStorage__tableServiceUri",
    "AzureWebJobsStorage__credential", "AzureWebJobsStorage__clientId")}
_ACCEPTED = {
    "bool_parsing": "true or false (also 1/0, yes/no, on/off)",
    "bool_type": "true or false (also 1/0, yes/no, on/off)",
    "int_parsing": "a whole number",
    "float_parsing": "a number",
}


def env_name(field: str) -> str:
    """The environment variable of a Settings field, spelled as users write it."""
    return _SPELLING.get(field, field.upper())


def _problem(error: dict) -> str:
    field = str(error["loc"][0]) if error["loc"] else "?"
    annotation = str(Settings.model_fields[field].annotation) if field in Settings.model_fields else ""
    value = "(hidden)" if "SecretStr" in annotation else repr(error.get("input"))
    kind = error["type"]
    if kind == "literal_error":
        accepted = (error.get("ctx") or {}).get("expected", "")
    else:
        accepted = _ACCEPTED.get(kind, error["msg"].removeprefix("Input should be ").removeprefix("Value error, "))
        if accepted.startswith(("greater", "less")):
            accepted = "a value " + accepted
    return f"{env_name(field)}={value} is not valid: expected {accepted}"


def load_settings() -> Settings:
    """Settings() from the environment; a bad value raises SettingsError with one readable line."""
    try:
        return Settings()
    except ValidationError as exc:
        problems = "; ".join(_problem(e) for e in exc.errors(include_url=False))
        raise SettingsError(f"invalid setting: {problems}") from None
