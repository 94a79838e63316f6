"""The repository stands on its own: no citation of private notes or seed documents, and every link into
docs/service-contract.md lands on a heading that exists.

Service facts live in docs/service-contract.md with their public sources; code and docs cite a section of it
(`docs/service-contract.md#<anchor>`, the anchor being GitHub's slug of the heading) or say it in plain words.
"""

from __future__ import annotations

import re

import pytest

from tests.markdown import HEADING, ROOT, anchors, slug, text_of, tracked_files

CONTRACT_DOC = "docs/service-contract.md"

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

REQUIRED_SECTIONS = (
    "Tool endpoint", "Endpoint grader", "Dataset rows", "Job body", "Built-in graders",
    "Files, job statuses and monitoring", "Limits and service behaviour", "Azure Functions hosting",
    "Supervised fine-tuning with tools", "Where the sources disagree",
)


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
