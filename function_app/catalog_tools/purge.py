"""Expiry of old rollouts in the trace store (run by the timer function in function_app.py)."""

from __future__ import annotations

import logging
import time

from .traces import TraceStore

log = logging.getLogger("catalog_tools.purge")


async def purge_expired(store: TraceStore, retention_hours: float, now: float | None = None) -> int:
    """Delete every tool call recorded more than `retention_hours` ago; return how many."""
    cutoff = (time.time() if now is None else now) - retention_hours * 3600
    deleted = await store.purge_older_than(cutoff)
    log.info("purged %d tool calls recorded before %.0f", deleted, cutoff)
    return deleted
