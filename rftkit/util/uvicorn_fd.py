"""`python -m rftkit.util.uvicorn_fd ARGS`: `python -m uvicorn ARGS`, except that the socket given with `--fd`
keeps its own address family.

uvicorn opens an inherited `--fd` socket as AF_UNIX (`uvicorn.config.Config.bind_socket`), so asyncio does not set
TCP_NODELAY on the TCP connections it accepts, and each response then waits about 40 ms for the client's delayed
ACK (Nagle's algorithm): 50 connections top out near 1,150 requests/s whatever the app. `socket.socket(fileno=)`
reads the family from the descriptor itself. Only this child process is patched; everything else is uvicorn's CLI.
"""

from __future__ import annotations

import os
import socket

import uvicorn


def _fromfd(fd: int, family: int, kind: int, proto: int = 0) -> socket.socket:
    return socket.socket(fileno=os.dup(fd))  # like socket.fromfd: a duplicate, but with the real family


if __name__ == "__main__":
    socket.fromfd = _fromfd  # type: ignore[assignment]
    uvicorn.main(prog_name="uvicorn")
