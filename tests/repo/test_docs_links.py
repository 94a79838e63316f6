"""Every relative link in the repository's Markdown lands somewhere: `](path)` on a file or folder that exists,
`](path#anchor)` and `](#anchor)` on a heading of that Markdown file (GitHub's slug rule)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.markdown import ROOT, anchors, outside_code, text_of, tracked_files

LINK = re.compile(r"\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
INLINE_CODE = re.compile(r"(`+).*?\1")
EXTERNAL = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*:")  # https:, mailto:, ...


def relative_links(markdown: str) -> list[str]:
    """The link targets of a Markdown text that point inside the repository (code spans and blocks left out)."""
    targets = []
    for line in outside_code(markdown):
        targets += [target for target in LINK.findall(INLINE_CODE.sub("", line)) if not EXTERNAL.match(target)]
    return targets


def broken_links(source: Path, markdown: str, root: Path = ROOT) -> list[str]:
    """Why each relative link of `source` does not land: a missing file, a path outside the repository, or no
    heading with that anchor."""
    problems = []
    for target in relative_links(markdown):
        path_part, _, anchor = target.partition("#")
        destination = (source.parent / path_part).resolve() if path_part else source
        if not destination.is_relative_to(root.resolve()):
            problems.append(f"{target}: outside the repository")
        elif not destination.exists():
            problems.append(f"{target}: no such file")
        elif anchor and destination.suffix == ".md":
            if anchor not in anchors(destination.read_text(encoding="utf-8")):
                problems.append(f"{target}: no heading #{anchor} in {destination.relative_to(root.resolve())}")
    return problems


def markdown_files() -> list[Path]:
    return [path for path in tracked_files() if path.suffix == ".md" and text_of(path) is not None]


def test_the_checker_finds_what_it_is_for(tmp_path):
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "page.md").write_text("# A page\n\n## `python -m x` options\n", encoding="utf-8")
    source = tmp_path / "README.md"
    text = ("[ok](docs/page.md) [ok](docs/page.md#python--m-x-options) [ok](#top) [web](https://example.com)\n"
            "[bad](docs/missing.md) [bad](docs/page.md#options) [bad](#nowhere) [bad](../elsewhere.md)\n"
            "`[code](not/a/link.md)`\n```\n[block](not/a/link.md)\n```\n# Top\n")
    source.write_text(text, encoding="utf-8")
    assert broken_links(source, text, root=tmp_path) == [
        "docs/missing.md: no such file",
        "docs/page.md#options: no heading #options in docs/page.md",
        "#nowhere: no heading #nowhere in README.md",
        "../elsewhere.md: outside the repository",
    ]


def test_there_are_links_to_check():
    files = markdown_files()
    assert any(path.name == "README.md" for path in files)
    assert sum(len(relative_links(path.read_text(encoding="utf-8"))) for path in files) > 20


@pytest.mark.parametrize("path", markdown_files(), ids=lambda path: path.relative_to(ROOT).as_posix())
def test_every_relative_link_lands(path):
    assert broken_links(path, path.read_text(encoding="utf-8")) == []
