"""The trace store on Azure Table Storage: shared by every instance and worker process of the app.

One entity per tool call: PartitionKey = trace_id, RowKey = call_id (both made safe by `table_key`), so
a retried call overwrites itself (upsert), parallel calls of one rollout never collide, and the grader's
count is one partition query. Any storage failure becomes `TraceStoreError`.
"""

from __future__ import annotations

import asyncio
import hashlib
import re
from collections.abc import Awaitable
from typing import Any, TypeVar

from .credentials import CredentialFactory, azure_identity_credential
from .storage import StorageTarget
from .traces import ARGUMENTS_KEEP_CHARS, ToolCallRecord, TraceStoreError

T = TypeVar("T")
# Table keys may not hold / \ # ? or control characters and are limited to 1 KiB; anything outside this
# conservative alphabet (or longer) is replaced by a hash, never passed through. "~" is outside it, so a
# hashed key can never equal a client's literal key.
_SAFE_KEY = re.compile(r"[A-Za-z0-9_.:=-]{1,255}")


def table_key(value: str) -> str:
    if _SAFE_KEY.fullmatch(value):
        return value
    return "h~" + hashlib.sha256(value.encode("utf-8", "surrogatepass")).hexdigest()


def _entity(call: ToolCallRecord) -> dict[str, Any]:
    return {"PartitionKey": table_key(call.trace_id), "RowKey": table_key(call.call_id),
            "trace_id": call.trace_id, "call_id": call.call_id, "name": call.name,
            "arguments": call.arguments[:ARGUMENTS_KEEP_CHARS], "ok": call.ok, "latency_ms": float(call.latency_ms),
            "recorded_at": float(call.recorded_at)}


def _record(entity: dict[str, Any]) -> ToolCallRecord:
    return ToolCallRecord(trace_id=entity["trace_id"], call_id=entity["call_id"], name=entity["name"],
                          arguments=entity["arguments"], ok=bool(entity["ok"]),
                          latency_ms=float(entity["latency_ms"]), recorded_at=float(entity["recorded_at"]))


class TableTraceStore:
    """Async Table Storage store. The client is made per event loop (the Functions worker and tests differ)."""

    def __init__(self, target: StorageTarget | str, table_name: str = "rfttraces", timeout_seconds: float = 5.0,
                 credential_factory: CredentialFactory = azure_identity_credential):
        self.target = StorageTarget(connection_string=target) if isinstance(target, str) else target
        self.table_name = table_name
        self.timeout_seconds = timeout_seconds
        self._credential_factory = credential_factory
        self._credential: Any = None
        self._client: Any = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._created = False

    def __repr__(self) -> str:  # never show the connection string
        return f"TableTraceStore(table_name={self.table_name!r})"

    def _new_client(self) -> Any:
        from azure.data.tables.aio import TableClient

        options = {"table_name": self.table_name, "retry_total": 1, "connection_timeout": self.timeout_seconds,
                   "read_timeout": self.timeout_seconds}
        if self.target.connection_string is not None:
            return TableClient.from_connection_string(self.target.connection_string, **options)
        # An async credential holds its own HTTP session: made with the client, for the same event loop.
        self._credential = self._credential_factory(self.target.credential or "default", self.target.client_id,
                                                    aio=True)
        return TableClient(endpoint=self.target.endpoint, credential=self._credential, **options)

    async def _table(self) -> Any:
        loop = asyncio.get_running_loop()
        if self._client is None or self._loop is not loop:
            self._client = self._new_client()
            self._loop = loop
        if not self._created:
            from azure.core.exceptions import ResourceExistsError

            try:
                await self._client.create_table()
            except ResourceExistsError:
                pass
            self._created = True
        return self._client

    async def _guard(self, work: Awaitable[T], timeout: float | None = None) -> T:
        try:
            return await asyncio.wait_for(work, timeout or self.timeout_seconds * 2)
        except TraceStoreError:
            raise
        except Exception as exc:  # storage SDK, aiohttp, socket and timeout errors alike
            raise TraceStoreError(f"table store {self.table_name!r} unavailable: {type(exc).__name__}") from exc

    async def record(self, call: ToolCallRecord) -> None:
        async def work() -> None:
            from azure.core.exceptions import ResourceNotFoundError

            table = await self._table()
            try:
                await table.upsert_entity(_entity(call))
            except ResourceNotFoundError:  # the table was deleted under us: make it again, once
                self._created = False
                await (await self._table()).upsert_entity(_entity(call))

        await self._guard(work())

    async def _query(self, trace_id: str, select: list[str] | None) -> list[dict[str, Any]]:
        async def work() -> list[dict[str, Any]]:
            table = await self._table()
            pages = table.query_entities("PartitionKey eq @pk", parameters={"pk": table_key(trace_id)},
                                         select=select)
            return [dict(e) async for e in pages]

        return await self._guard(work())

    async def count(self, trace_id: str) -> int:
        return len(await self._query(trace_id, ["RowKey"]))

    async def calls(self, trace_id: str) -> list[ToolCallRecord]:
        records = [_record(e) for e in await self._query(trace_id, None)]
        return sorted(records, key=lambda c: (c.recorded_at, c.call_id))

    async def purge_older_than(self, cutoff: float) -> int:
        """Delete every call recorded before `cutoff` (epoch seconds); return how many were deleted."""

        async def work() -> int:
            table = await self._table()
            old = [dict(e) async for e in table.query_entities(
                "recorded_at lt @cutoff", parameters={"cutoff": float(cutoff)}, select=["PartitionKey", "RowKey"])]
            for entity in old:
                await table.delete_entity(entity["PartitionKey"], entity["RowKey"])
            return len(old)

        return await self._guard(work(), timeout=600)

    async def close(self) -> None:
        if self._client is not None:
            await self._client.close()
            self._client = None
        close_credential = getattr(self._credential, "close", None)
        if close_credential is not None:
            await close_credential()
            self._credential = None
