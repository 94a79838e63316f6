"""The repository stands on its own: no citation of private notes or seed documents, and every link into
docs/service-contract.md lands on a heading that exists.

Service facts live in docs/service-contract.md with their public sources; code and docs cite a section of it
(`docs/service-contract.md#<anchor>`, the anchor being GitHub's slug of the heading) or say it in plain words.
"""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CONTRACT_DOC = "docs/service-contract.md"
SKIPPED_DIRS = {".git", ".venv", ".tools", "node_modules", "__pycache__", ".pytest_cache", ".ruff_cache"}

# Built from pieces so that this file does not match its own patterns.
_NOTES = "CONTRA" + "CTS"
_SEED = "se" + "ed"
PRIVATE_REFERENCE = re.compile(
    rf"{_NOTES}"                            # the private working notes, by name or section (the notes' § numbers)
    r"|(?i:\bse" r"ed ?[0-9]{3}\b)"          # a seed document by number
    r"|(?i:\bse" r"ed read" r"me\b)"         # the seed documents' README, by that name
    r"|(?i:\bse" r"eds?/)"                  # the seed folder
    r"|\b0" r"0[0-3]_"                       # a seed file name
)
CONTRACT_LINK = re.compile(r"docs/service-contract\.md#([A-Za-z0-9_-]+)")
LOCAL_LINK = re.compile(r"\]\(#([A-Za-z0-9_-]+)\)")
FENCE = re.compile(r"^\s*(```|~~~)")
HEADING = re.compile(r"^(#{1,6})\s+(.+?)\s*#*\s*$")

REQUIRED_SECTIONS = (
    "Tool endpoint", "Endpoint grader", "Dataset rows", "Job body", "Built-in graders",
    "Files, job statuses and monitoring", "Limits and service behaviour", "Azure Functions hosting",
    "Supervised fine-tuning with tools", "Where the sources disagree",
)


def tracked_files() -> list[Path]:
    """Files git tracks (that still exist); a plain walk when this is not a git checkout."""
    try:
        listed = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True, timeout=60)
        names = [name for name in listed.stdout.decode("utf-8").split("\0") if name]
        return [ROOT / name for name in names if (ROOT / name).is_file()]
    except (OSError, subprocess.SubprocessError):
        found = []
        for directory, subdirs, files in os.walk(ROOT):
            subdirs[:] = [d for d in subdirs if d not in SKIPPED_DIRS]
            found += [Path(directory) / name for name in files]
        return found


def text_of(path: Path) -> str | None:
    data = path.read_bytes()
    if b"\0" in data[:8192]:
        return None  # binary
    return data.decode("utf-8", errors="replace")


def slug(heading: str) -> str:
    """GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def anchors(markdown: str) -> set[str]:
    """Anchors of every heading outside code blocks, with GitHub's -1, -2 ... suffixes for repeats."""
    seen: dict[str, int] = {}
    result: set[str] = set()
    in_code = False
    for line in markdown.splitlines():
        if FENCE.match(line):
            in_code = not in_code
            continue
        match = None if in_code else HEADING.match(line)
        if match:
            base = slug(match.group(2))
            count = seen.get(base, 0)
            seen[base] = count + 1
            result.add(base if count == 0 else f"{base}-{count}")
    return result


@pytest.fixture(scope="module")
def files() -> dict[str, str]:
    texts = {}
    for path in tracked_files():
        text = text_of(path)
        if text is not None:
            texts[path.relative_to(ROOT).as_posix()] = text
    return texts


def test_the_patterns_catch_what_they_are_for():
    for cited in (_NOTES + " §2", _NOTES + ".md", f"see {_SEED} 002 step 1", f"({_SEED} 003's capture)",
                  f"the {_SEED.title()} README", f"../shared/{_SEED}s/x.txt", "0" + "00_7a5959d8.txt"):
        assert PRIVATE_REFERENCE.search(cited), cited
    for fine in ("contracts.py", "a seeded generator", "seed=42", "the public sample's README", "JKT-URB-009",
                 "BPK-POL-002", "random seed 7", "SEED_ANSWER"):
        assert not PRIVATE_REFERENCE.search(fine), fine


def test_no_file_cites_private_notes_or_seed_documents(files):
    hits = [f"{name}:{number}: {line.strip()[:100]}"
            for name, text in files.items()
            for number, line in enumerate(text.splitlines(), 1)
            if PRIVATE_REFERENCE.search(line)]
    assert not hits, "cite docs/service-contract.md#<section> or say it in plain words:\n" + "\n".join(hits)


def test_the_contract_doc_has_every_section_others_link_to():
    doc = (ROOT / CONTRACT_DOC).read_text(encoding="utf-8")
    sections = {match.group(2) for match in map(HEADING.match, doc.splitlines()) if match and match.group(1) == "##"}
    assert [s for s in REQUIRED_SECTIONS if s not in sections] == []


def test_every_link_into_the_contract_doc_lands_on_a_heading(files):
    known = anchors(files[CONTRACT_DOC])
    cited = [(name, anchor) for name, text in files.items() for anchor in CONTRACT_LINK.findall(text)]
    cited += [(CONTRACT_DOC, anchor) for anchor in LOCAL_LINK.findall(files[CONTRACT_DOC])]
    assert cited, "nothing links to the contract doc"
    missing = sorted({f"{name}: #{anchor}" for name, anchor in cited if anchor not in known})
    assert not missing, f"no such heading in {CONTRACT_DOC} (known: {sorted(known)}):\n" + "\n".join(missing)


def test_slugs_follow_github():
    assert slug("Files, job statuses and monitoring") == "files-job-statuses-and-monitoring"
    assert slug("Built-in graders") == "built-in-graders"
    assert slug("`method.reinforcement` keys") == "methodreinforcement-keys"
    assert anchors("# A\n```\n# not a heading\n```\n## A\n") == {"a", "a-1"}
