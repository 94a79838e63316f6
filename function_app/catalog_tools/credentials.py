"""Entra ID credentials for Table Storage and Application Insights, made by one replaceable factory.

Tests pass their own factory to `create_app(credential_factory=...)`, so no test ever builds a real credential
(a real one would probe the managed-identity endpoint). azure-identity is imported only when a credential is made.
"""

from __future__ import annotations

from typing import Any, Protocol


class CredentialFactory(Protocol):
    def __call__(self, kind: str, client_id: str | None, *, aio: bool) -> Any: ...


def azure_identity_credential(kind: str, client_id: str | None, *, aio: bool) -> Any:
    """`managedidentity`: ManagedIdentityCredential (client_id for a user-assigned identity); `default`:
    DefaultAzureCredential. `aio=True` gives the async flavour (the table store), else the sync one (the exporter)."""
    if aio:
        from azure.identity import aio as identity
    else:
        import azure.identity as identity  # type: ignore[no-redef]
    if kind == "managedidentity":
        return identity.ManagedIdentityCredential(client_id=client_id) if client_id \
            else identity.ManagedIdentityCredential()
    if kind == "default":
        return identity.DefaultAzureCredential()
    raise ValueError(f"unknown credential kind {kind!r}")
