"""References formatted once (carebook/sphinxext/refcache.py): a kept entry is the one formatted from nothing, an
edited entry is formatted again, and the kept entries outlive the process that formatted them."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest
from pybtex.database import parse_string
from pybtex.style.formatting import BaseStyle

from carebook.sphinxext import bibliography, refcache

BIB = """@techreport{nao-2018,
  author = {{National Audit Office}},
  title = {The health and social care interface},
  year = {2018}, month = jul, day = {18},
  institution = {National Audit Office}, type = {Report, HC}, number = {1376},
}"""


def entry(title: str = ""):
    """A fresh copy of the entry, as sphinxcontrib-bibtex parses it on each build."""
    parsed = parse_string(BIB, "bibtex").entries["nao-2018"]
    bibliography.label_entries({parsed.key: parsed})  # the date label, as the extension gives it on each build
    if title:
        parsed.fields["title"] = title
    return parsed


def text(formatted) -> str:
    return formatted.text.render_as("text")


@pytest.fixture
def counted(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """refcache installed for this test only, with an empty memo; the keys of the entries really formatted."""
    original = BaseStyle.format_entry
    formatted: list[str] = []

    def counting(self, label, entry, bib_data=None):
        formatted.append(entry.fields["title"])
        return original(self, label, entry, bib_data=bib_data)

    monkeypatch.setattr(refcache, "MEMO", {})
    monkeypatch.setattr(refcache, "_used", set())
    monkeypatch.setattr(BaseStyle, "format_entry", refcache.remembered(counting))
    return formatted


def test_a_kept_entry_is_the_one_formatted_from_nothing_and_an_edit_is_formatted_again(counted: list[str]):
    style = bibliography.CarebookStyle()
    first = text(style.format_entry("nao2018", entry()))
    again = text(bibliography.CarebookStyle().format_entry("nao2018", entry()))
    assert again == first
    assert counted == ["The health and social care interface"], "the second build used the kept entry"
    assert "18 July 2018" in first, "the style's own step (the full date) still ran"
    edited = text(style.format_entry("nao2018", entry("A new title")))
    assert "A new title" in edited and edited != first
    assert style.format_entry("nao2019", entry()).label == "nao2019", "another label is another entry"
    assert len(counted) == 3


def test_the_kept_entries_outlive_the_process(counted: list[str], tmp_path: Path):
    app = SimpleNamespace(doctreedir=str(tmp_path / "doctrees-html"))
    refcache.load(app)
    first = text(bibliography.CarebookStyle().format_entry("nao2018", entry()))
    refcache.save(app, None)
    assert (tmp_path / refcache.FILE).exists()
    refcache.MEMO.clear()
    refcache.load(app)
    assert text(bibliography.CarebookStyle().format_entry("nao2018", entry())) == first
    assert len(counted) == 1, "formatted once, read back from the build folder"


def test_a_failed_build_keeps_nothing(counted: list[str], tmp_path: Path):
    app = SimpleNamespace(doctreedir=str(tmp_path / "doctrees-html"))
    refcache.load(app)
    bibliography.CarebookStyle().format_entry("nao2018", entry())
    refcache.save(app, RuntimeError("the build failed"))
    assert not (tmp_path / refcache.FILE).exists()
