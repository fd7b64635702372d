"""Reading pages as a reader sees them: the footer states the licence once, and no page shows code blocks
(author material lives in the contributors' guide, which the About page points to)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from conftest import ROOT

from carebook.build.toc import pages

pytestmark = pytest.mark.build


def soup_of(html: Path):
    from bs4 import BeautifulSoup

    return BeautifulSoup(html.read_text(encoding="utf-8"), "html.parser")


@pytest.mark.parametrize("page", pages(ROOT), ids=lambda p: p.slug)
def test_the_footer_states_the_licence_once(built_book: Path, page):
    footer = soup_of(built_book / f"{page.name}.html").select_one("footer.bd-footer-content")
    assert footer is not None, f"{page.name}: no footer"
    text = re.sub(r"\s+", " ", footer.get_text(" "))
    assert text.count("CC BY 4.0") == 1, f"{page.name}: the footer states the licence {text.count('CC BY 4.0')} times"
    assert "Every figure is computed from the book's sourced tables." in text


@pytest.mark.parametrize("page", pages(ROOT), ids=lambda p: p.slug)
def test_reading_pages_show_no_code_blocks(built_book: Path, page):
    found = soup_of(built_book / f"{page.name}.html").select(".bd-article pre, .bd-article div.highlight")
    assert not found, f"{page.name}: {len(found)} code blocks on a reading page: {found[0].get_text()[:60]!r}"


def test_the_about_page_points_authors_to_the_contributors_guide(built_book: Path):
    about = soup_of(built_book / "book" / "about.html").select_one(".bd-article").get_text(" ")
    assert "re-running a chapter with other values" in about
    assert "guide for contributors" in about
    guide = (ROOT / "CONTRIBUTING.md").read_text(encoding="utf-8")
    assert re.search(r"### Parameters\n.*carebook build -p history first_year=1990", guide, re.S)
