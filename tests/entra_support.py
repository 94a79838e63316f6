"""Keyless sign-in in tests: a fake azure-identity credential, and a guard that no real one is ever built
(DefaultAzureCredential would probe the managed-identity endpoint at 169.254.169.254)."""

from __future__ import annotations

import time

import pytest
from azure.core.credentials import AccessToken


class FakeCredential:
    """An azure-identity credential (`get_token`) that hands out numbered tokens and records the scopes asked."""

    def __init__(self, lifetime: float = 3600):
        self.scopes: list[tuple[str, ...]] = []
        self.lifetime = lifetime

    def get_token(self, *scopes: str, **_: object) -> AccessToken:
        self.scopes.append(scopes)
        return AccessToken(f"entra-token-{len(self.scopes)}", int(time.time() + self.lifetime))


def refuse_default_credential(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make building DefaultAzureCredential fail the test."""
    import azure.identity

    def refuse(*_: object, **__: object) -> None:
        raise AssertionError("DefaultAzureCredential was built in a test")

    monkeypatch.setattr(azure.identity, "DefaultAzureCredential", refuse)


def fake_default_credential(monkeypatch: pytest.MonkeyPatch, fake: type = FakeCredential) -> None:
    """Put `fake` where DefaultAzureCredential is, for code that builds its own (the CLI, the notebooks)."""
    import azure.identity

    monkeypatch.setattr(azure.identity, "DefaultAzureCredential", fake)
