"""One careful sentence instead of many hedges: no page says "the sources do not establish" more than three times."""

from __future__ import annotations

import re

import jupytext
import pytest
from conftest import ROOT

HEDGE = re.compile(
    r"not (been )?established|this book's sources|the book's sources|our sources|none of the sources"
    r"|no source (gives|reports|says|shows|establishes)|sources (do|does) not (say|establish|report)",
    re.IGNORECASE,
)
PAGES = sorted((ROOT / "book").glob("*.md"))


@pytest.mark.parametrize("path", PAGES, ids=[p.stem for p in PAGES])
def test_no_page_hedges_more_than_three_times(path):
    prose = "\n".join(cell.source for cell in jupytext.read(path).cells if cell.cell_type == "markdown")
    found = [m.group(0) for m in HEDGE.finditer(prose)]
    assert len(found) <= 3, f"{path.name}: {len(found)} hedges ({', '.join(found)}); say it once, where it matters"


def test_the_pattern_finds_the_hedges_it_is_for():
    text = "This is not established. None of the sources reports it; this book's sources are silent. Our sources"
    assert len(HEDGE.findall(text)) == 4
