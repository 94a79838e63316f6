"""Where the trace store lives: resolve_storage (every AzureWebJobsStorage form), choose_trace_store, the
identity-based table client, and the app's start-up with those settings. No test builds a real credential."""

from __future__ import annotations

import logging

import pytest
from fastapi.testclient import TestClient

from catalog_tools.app import create_app
from catalog_tools.config import Settings, SettingsError
from catalog_tools.storage import StorageTarget, choose_trace_store, resolve_storage
from catalog_tools.table_traces import TableTraceStore
from catalog_tools.traces import MemoryTraceStore
from tests.support import shipped_catalog

STORAGE_ENV = ("TRACE_STORE", "TRACE_STORE_CONNECTION", "AzureWebJobsStorage", "AzureWebJobsStorage__accountName",
               "AzureWebJobsStorage__tableServiceUri", "AzureWebJobsStorage__credential",
               "AzureWebJobsStorage__clientId", "WEBSITE_INSTANCE_ID", "FUNCTIONS_WORKER_RUNTIME")


@pytest.fixture(autouse=True)
def clean_env(monkeypatch):
    for name in STORAGE_ENV:
        monkeypatch.delenv(name, raising=False)


def settings_from(monkeypatch, **env: str) -> Settings:
    """Settings read from environment variables spelled as users (and Bicep) write them."""
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return Settings(tool_auth_disabled=True, score_auth_disabled=True)


class FakeCredential:
    """Stands in for azure-identity's credentials: records how it was made, never touches the network."""

    def __init__(self, kind: str, client_id: str | None, aio: bool):
        self.kind, self.client_id, self.aio = kind, client_id, aio
        self.closed = False

    async def get_token(self, *scopes, **kwargs):  # pragma: no cover - a request would need https storage
        raise AssertionError("no token should be asked for in these tests")

    async def close(self) -> None:
        self.closed = True


class RecordingFactory:
    def __init__(self):
        self.made: list[FakeCredential] = []

    def __call__(self, kind: str, client_id: str | None, *, aio: bool) -> FakeCredential:
        self.made.append(FakeCredential(kind, client_id, aio))
        return self.made[-1]


AZURITE = "UseDevelopmentStorage=true"


@pytest.mark.parametrize("env,expected", [
    ({}, None),
    ({"AzureWebJobsStorage": AZURITE}, StorageTarget(connection_string=AZURITE)),
    ({"TRACE_STORE_CONNECTION": "DefaultEndpointsProtocol=https;AccountName=a", "AzureWebJobsStorage": AZURITE},
     StorageTarget(connection_string="DefaultEndpointsProtocol=https;AccountName=a")),
    # a connection string wins over identity settings
    ({"AzureWebJobsStorage": AZURITE, "AzureWebJobsStorage__accountName": "stacct1"},
     StorageTarget(connection_string=AZURITE)),
    # an empty AzureWebJobsStorage (as some templates leave it) is no connection string
    ({"AzureWebJobsStorage": " ", "AzureWebJobsStorage__accountName": "stacct1"},
     StorageTarget(endpoint="https://stacct1.table.core.windows.net", credential="default")),
    ({"AzureWebJobsStorage__accountName": "stacct1", "AzureWebJobsStorage__credential": "managedidentity"},
     StorageTarget(endpoint="https://stacct1.table.core.windows.net", credential="managedidentity")),
    ({"AzureWebJobsStorage__accountName": "stacct1", "AzureWebJobsStorage__credential": "ManagedIdentity",
      "AzureWebJobsStorage__clientId": "11111111-2222-3333-4444-555555555555"},
     StorageTarget(endpoint="https://stacct1.table.core.windows.net", credential="managedidentity",
                   client_id="11111111-2222-3333-4444-555555555555")),
    ({"AzureWebJobsStorage__tableServiceUri": "https://stacct1.table.core.windows.net/",
      "AzureWebJobsStorage__credential": "managedidentity"},
     StorageTarget(endpoint="https://stacct1.table.core.windows.net", credential="managedidentity")),
    # the service URI wins over the account name (sovereign clouds, private endpoints)
    ({"AzureWebJobsStorage__tableServiceUri": "https://stacct1.table.core.chinacloudapi.cn",
      "AzureWebJobsStorage__accountName": "stacct1"},
     StorageTarget(endpoint="https://stacct1.table.core.chinacloudapi.cn", credential="default")),
])
def test_resolve_storage_every_form(monkeypatch, env, expected):
    assert resolve_storage(settings_from(monkeypatch, **env)) == expected


@pytest.mark.parametrize("env,message", [
    ({"AzureWebJobsStorage__credential": "managedidentity"},
     "AzureWebJobsStorage__credential is set but neither AzureWebJobsStorage__accountName nor "
     "AzureWebJobsStorage__tableServiceUri is"),
    ({"AzureWebJobsStorage__accountName": "stacct1", "AzureWebJobsStorage__clientId": "abc"},
     "AzureWebJobsStorage__clientId is set but AzureWebJobsStorage__credential is not"),
    ({"AzureWebJobsStorage__clientId": "abc"},
     "AzureWebJobsStorage__clientId is set but AzureWebJobsStorage__credential is not"),
    ({"AzureWebJobsStorage__tableServiceUri": "http://stacct1.table.core.windows.net"},
     "AzureWebJobsStorage__tableServiceUri='http://stacct1.table.core.windows.net' is not valid: expected https://"),
    ({"AzureWebJobsStorage__accountName": "St_Acct"},
     "AzureWebJobsStorage__accountName='St_Acct' is not valid"),
    ({"AzureWebJobsStorage__accountName": "stacct1", "AzureWebJobsStorage__credential": "connectionstring"},
     "AzureWebJobsStorage__credential='connectionstring' is not valid: the only accepted value is managedidentity"),
])
def test_half_configured_storage_names_the_setting(monkeypatch, env, message):
    with pytest.raises(SettingsError) as caught:
        resolve_storage(settings_from(monkeypatch, **env))
    assert message in str(caught.value) and "\n" not in str(caught.value)


@pytest.mark.parametrize("env,kind,reason", [
    ({}, "memory", "default"),
    ({"AzureWebJobsStorage": AZURITE}, "memory", "default"),  # local: storage alone does not switch
    ({"WEBSITE_INSTANCE_ID": "abc123"}, "memory", "default"),  # Azure without storage
    ({"WEBSITE_INSTANCE_ID": "abc123", "AzureWebJobsStorage": AZURITE}, "table", "chosen for Azure"),
    ({"WEBSITE_INSTANCE_ID": "abc123", "AzureWebJobsStorage__accountName": "stacct1",
      "AzureWebJobsStorage__credential": "managedidentity"}, "table", "chosen for Azure"),
    ({"WEBSITE_INSTANCE_ID": "abc123", "AzureWebJobsStorage": AZURITE, "TRACE_STORE": "memory"}, "memory",
     "explicit"),
    ({"TRACE_STORE": "table", "AzureWebJobsStorage": AZURITE}, "table", "explicit"),
    # explicit memory ignores storage settings entirely, even half-configured ones
    ({"TRACE_STORE": "memory", "AzureWebJobsStorage__credential": "managedidentity"}, "memory", "explicit"),
])
def test_choose_trace_store(monkeypatch, env, kind, reason):
    choice = choose_trace_store(settings_from(monkeypatch, **env))
    assert (choice.kind, choice.reason) == (kind, reason)
    assert (choice.warning is not None) == ("WEBSITE_INSTANCE_ID" in env and kind == "memory")


def test_table_store_explicit_without_storage_fails_at_start_up(monkeypatch):
    monkeypatch.setenv("TRACE_STORE", "table")
    with pytest.raises(SettingsError, match="TRACE_STORE=table needs TRACE_STORE_CONNECTION or AzureWebJobsStorage"):
        create_app(catalog=shipped_catalog())


def test_half_configured_storage_fails_at_create_app_not_at_first_grading(monkeypatch):
    monkeypatch.setenv("WEBSITE_INSTANCE_ID", "abc123")
    monkeypatch.setenv("AzureWebJobsStorage__credential", "managedidentity")
    with pytest.raises(SettingsError, match="neither AzureWebJobsStorage__accountName"):
        create_app(catalog=shipped_catalog())


def test_identity_based_table_client_uses_the_factory_credential():
    factory = RecordingFactory()
    target = StorageTarget(endpoint="https://stacct1.table.core.windows.net", credential="managedidentity",
                           client_id="cid-1")
    store = TableTraceStore(target, "rfttraces", 2.0, factory)
    client = store._new_client()
    assert client.url.startswith("https://stacct1.table.core.windows.net") and client.table_name == "rfttraces"
    assert client.credential is factory.made[0]
    assert (factory.made[0].kind, factory.made[0].client_id, factory.made[0].aio) == ("managedidentity", "cid-1", True)

    import asyncio

    store._client = client
    asyncio.run(store.close())
    assert factory.made[0].closed


def test_app_in_azure_with_identity_storage_reports_it_and_builds_no_real_credential(monkeypatch, caplog):
    factory = RecordingFactory()
    for name, value in {"WEBSITE_INSTANCE_ID": "abc123", "AzureWebJobsStorage__accountName": "stacct1",
                        "AzureWebJobsStorage__credential": "managedidentity", "AzureWebJobsStorage__clientId": "cid-9",
                        "TOOL_AUTH_DISABLED": "true", "SCORE_AUTH_DISABLED": "true"}.items():
        monkeypatch.setenv(name, value)
    with caplog.at_level(logging.INFO, logger="catalog_tools"):
        app = create_app(catalog=shipped_catalog(), credential_factory=factory)
    assert isinstance(app.state.store, TableTraceStore) and factory.made == []  # made at first use only
    with TestClient(app) as c:
        store = c.get("/health").json()["trace_store"]
    assert store == {"kind": "table", "reason": "chosen for Azure",
                     "storage": "https://stacct1.table.core.windows.net with managed identity (client id cid-9)"}
    assert "trace store: table (chosen for Azure)" in caplog.text


@pytest.mark.parametrize("env,warning", [
    ({"WEBSITE_INSTANCE_ID": "abc123"}, "no storage is configured"),
    ({"WEBSITE_INSTANCE_ID": "abc123", "TRACE_STORE": "memory", "AzureWebJobsStorage": AZURITE},
     "TRACE_STORE=memory inside Azure"),
])
def test_memory_store_in_azure_warns_at_start_up(monkeypatch, caplog, env, warning):
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    with caplog.at_level(logging.WARNING, logger="catalog_tools"):
        app = create_app(Settings(tool_auth_disabled=True, score_auth_disabled=True), catalog=shipped_catalog())
    assert isinstance(app.state.store, MemoryTraceStore)
    assert [r for r in caplog.records if r.levelno == logging.WARNING and warning in r.getMessage()]


def test_memory_store_locally_does_not_warn(caplog):
    with caplog.at_level(logging.WARNING, logger="catalog_tools"):
        create_app(Settings(tool_auth_disabled=True, score_auth_disabled=True), catalog=shipped_catalog())
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]


def test_bicep_setting_names_are_read_from_the_environment(monkeypatch):
    # The infrastructure writes exactly these names (with these spellings); the app must read each of them.
    bicep = {"TRACE_STORE": ("table", "table"), "SCORE_AUTH_DISABLED": ("true", True),
             "TOOL_API_KEY": ("k-1", "k-1"), "AzureWebJobsStorage__accountName": ("stacct1", "stacct1"),
             "AzureWebJobsStorage__credential": ("managedidentity", "managedidentity"),
             "AzureWebJobsStorage__clientId": ("cid-1", "cid-1"),
             "APPLICATIONINSIGHTS_CONNECTION_STRING": ("InstrumentationKey=x", "InstrumentationKey=x"),
             "APPLICATIONINSIGHTS_AUTHENTICATION_STRING": ("Authorization=AAD;ClientId=cid-1",
                                                           "Authorization=AAD;ClientId=cid-1")}
    for name, (raw, _) in bicep.items():
        monkeypatch.setenv(name, raw)
    settings = Settings()
    for name, (_, expected) in bicep.items():
        value = getattr(settings, name.lower())
        value = value.get_secret_value() if hasattr(value, "get_secret_value") else value
        assert value == expected, name
