"""One way to run a server in the background, for the demo, the tests and the benchmarks.

The listening socket is always bound *before* the server starts: port 0 then picks a free port with no race (no
"find a free port, close it, hope nobody takes it" window), and the URL is known up front.

- `BackgroundServer(app)`: uvicorn on its own thread and event loop in this process (tests, the notebook).
- `spawn_uvicorn(app, app_dir, ...)`: uvicorn's CLI with `--fd N` in a child process that inherits the bound socket
  (the demo, and the benchmarks, which need the server in its own process for wrk and for /proc measurements),
  through `rftkit.util.uvicorn_fd` so the accepted connections get TCP_NODELAY; `wait_until_serving` then waits
  for its first HTTP answer.
"""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import IO, Any

import uvicorn

LOOPBACK = "127.0.0.1"


def bind(host: str = LOOPBACK, port: int = 0, backlog: int = 2048) -> socket.socket:
    """A listening TCP socket on `host:port` (port 0: a free one, chosen by the kernel)."""
    family, kind, proto, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
    sock = socket.socket(family, kind, proto)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(address)
    sock.listen(backlog)
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
    """An ASGI app served by uvicorn on its own thread and event loop. Use as a context manager or start()/stop().

    `lifespan` is uvicorn's setting: "on" runs the app's startup/shutdown (a failing startup makes start() raise),
    "off" skips them.
    """

    def __init__(self, app: Any, host: str = LOOPBACK, port: int = 0, log_level: str = "warning",
                 lifespan: str = "on"):
        self.app = app
        self._socket = bind(host, port)
        self.url = base_url(self._socket)
        self._ready = threading.Event()
        config = uvicorn.Config(app, log_level=log_level, lifespan=lifespan, timeout_graceful_shutdown=5)
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


def serve_forever(app: Any, host: str, port: int, on_ready: Callable[[str], None] | None = None,
                  log_level: str = "info") -> None:
    """Serve `app` in this thread until interrupted (Ctrl-C / SIGTERM); `on_ready(url)` once it accepts."""
    sock = bind(host, port)
    url = base_url(sock)
    server = _Server(uvicorn.Config(app, log_level=log_level, lifespan="on"),
                     lambda: on_ready(url) if on_ready else None)
    try:
        server.run(sockets=[sock])
    finally:
        sock.close()


def spawn_uvicorn(app: str, app_dir: Path, *, env: Mapping[str, str], extra_args: Sequence[str] = (),
                  cwd: Path | None = None, output: IO[Any] | int = subprocess.DEVNULL,
                  preexec_fn: Callable[[], None] | None = None, host: str = LOOPBACK,
                  port: int = 0) -> tuple[subprocess.Popen, str]:
    """`uvicorn APP --app-dir DIR --fd N` (one worker, `rftkit.util.uvicorn_fd`) on a socket bound here first;
    (process, base URL).

    The child inherits the listening socket, so connections made before it serves wait in the backlog instead of
    being refused; use `wait_until_serving` before measuring anything.
    """
    sock = bind(host, port)
    url = base_url(sock)
    try:
        cmd = [sys.executable, "-m", "rftkit.util.uvicorn_fd", app, "--app-dir", str(app_dir), "--fd",
               str(sock.fileno()), *extra_args]
        # The launcher is run as a module: from the folder holding the rftkit package unless told otherwise.
        process = subprocess.Popen(cmd, env=dict(env), cwd=cwd or Path(__file__).resolve().parents[2],
                                   stdout=output, stderr=subprocess.STDOUT, pass_fds=[sock.fileno()],
                                   preexec_fn=preexec_fn)
    finally:
        sock.close()  # the child holds its own copy: when it exits, the port closes
    return process, url


def wait_until_serving(url: str, process: subprocess.Popen, timeout: float, describe: Callable[[], str] = str
                       ) -> int:
    """Wait for the first HTTP answer (any status) from `url`; its status. RuntimeError naming the failure when the
    process exits or nothing answers within `timeout`; `describe()` adds context (e.g. the end of its log)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the server exited with {process.returncode} before serving {url}: {describe()}")
        try:
            with urllib.request.urlopen(url, timeout=min(1.0, max(0.05, deadline - time.monotonic()))) as answer:
                return answer.status
        except urllib.error.HTTPError as exc:  # an HTTP answer all the same: the server is up
            return exc.code
        except (OSError, urllib.error.URLError):
            time.sleep(0.05)
    raise RuntimeError(f"{url} did not answer within {timeout:g} s: {describe()}")


def start_function_app(env: Mapping[str, str], timeout: float = 30.0, output: IO[Any] | int = subprocess.DEVNULL,
                       extra_args: Sequence[str] = ("--log-level", "warning")) -> tuple[subprocess.Popen, str]:
    """The function app as `uvicorn function_app:fastapi_app` serves it, in a child process with `env`; returned
    (process, base URL) once `/health` answers 200. RuntimeError (the child stopped) if it does not."""
    from rftkit import FUNCTION_APP_DIR, REPO_ROOT

    process, url = spawn_uvicorn("function_app:fastapi_app", FUNCTION_APP_DIR, env=env, extra_args=extra_args,
                                 cwd=REPO_ROOT, output=output)

    def exited_output() -> str:  # read only once the child has exited: a live pipe would block
        stream = process.stdout
        return stream.read().decode("utf-8", "replace")[-2000:] if stream and process.poll() is not None else ""

    try:
        status = wait_until_serving(f"{url}/health", process, timeout, exited_output)
        if status != 200:
            raise RuntimeError(f"the function app's /health answered HTTP {status}")
    except RuntimeError:
        stop_process(process)
        raise
    return process, url


def stop_process(process: subprocess.Popen, sig: int = signal.SIGTERM, timeout: float = 15.0) -> None:
    """Signal a child server and wait for it; kill it when it does not exit within `timeout`."""
    if process.poll() is None:
        process.send_signal(sig)
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout)
