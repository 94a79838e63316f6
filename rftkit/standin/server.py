"""Serving the stand-in (or any ASGI app) with uvicorn: blocking for the CLI, or on a background thread.

The listening socket is bound before uvicorn starts, so `port=0` picks a free port with no race, and the URL is
known up front; "ready" means uvicorn has finished starting up and is accepting connections.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import uvicorn

from .app import create_app
from .config import StandinConfig

if TYPE_CHECKING:
    from openai import OpenAI

API_PATH = "/openai/v1/"


def bind(host: str, port: int) -> socket.socket:
    family, kind, proto, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
    sock = socket.socket(family, kind, proto)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(address)
    sock.listen(2048)
    return sock


def base_url(sock: socket.socket) -> str:
    host, port = sock.getsockname()[:2]
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


class _Server(uvicorn.Server):
    """uvicorn.Server that reports when it is up."""

    def __init__(self, config: uvicorn.Config, on_ready: Callable[[], None]):
        super().__init__(config)
        self._on_ready = on_ready

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets=sockets)
        if not self.should_exit:
            self._on_ready()


class BackgroundServer:
    """An ASGI app served by uvicorn on its own thread and event loop. Use as a context manager or start()/stop()."""

    def __init__(self, app: Any, host: str = "127.0.0.1", port: int = 0, log_level: str = "warning"):
        self.app = app
        self._socket = bind(host, port)
        self.url = base_url(self._socket)
        self._ready = threading.Event()
        config = uvicorn.Config(app, log_level=log_level, lifespan="on", timeout_graceful_shutdown=5)
        self._server = _Server(config, self._ready.set)
        self._thread = threading.Thread(target=self._run, name=f"uvicorn {self.url}", daemon=True)

    def _run(self) -> None:
        try:
            self._server.run(sockets=[self._socket])
        except SystemExit:  # uvicorn exits this way when the app's startup fails; start() reports it
            pass

    def start(self, timeout: float = 20.0) -> BackgroundServer:
        """Return once the server accepts connections; RuntimeError if it did not start within `timeout`."""
        self._thread.start()
        deadline = time.monotonic() + timeout
        while not self._ready.wait(0.05):
            if not self._thread.is_alive() or time.monotonic() > deadline:  # crashed, or hung in startup
                self.stop()
                raise RuntimeError(f"the server at {self.url} did not start within {timeout} s")
        return self

    def stop(self, timeout: float = 10.0) -> None:
        self._server.should_exit = True
        if self._thread.is_alive():
            self._thread.join(timeout)
        self._socket.close()

    def __enter__(self) -> BackgroundServer:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


class StandinServer(BackgroundServer):
    """The stand-in on a background thread: `with StandinServer() as s: client = s.client()`."""

    def __init__(self, config: StandinConfig | None = None, host: str = "127.0.0.1", port: int = 0,
                 log_level: str = "warning"):
        super().__init__(create_app(config), host, port, log_level)

    @property
    def api_base(self) -> str:
        """The client's base_url: `<url>/openai/v1/`."""
        return self.url + API_PATH

    def client(self, **options: Any) -> OpenAI:
        """An `openai.OpenAI` client for this stand-in (any api key is accepted)."""
        from openai import OpenAI

        from ..settings import require_openai_version

        require_openai_version()
        return OpenAI(base_url=self.api_base, api_key="local-standin", **options)


def run_standin(host: str = "127.0.0.1", port: int = 8765, config: StandinConfig | None = None,
                on_ready: Callable[[str], None] | None = None, log_level: str = "info") -> None:
    """Serve the stand-in in this thread until interrupted (Ctrl-C / SIGTERM); `on_ready(url)` once it accepts."""
    sock = bind(host, port)
    url = base_url(sock)
    config_ = uvicorn.Config(create_app(config), log_level=log_level, lifespan="on")
    server = _Server(config_, lambda: on_ready(url) if on_ready else None)
    try:
        server.run(sockets=[sock])
    finally:
        sock.close()
