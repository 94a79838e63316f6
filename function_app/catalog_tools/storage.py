"""Which trace store the app uses, and how it reaches Table Storage: pure functions of the settings.

`resolve_storage` turns the storage settings into a `StorageTarget` (a connection string, or an endpoint and a
credential kind), in every form the Functions host accepts for `AzureWebJobsStorage`. `choose_trace_store` picks
the store: an explicit TRACE_STORE wins; otherwise Table Storage when the app runs in Azure (WEBSITE_INSTANCE_ID)
with storage configured, because Azure scales out and an in-memory store would lose a rollout's calls to another
instance; memory everywhere else. Half-configured settings raise `SettingsError` at start-up.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Literal

from .config import Settings, SettingsError

CredentialKind = Literal["managedidentity", "default"]
_ACCOUNT_NAME = re.compile(r"[a-z0-9]{3,24}")
ACCOUNT = "AzureWebJobsStorage__accountName"
SERVICE_URI = "AzureWebJobsStorage__tableServiceUri"
CREDENTIAL = "AzureWebJobsStorage__credential"
CLIENT_ID = "AzureWebJobsStorage__clientId"


@dataclass(frozen=True)
class StorageTarget:
    """Where the table store connects: a connection string, or an https endpoint with an Entra ID credential."""

    connection_string: str | None = field(default=None, repr=False)
    endpoint: str | None = None
    credential: CredentialKind | None = None  # managedidentity: ManagedIdentityCredential; default: DefaultAzure…
    client_id: str | None = None  # a user-assigned identity's client id (managedidentity only)

    def describe(self) -> str:
        """For /health and logs: never the connection string (it may hold an account key)."""
        if self.connection_string is not None:
            return "connection string"
        who = "managed identity" if self.credential == "managedidentity" else "DefaultAzureCredential"
        if self.client_id:
            who += f" (client id {self.client_id})"
        return f"{self.endpoint} with {who}"


def _clean(value: str | None) -> str | None:
    return value.strip() if value and value.strip() else None


def resolve_storage(settings: Settings) -> StorageTarget | None:
    """The storage the settings point at, or None when none is configured.

    A connection string (TRACE_STORE_CONNECTION, else AzureWebJobsStorage) wins. Otherwise the identity forms:
    AzureWebJobsStorage__tableServiceUri, else __accountName (https://<name>.table.core.windows.net), with
    __credential=managedidentity (and __clientId for a user-assigned identity), or no __credential at all
    (DefaultAzureCredential).
    """
    connection = settings.storage_connection_string()
    if connection is not None:
        return StorageTarget(connection_string=connection)
    account = _clean(settings.azurewebjobsstorage__accountname)
    uri = _clean(settings.azurewebjobsstorage__tableserviceuri)
    credential = _clean(settings.azurewebjobsstorage__credential)
    client_id = _clean(settings.azurewebjobsstorage__clientid)
    if not (account or uri or credential or client_id):
        return None
    if credential is not None and credential.lower() != "managedidentity":
        raise SettingsError(f"{CREDENTIAL}={credential!r} is not valid: the only accepted value is managedidentity "
                            f"(or leave it unset for DefaultAzureCredential)")
    if client_id is not None and credential is None:
        raise SettingsError(f"{CLIENT_ID} is set but {CREDENTIAL} is not: set {CREDENTIAL}=managedidentity to use "
                            f"that user-assigned identity")
    if uri is not None:
        if not re.fullmatch(r"https://[^/\s?#]+/?", uri):
            raise SettingsError(f"{SERVICE_URI}={uri!r} is not valid: expected https://<account>.table.core.windows.net")
        endpoint = uri.rstrip("/")
    elif account is not None:
        if not _ACCOUNT_NAME.fullmatch(account):
            raise SettingsError(f"{ACCOUNT}={account!r} is not valid: expected a storage account name "
                                f"(3-24 lower-case letters and digits)")
        endpoint = f"https://{account}.table.core.windows.net"
    else:
        set_name = CREDENTIAL if credential is not None else CLIENT_ID
        raise SettingsError(f"{set_name} is set but neither {ACCOUNT} nor {SERVICE_URI} is: set {ACCOUNT} to the "
                            f"storage account's name (or use a connection string in AzureWebJobsStorage)")
    kind: CredentialKind = "managedidentity" if credential is not None else "default"
    return StorageTarget(endpoint=endpoint, credential=kind, client_id=client_id)


@dataclass(frozen=True)
class StoreChoice:
    kind: Literal["memory", "table"]
    reason: Literal["explicit", "chosen for Azure", "default"]
    target: StorageTarget | None  # set for "table"
    warning: str | None = None  # the memory store inside Azure

    def as_dict(self) -> dict[str, str | None]:
        return {"kind": self.kind, "reason": self.reason,
                "storage": self.target.describe() if self.target is not None else None}


def in_azure(settings: Settings) -> bool:
    return bool(_clean(settings.website_instance_id))


def under_functions_host(settings: Settings) -> bool:
    """The Functions host (Azure or Core Tools) sets FUNCTIONS_WORKER_RUNTIME for its worker."""
    return bool(_clean(settings.functions_worker_runtime)) or in_azure(settings)


def choose_trace_store(settings: Settings) -> StoreChoice:
    """The trace store to use and why; raises SettingsError for unusable storage settings."""
    in_cloud = in_azure(settings)
    if settings.trace_store == "memory":
        warning = ("TRACE_STORE=memory inside Azure: with more than one instance a grading can land where the "
                   "rollout's tool calls were never seen and score a correct answer as if no tool was used"
                   if in_cloud else None)
        return StoreChoice("memory", "explicit", None, warning)
    target = resolve_storage(settings)
    if settings.trace_store == "table":
        if target is None:
            raise SettingsError("TRACE_STORE=table needs TRACE_STORE_CONNECTION or AzureWebJobsStorage (a connection "
                                f"string), or {ACCOUNT} (identity-based)")
        return StoreChoice("table", "explicit", target)
    if in_cloud and target is not None:
        return StoreChoice("table", "chosen for Azure", target)
    warning = ("the memory trace store is in use inside Azure because no storage is configured (AzureWebJobsStorage "
               f"or {ACCOUNT}): with more than one instance gradings can miss tool calls; configure storage or set "
               "TRACE_STORE=memory deliberately" if in_cloud else None)
    return StoreChoice("memory", "default", None, warning)
