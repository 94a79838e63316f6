"""The OpenAI client both ways: an API key, or keyless with a Microsoft Entra ID bearer token.

A fake credential stands in for azure-identity's DefaultAzureCredential (which would probe the managed-identity
endpoint); the requests go to the stand-in on loopback, wrapped in a recorder of their headers.
"""

from __future__ import annotations

import pytest

from rftkit import settings as settings_module
from rftkit.settings import ENTRA_SCOPE, ToolkitSettings, make_client
from rftkit.standin.app import create_standin_app
from rftkit.util.servers import BackgroundServer
from tests.entra_support import FakeCredential, fake_default_credential, refuse_default_credential
from tests.standin_support import FAST, Recorder


@pytest.fixture(scope="module")
def recorded():
    recorder = Recorder(create_standin_app(FAST))
    with BackgroundServer(recorder) as server:
        yield recorder, server.url


@pytest.fixture(autouse=True)
def _no_default_credential(monkeypatch):
    refuse_default_credential(monkeypatch)


def authorization_of_last(recorder: Recorder, path: str) -> str:
    return [headers for _, p, headers in recorder.headers if p == path][-1].get("authorization", "")


def test_with_a_key_the_key_is_the_bearer(recorded):
    recorder, url = recorded
    client = make_client(ToolkitSettings(azure_openai_endpoint=url, azure_openai_api_key="the-key"), max_retries=0)
    assert client.files.list().data == []
    assert authorization_of_last(recorder, "/openai/v1/files") == "Bearer the-key"


def test_without_a_key_an_entra_token_for_cognitive_services_reaches_the_server(recorded):
    recorder, url = recorded
    credential = FakeCredential()
    client = make_client(ToolkitSettings(azure_openai_endpoint=url), credential=credential, max_retries=0)
    assert credential.scopes == []  # no token is asked for before the first request
    client.files.list()
    client.fine_tuning.jobs.list()
    assert authorization_of_last(recorder, "/openai/v1/files") == "Bearer entra-token-1"
    assert authorization_of_last(recorder, "/openai/v1/fine_tuning/jobs") == "Bearer entra-token-1"  # cached
    assert credential.scopes == [(ENTRA_SCOPE,)]


def test_an_expiring_token_is_refreshed(recorded):
    recorder, url = recorded
    credential = FakeCredential(lifetime=60)  # within azure-core's refresh window: fetched again next time
    client = make_client(ToolkitSettings(azure_openai_endpoint=url), credential=credential, max_retries=0)
    client.files.list()
    client.files.list()
    assert authorization_of_last(recorder, "/openai/v1/files") == "Bearer entra-token-2"


def test_the_keyless_client_builds_default_credential_lazily_and_says_how_it_signs_in(monkeypatch):
    built = []

    class Recording(FakeCredential):
        def __init__(self) -> None:
            super().__init__()
            built.append(self)

    fake_default_credential(monkeypatch, Recording)
    azure_settings = ToolkitSettings(azure_openai_endpoint="https://res.openai.azure.com")
    make_client(azure_settings)
    assert len(built) == 1 and built[0].scopes == []  # built, never asked for a token without a request
    assert "Entra ID" in azure_settings.auth
    assert ToolkitSettings(azure_openai_endpoint="https://x", azure_openai_api_key="k").auth == "API key"


def test_without_azure_identity_the_error_says_what_to_install(monkeypatch):
    import builtins

    real_import = builtins.__import__

    def no_azure_identity(name: str, *args: object, **kwargs: object):
        if name == "azure.identity":
            raise ImportError("No module named 'azure.identity'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_azure_identity)
    with pytest.raises(settings_module.SettingsError, match="pip install azure-identity"):
        make_client(ToolkitSettings(azure_openai_endpoint="https://res.openai.azure.com"))
