"""The background servers: a child uvicorn on an inherited socket answers with TCP_NODELAY like a normal one."""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys

from rftkit.util.servers import bind, start_function_app, stop_process
from rftkit.util.uvicorn_fd import _fromfd


def nodelay_of_an_accepted_connection(listener: socket.socket) -> int:
    """Serve `listener` with asyncio (as uvicorn does), connect once, and read TCP_NODELAY on the server side."""

    async def main() -> int:
        accepted: asyncio.Future[int] = asyncio.get_running_loop().create_future()

        def on_client(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            sock = writer.get_extra_info("socket")
            accepted.set_result(sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))
            writer.close()

        server = await asyncio.start_server(on_client, sock=listener)
        host, port = listener.getsockname()[:2]
        _, writer = await asyncio.open_connection(host, port)
        value = await asyncio.wait_for(accepted, 5)
        writer.close()
        server.close()
        await server.wait_closed()
        return value

    return asyncio.run(main())


def test_an_inherited_socket_opened_as_uvicorn_does_loses_tcp_nodelay_and_the_launcher_keeps_it():
    with bind() as original:
        as_uvicorn = socket.fromfd(original.fileno(), socket.AF_UNIX, socket.SOCK_STREAM)  # uvicorn's --fd
        assert nodelay_of_an_accepted_connection(as_uvicorn) == 0  # why the launcher exists: ~40 ms per response
    with bind() as original:
        launched = _fromfd(original.fileno(), socket.AF_UNIX, socket.SOCK_STREAM)
        assert launched.family == socket.AF_INET
        assert nodelay_of_an_accepted_connection(launched) != 0


def test_the_child_server_is_uvicorns_cli_through_the_launcher_and_serves(monkeypatch):
    """start_function_app returns once /health answers 200 from the child."""
    commands: list[list[str]] = []
    real_popen = subprocess.Popen

    def record(cmd: list[str], **kwargs: object) -> subprocess.Popen:
        commands.append(cmd)
        return real_popen(cmd, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(subprocess, "Popen", record)
    process, url = start_function_app({**os.environ, "TOOL_AUTH_DISABLED": "true",
                                       "SCORE_AUTH_DISABLED": "true"})
    try:
        assert commands[0][:3] == [sys.executable, "-m", "rftkit.util.uvicorn_fd"]
        assert commands[0][3] == "function_app:fastapi_app" and "--fd" in commands[0]
        assert url.startswith("http://127.0.0.1:")
    finally:
        stop_process(process)
