"""Helpers for the stand-in tests: clients, uploads, polling, and an ASGI recorder of the app's requests."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from openai import OpenAI

from rftkit.jobs.status import TERMINAL_STATUSES
from rftkit.standin import StandinConfig, StandinServer
from tests.rft_rows import ROWS, write_jsonl
from tests.support import make_app, serve

# Fast: states last a moment, retries do not back off for seconds.
FAST = StandinConfig(status_delay=0.02, retry_backoff=0.01)


def client_for(server: StandinServer) -> OpenAI:
    return server.client(max_retries=0, timeout=20.0)


def upload(client: OpenAI, path: Path) -> Any:
    with path.open("rb") as fh:
        created = client.files.create(file=fh, purpose="fine-tune")
    return client.files.wait_for_processing(created.id, poll_interval=0.05, max_wait_seconds=10)


def upload_rows(client: OpenAI, tmp: Path, rows: list[Any] = ROWS, name: str = "rows.jsonl") -> Any:
    return upload(client, write_jsonl(tmp / name, rows))


def wait_for(predicate: Callable[[], Any], timeout: float = 30.0, interval: float = 0.05) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout} s")
        time.sleep(interval)


def wait_job(client: OpenAI, job_id: str, timeout: float = 30.0) -> Any:
    return wait_for(lambda: (j := client.fine_tuning.jobs.retrieve(job_id)).status in TERMINAL_STATUSES and j, timeout)


def events(client: OpenAI, job_id: str) -> list[Any]:
    """All events, oldest first (the API lists newest first)."""
    return list(reversed(list(client.fine_tuning.jobs.list_events(job_id, limit=100))))


def metrics(client: OpenAI, job_id: str) -> list[dict[str, Any]]:
    return [e.data for e in events(client, job_id) if e.type == "metrics"]


class Recorder:
    """Wraps an ASGI app and records every HTTP request's path and JSON body, and its headers in `headers`
    (the app itself is unchanged)."""

    def __init__(self, app: Any):
        self.app = app
        self.requests: list[tuple[str, dict[str, Any]]] = []
        self.headers: list[tuple[str, str, dict[str, str]]] = []  # (method, path, lower-cased headers)

    def bodies(self, path: str) -> list[dict[str, Any]]:
        return [body for p, body in self.requests if p == path]

    async def __call__(self, scope: dict, receive: Callable, send: Callable) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        messages, raw = [], b""
        while True:
            message = await receive()
            messages.append(message)
            raw += message.get("body", b"")
            if not message.get("more_body"):
                break
        try:
            body = json.loads(raw) if raw else {}
        except ValueError:
            body = {"_raw": raw.decode("utf-8", "replace")}
        self.requests.append((scope["path"], body))
        self.headers.append((scope["method"], scope["path"],
                             {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}))
        replay = iter(messages)

        async def replayed() -> dict:
            message = next(replay, None)
            return message if message is not None else await receive()

        await self.app(scope, replayed, send)


# -- module-scoped fixtures shared by the stand-in test files (bind them by name in a test module) ----------------

@pytest.fixture(scope="module")
def app_url():
    with serve(make_app()) as url:
        yield url


@pytest.fixture(scope="module")
def standin():
    with StandinServer(FAST) as server:
        yield server


@pytest.fixture(scope="module")
def client(standin):
    return client_for(standin)


@pytest.fixture(scope="module")
def files(client, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("files")
    return upload_rows(client, tmp, name="train.jsonl"), upload_rows(client, tmp, name="valid.jsonl")


