"""Serving the stand-in with uvicorn: blocking for the CLI, or on a background thread (`rftkit.util.servers`: the
listening socket is bound before uvicorn starts, so `port=0` picks a free port with no race)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from rftkit.standin.app import create_standin_app
from rftkit.standin.config import StandinConfig
from rftkit.util.servers import BackgroundServer, serve_forever

if TYPE_CHECKING:
    from openai import OpenAI

API_PATH = "/openai/v1/"


class StandinServer(BackgroundServer):
    """The stand-in on a background thread: `with StandinServer() as s: client = s.client()`."""

    def __init__(self, config: StandinConfig | None = None, host: str = "127.0.0.1", port: int = 0,
                 log_level: str = "warning"):
        super().__init__(create_standin_app(config), host, port, log_level)

    @property
    def api_base(self) -> str:
        """The client's base_url: `<url>/openai/v1/`."""
        return self.url + API_PATH

    def client(self, **options: Any) -> OpenAI:
        """An `openai.OpenAI` client for this stand-in (any api key is accepted)."""
        from openai import OpenAI

        from rftkit.settings import require_openai_version

        require_openai_version()
        return OpenAI(base_url=self.api_base, api_key="local-standin", **options)


def run_standin(host: str = "127.0.0.1", port: int = 8765, config: StandinConfig | None = None,
                on_ready: Callable[[str], None] | None = None, log_level: str = "info") -> None:
    """Serve the stand-in in this thread until interrupted (Ctrl-C / SIGTERM); `on_ready(url)` once it accepts."""
    serve_forever(create_standin_app(config), host, port, on_ready, log_level)
