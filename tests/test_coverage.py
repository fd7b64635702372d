"""The coverage statement ("Covers events to …; sources published to …") is computed from the data and moves with it."""

from __future__ import annotations

import csv
import re
from pathlib import Path

import pytest
from conftest import ROOT, carebook
from test_authoring import real_data_book

from carebook.build.toc import chapters
from carebook.scaffold import front_matter

pytestmark = pytest.mark.build  # runs carebook builds itself

COVERAGE = re.compile(r"Covers events to (\w+ \d{4}); sources published to (\w+ \d{4})\.")

PAGE = (
    front_matter()
    + """
# Coverage

*{glue:md}`cover_coverage`*

```{code-cell} ipython3
from carebook import prose

prose.glue_coverage("cover_coverage")
```
"""
)


def text_of(page: Path) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page.read_text(encoding="utf-8")))


def coverage_book(tmp_path: Path) -> Path:
    """A copy of the book's config and data with one chapter that shows the coverage statement."""
    book = real_data_book(tmp_path)
    toc = "format: jb-book\nroot: book/index\nchapters:\n  - file: book/cover\n"
    (book / "_toc.yml").write_text(toc, encoding="utf-8")
    (book / "book" / "cover.md").write_text(PAGE, encoding="utf-8")
    return book


def add_event(data: Path, when: str) -> None:
    """Append a dated event to data/timeline.csv, citing the first source."""
    with open(data / "sources.csv", encoding="utf-8") as f:
        source = next(csv.DictReader(f))["id"]
    with open(data / "timeline.csv", "a", encoding="utf-8", newline="") as f:
        csv.writer(f, lineterminator="\n").writerow(
            [
                "later-test-event",
                when,
                "day",
                "A later event",
                "policy",
                "An event added by a test.",
                source,
                "para 1",
                "",
            ]
        )


def test_statement_moves_when_a_later_event_is_added(tmp_path: Path):
    book = coverage_book(tmp_path)
    built = carebook("build", cwd=book)
    assert built.returncode == 0, built.stdout + built.stderr
    page = book / "_build" / "html" / "book" / "cover.html"
    before = COVERAGE.search(text_of(page))
    assert before, "no coverage statement on the page"

    add_event(book / "data", "2031-03-15")
    rebuilt = carebook("build", cwd=book)
    assert rebuilt.returncode == 0, rebuilt.stdout + rebuilt.stderr
    after = COVERAGE.search(text_of(page))
    assert after and after.group(1) == "March 2031", after and after.group(0)
    assert after.group(1) != before.group(1)
    assert after.group(2) == before.group(2), "the sources did not change"


def test_every_page_carries_the_statement(built_book: Path):
    statements = set()
    for page in chapters(ROOT):
        html = built_book / "book" / f"{page.slug}.html"
        found = COVERAGE.search(text_of(html))
        assert found, f"{page.slug}: no coverage statement"
        statements.add(found.group(0))
    assert len(statements) == 1, statements
