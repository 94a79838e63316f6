"""Progress bars: on stderr when it is a terminal, silent when piped or with --json."""

from __future__ import annotations

import json
import os
import pty
import select
import subprocess
import sys
import time
from io import StringIO
from pathlib import Path

from rich.console import Console

from rftkit import REPO_ROOT
from rftkit.util.progress import progress


def test_a_terminal_shows_the_bar():
    screen = StringIO()
    with progress(3, "grading answers", console=Console(file=screen, force_terminal=True, width=100)) as bar:
        for _ in range(3):
            bar.advance()
    assert "grading answers" in screen.getvalue() and "3/3" in screen.getvalue()


def test_no_terminal_or_disabled_prints_nothing():
    piped, disabled = StringIO(), StringIO()
    with progress(3, "piped", console=Console(file=piped)) as bar:
        bar.advance(3)
    with progress(3, "off", enabled=False, console=Console(file=disabled, force_terminal=True)) as bar:
        bar.advance(3)
    assert piped.getvalue() == "" and disabled.getvalue() == ""


def _run(args: list[str], stderr_tty: bool, timeout: float = 120.0) -> tuple[int, str, str]:
    """Run `python -m rftkit ARGS` with stdout piped and stderr a pseudo-terminal (or a pipe)."""
    env = {**os.environ, "TERM": "xterm", "COLUMNS": "100"}
    env.pop("NO_COLOR", None)
    command = [sys.executable, "-m", "rftkit", *args]
    if not stderr_tty:
        done = subprocess.run(command, cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=timeout)
        return done.returncode, done.stdout, done.stderr
    leader, follower = pty.openpty()
    process = subprocess.Popen(command, cwd=REPO_ROOT, env=env, stdout=subprocess.PIPE, stderr=follower)
    os.close(follower)
    seen = b""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        ready, _, _ = select.select([leader], [], [], 0.2)
        if ready:
            try:
                chunk = os.read(leader, 65536)
            except OSError:  # the child closed the terminal
                break
            if not chunk:
                break
            seen += chunk
        elif process.poll() is not None:
            break
    os.close(leader)
    out = process.stdout.read().decode() if process.stdout else ""
    process.stdout and process.stdout.close()
    return process.wait(timeout=timeout), out, seen.decode("utf-8", "replace")


def _data(tmp_path: Path) -> Path:
    path = tmp_path / "rows.jsonl"
    rows = [{"id": f"r{i}", "reference_answer": ref, "messages": [{"role": "user", "content": "?"}]}
            for i, ref in enumerate(["12%", "JKT-URB-009"])]
    path.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    return path


def test_reward_hacks_bar_on_a_terminal_only(tmp_path):
    data = str(_data(tmp_path))
    code, out, err = _run(["reward-hacks", "--grader", "job-a", "--data", data], stderr_tty=True)
    assert code == 0 and "reward-hacks" in err and "17/17" in err  # 10 answers for 12%, 7 for the SKU
    assert "| correct " in out and "reward-hacks" not in out  # the report on stdout stays clean
    code, out, err = _run(["reward-hacks", "--grader", "job-a", "--data", data, "--json"], stderr_tty=True)
    assert code == 0 and json.loads(out)["rows"] == 2 and "reward-hacks" not in err
    code, out, err = _run(["reward-hacks", "--grader", "job-a", "--data", data], stderr_tty=False)
    assert code == 0 and err == ""


def test_grade_and_make_dataset_bars(tmp_path):
    data = _data(tmp_path)
    answers = tmp_path / "answers.jsonl"
    answers.write_text('{"id": "r0", "answer": "12%"}\n{"id": "r1", "answer": "JKT-URB-009"}\n', encoding="utf-8")
    code, out, err = _run(["grade", "--grader", "job-a", "--answers", str(answers), "--data", str(data)], True)
    assert code == 0 and "grade" in err and "2/2" in err and "mean reward" in out
    code, _, err = _run(["make-dataset", "--check", "--out-dir", str(tmp_path / "none")], True)
    assert code == 1 and "make-dataset" in err
    code, _, err = _run(["make-dataset", "--check", "--out-dir", str(tmp_path / "none")], False)
    assert code == 1 and err == ""


def test_dry_run_bar_counts_rollouts(tmp_path):
    from tests.rollouts_support import sample_rows
    from tests.support import make_app, serve

    data = tmp_path / "valid.jsonl"
    data.write_text("".join(json.dumps(r) + "\n" for r in sample_rows()), encoding="utf-8")
    with serve(make_app()) as url:
        args = ["dry-run", "--data", str(data), "--tool-url", f"{url}/tool/search_catalog", "--grader-url",
                f"{url}/score", "--samples-per-row", "2"]
        code, out, err = _run(args, stderr_tty=True)
        assert code == 0 and "dry-run" in err and "6/6" in err and "Dry run: 6 rollouts" in out
        code, out, err = _run([*args, "--json"], stderr_tty=True)
        assert code == 0 and json.loads(out) and "dry-run" not in err
