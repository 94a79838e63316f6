"""The outputs the docs show are what the commands print: each command is read from the page, run through the CLI
(the endpoint grader served by uvicorn on loopback where the page used port 7072), and its output compared with the
block the page shows under it."""

from __future__ import annotations

import re
import shlex

import pytest

from rftkit.__main__ import main
from tests.markdown import ROOT
from tests.support import make_app, serve

DOCS = ROOT / "docs"
PROMPT = "python -m rftkit "


def block_after(text: str, marker: str) -> str:
    """The first fenced block after `marker` in `text` (the marker itself may be a fenced command)."""
    start = text.index(marker) + len(marker)
    opening = re.compile(r"^```[a-z]*\n", re.MULTILINE).search(text, start)
    assert opening, f"no code block after {marker!r}"
    return text[opening.end():text.index("\n```", opening.end()) + 1]


def command_in(marker: str) -> list[str]:
    """The arguments of the `python -m rftkit ...` command that `marker` shows (continuations joined, fence cut)."""
    command = marker.split("```")[0].replace("\\\n", " ")
    assert PROMPT in command, marker
    return shlex.split(command.split(PROMPT, 1)[1].split("#")[0])


def run(capsys: pytest.CaptureFixture[str], args: list[str]) -> str:
    capsys.readouterr()
    assert main(args) in (0, 1)  # 1: something flagged, which the page may show on purpose
    return capsys.readouterr().out


@pytest.fixture(autouse=True)
def _from_the_repository_root(monkeypatch):
    monkeypatch.chdir(ROOT)  # the pages' paths are relative to it
    monkeypatch.delenv("CATALOG_PATH", raising=False)  # the shipped catalog, as the pages say


def test_validate_prints_the_summary_docs_data_shows(capsys):
    page = (DOCS / "data.md").read_text(encoding="utf-8")
    marker = "python -m rftkit validate data/train_tool.jsonl data/valid_tool.jsonl\n```"
    assert run(capsys, command_in(marker)) == block_after(page, marker)


def test_reward_hacks_prints_job_as_table_as_docs_preflight_shows(capsys):
    page = (DOCS / "preflight.md").read_text(encoding="utf-8")
    marker = "(`python -m rftkit reward-hacks --grader job-a --data data/valid_tool.jsonl`)"
    assert run(capsys, command_in(marker.strip("(`)"))) == block_after(page, marker)


@pytest.mark.slow
def test_reward_hacks_prints_the_endpoint_graders_table_as_docs_preflight_shows(capsys):
    page = (DOCS / "preflight.md").read_text(encoding="utf-8")
    options = re.search(r"\(`(--grader http://localhost:7072/score .*?)`;", page, re.DOTALL)
    assert options, "the page names the options of its /score run"
    with serve(make_app()) as base_url:
        args = ["reward-hacks", "--data", "data/valid_tool.jsonl",
                *shlex.split(options.group(1).replace("http://localhost:7072", base_url))]
        output = run(capsys, args)
    assert output == block_after(page, options.group(0))
