"""Worker slots for the runner, each bound to one of a few HTTP clients.

httpx's connection pool scans all of its connections for every request it queues, so one client holding hundreds
of connections spends most of a burst in pool bookkeeping (measured: over half the run's time at 100 rollouts in
flight). A client per `ROLLOUTS_PER_CLIENT` slots keeps every pool small; the slots also bound concurrency.
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx

ROLLOUTS_PER_CLIENT = 16


class ClientSlots:
    def __init__(self, concurrency: int, request_timeout: float, http: httpx.AsyncClient | None = None):
        self.owned = http is None
        if http is not None:
            self.clients = [http]
        else:
            limits = httpx.Limits(max_connections=None, max_keepalive_connections=ROLLOUTS_PER_CLIENT * 2)
            tls = httpx.create_ssl_context()  # one for all: loading the CA bundle takes ~0.1 s per context
            self.clients = [httpx.AsyncClient(timeout=httpx.Timeout(request_timeout), limits=limits, verify=tls)
                            for _ in range(math.ceil(concurrency / ROLLOUTS_PER_CLIENT))]
        self._free: asyncio.Queue[int] = asyncio.Queue()
        for slot in range(concurrency):
            self._free.put_nowait(slot)

    @asynccontextmanager
    async def slot(self) -> AsyncIterator[httpx.AsyncClient]:
        """Wait for a free slot; yield the HTTP client that slot uses."""
        slot = await self._free.get()
        try:
            yield self.clients[slot // ROLLOUTS_PER_CLIENT % len(self.clients)]
        finally:
            self._free.put_nowait(slot)

    async def aclose(self) -> None:
        if self.owned:
            await asyncio.gather(*(c.aclose() for c in self.clients))
