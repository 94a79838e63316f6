"""`progress`: one progress bar for long CLI work, on stderr, and only when stderr is a terminal.

Piped output, `--json` and library callers (which pass `enabled=False`, the default of every caller's
`show_progress`) see nothing: the bar never mixes into data written to stdout or a file.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Protocol

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn


class ProgressBar(Protocol):
    def advance(self, steps: int = 1) -> None: ...


class _Quiet:
    def advance(self, steps: int = 1) -> None:
        pass


class _RichBar:
    def __init__(self, bar: Progress, task: int):
        self._bar, self._task, self._lock = bar, task, threading.Lock()

    def advance(self, steps: int = 1) -> None:
        with self._lock:  # runners advance from worker threads
            self._bar.advance(self._task, steps)


@contextmanager
def progress(total: int, description: str, enabled: bool = True,
             console: Console | None = None) -> Iterator[ProgressBar]:
    """A bar of `total` steps labelled `description`; `advance()` moves it. Silent unless `enabled` and the
    console (stderr by default) is a terminal."""
    console = console or Console(stderr=True)
    if not enabled or total <= 0 or not console.is_terminal:
        yield _Quiet()
        return
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=console) as bar:
        yield _RichBar(bar, bar.add_task(description, total=total))
