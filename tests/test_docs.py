"""The docs the code cites are in the repo, and every citation names a section that exists."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
# "docs/formats.md §5" or 'docs/generation.md, "Sparse value rules"' (quotes or backticks).
CITATION = re.compile(
    r"docs/(?P<doc>\w+)\.md(?:'s)?(?:\s*§(?P<number>\d+)|,\s*(?:\"|``?)(?P<title>[^\"`]+))?"
)
BARE = re.compile(r"(?<![\w/])(formats|generation|architecture)\.md")


def _sources() -> list[Path]:
    return [
        p
        for folder in ("src", "tests", "benchmarks", "tools")
        for p in sorted((ROOT / folder).rglob("*.py"))
        if not p.name.endswith("_pb2.py")
    ]


def _headings(doc: str) -> list[str]:
    return [
        line.lstrip("#").strip()
        for line in (DOCS / f"{doc}.md").read_text().splitlines()
        if line.startswith("#")
    ]


@pytest.mark.parametrize("doc", ["formats", "generation", "architecture"])
def test_the_docs_exist(doc: str) -> None:
    assert _headings(doc)


def test_every_citation_resolves() -> None:
    unresolved = []
    for path in _sources():
        for match in CITATION.finditer(path.read_text()):
            doc, number, title = match["doc"], match["number"], match["title"]
            if not (DOCS / f"{doc}.md").is_file():
                unresolved.append(f"{path.name}: {match[0]}")
                continue
            headings = _headings(doc)
            if number and not any(h.startswith(f"{number}. ") for h in headings):
                unresolved.append(f"{path.name}: {match[0]}")
            if title and not any(title.lower() in h.lower() for h in headings):
                unresolved.append(f"{path.name}: {match[0]}")
    assert unresolved == []


def test_no_citation_points_outside_docs() -> None:
    bare = [
        f"{path.relative_to(ROOT)}:{n}"
        for path in _sources()
        for n, line in enumerate(path.read_text().splitlines(), start=1)
        if BARE.search(line)
    ]
    assert bare == []
