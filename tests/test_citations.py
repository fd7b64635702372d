"""Citations readers can use: dates at their stored precision, one label per work, no machinery in sight."""

from __future__ import annotations

import csv
import html
import json
import re
from pathlib import Path

import pandas as pd
import pytest
from conftest import ROOT

from carebook import citations, prose
from carebook.sphinxext import bibliography


def source_keys() -> list[str]:
    with open(ROOT / "data" / "sources.csv", encoding="utf-8") as handle:
        return [row["id"] for row in csv.DictReader(handle)]


KEY = re.compile(
    r"(?<![\w-])(" + "|".join(map(re.escape, sorted(source_keys(), key=len, reverse=True))) + r")(?![\w-])"
)
WORKING_NOTES = re.compile(r"facts\.md|shared/|seeds/")


# --- Dates at the precision the source gives --------------------------------------------


@pytest.mark.parametrize(
    ("precision", "shown"),
    [("day", "8 February 2017"), ("month", "February 2017"), ("year", "2017")],
)
def test_prose_date_shows_only_the_stored_precision(precision: str, shown: str):
    assert prose.date(pd.Timestamp("2017-02-08"), precision) == shown


def test_a_year_stored_as_its_first_day_is_not_shown_as_january():
    assert prose.date(pd.Timestamp("2018-01-01"), "year") == "2018"


def test_unknown_precision_is_refused():
    with pytest.raises(ValueError, match="precision"):
        prose.date(pd.Timestamp("2018-01-01"), "decade")


def chart_specs(page: Path) -> list[dict]:
    """The Vega-Lite specs embedded in a built page."""
    found = re.findall(r'<script type="application/json" class="carebook-spec"[^>]*>(.*?)</script>', page.read_text())
    return [json.loads(spec) for spec in found]


def chart_rows(page: Path) -> list[dict]:
    """Every data row of every chart on a built page."""
    rows = []
    for spec in chart_specs(page):
        for values in spec.get("datasets", {}).values():
            rows += values
    return rows


def test_timeline_and_initiatives_show_dates_at_their_precision(built_book: Path):
    """The shadow ACSs' end is known only to the year; the 2009 pilots' announcement to the day."""
    rows = chart_rows(built_book / "book" / "history.html")
    shadow = [r for r in rows if r.get("name") == "Shadow accountable care systems" and "end_shown" in r]
    assert shadow and {r["end_shown"] for r in shadow} == {"2018"}
    pilots = [r for r in rows if r.get("title") == "Integrated care pilots announced"]
    assert pilots and {r["when"] for r in pilots} == {"1 April 2009"}
    assert not any(str(r.get("end_shown", "")).startswith("January 2018") for r in rows)


# --- One label per work --------------------------------------------------------------------


def test_two_works_by_one_author_in_one_year_get_letters_in_date_order():
    works = [
        citations.Work("b", "National Audit Office", "2018", (6, 29), "Vanguards"),
        citations.Work("a", "National Audit Office", "2018", (3, 2), "Emergency admissions"),
        citations.Work("c", "National Audit Office", "2014", (11, 11), "Planning"),
        citations.Work("d", "PSNC", "", (0, 0), "Better Care Fund"),
        citations.Work("e", "PSNC", "", (0, 0), "Another page"),
    ]
    assert citations.year_labels(works) == {"a": "2018a", "b": "2018b", "c": "2014", "e": "n.d.-a", "d": "n.d.-b"}


def test_people_are_cited_by_surname():
    assert citations.cited_author("Keeble E, Bardsley M, Durand MA, Hoomans T, Mays N", "", "journal article") == (
        "Keeble et al."
    )
    assert citations.cited_author("Collins A, de Iongh A", "", "journal article") == "Collins and de Iongh"
    assert citations.cited_author("The King's Fund", "", "web page") == "The King's Fund"
    assert citations.cited_author("legislation.gov.uk", "Care Act 2014", "legislation") == "Care Act 2014"


def test_tables_and_the_bibliography_label_every_work_alike():
    """prose.cite (tables, tooltips) and the Sphinx style (text, bibliography) agree on every source."""
    from pybtex.database import parse_file

    entries = parse_file(str(ROOT / "references.bib")).entries
    from_bib = {
        key: (bibliography.author_text(entry), label)
        for key, entry in entries.items()
        for label in [bibliography.year_labels(entries.values())[key]]
    }
    assert from_bib == prose._labels()
    labels = list(from_bib.values())
    assert len(labels) == len(set(labels)), "two works share a visible label"


def bibliography_heads(text: str) -> list[str]:
    """'Author (label)' at the head of each entry of a bibliography, as printed."""
    return re.findall(r"^\s*(.+? \((?:\d{4}[a-z]?|n\.d\.(?:-[a-z])?)\))\.", text, flags=re.M)


def test_html_bibliography_labels_are_unique_and_alphabetical(built_book: Path):
    page = (built_book / "book" / "references.html").read_text(encoding="utf-8")
    text = html.unescape(re.sub(r"<[^>]+>", "\n", page))
    heads = bibliography_heads(text)
    assert len(heads) == len(source_keys()), heads
    assert len(set(heads)) == len(heads), [h for h in heads if heads.count(h) > 1]
    order = [citations.sort_key(h.rsplit(" (", 1)[0]) for h in heads]
    assert order == sorted(order), "the bibliography is not in alphabetical order"
    assert "Technical Report" not in text


def test_in_text_citations_use_the_same_labels(built_book: Path):
    pages = sorted((built_book / "book").glob("*.html"))
    text = " ".join(html.unescape(re.sub(r"<[^>]+>", "", page.read_text(encoding="utf-8"))) for page in pages)
    for label in ("NAO, 2018a", "NAO, 2018b", "Keeble et al., 2019"):
        assert label in text
    assert "BMJ Open, n.d." not in text
    assert not re.search(r"The Health Foundation, n\.d\.[]),;]", text), (
        "an undated Health Foundation page without its letter"
    )


def test_latex_bibliography_labels_are_unique_and_no_technical_report(built_pdf: Path):
    tex = (ROOT / "_build" / ".work" / "latex" / "joined-up.tex").read_text(encoding="utf-8")
    assert "Technical Report" not in tex
    book_bibliography = tex.split(r"\begin{sphinxthebibliography}")[-1]
    entries = [
        item.split(r"\sphinxAtStartPar", 1)[-1].replace(r"\sphinxhyphen{}", "-")
        for item in book_bibliography.split(r"\bibitem")[1:]
    ]
    assert len(entries) == len(source_keys())
    heads = [head for entry in entries for head in bibliography_heads(entry.strip())[:1]]
    assert len(heads) == len(entries), [e[:80] for e in entries]
    assert len(set(heads)) == len(heads), [h for h in heads if heads.count(h) > 1]


# --- No machinery in what readers see ---------------------------------------------------------


def reader_text(page: Path) -> str:
    """A built page as readers see it: prose, tables, tooltips and chart data, without the folded code."""
    text = page.read_text(encoding="utf-8")
    text = re.sub(r'<div class="cell_input.*?</div>\s*</div>', "", text, flags=re.S)  # the folded code
    text = re.sub(r'(?:id|href|class|data-for|src)="[^"]*"', "", text)
    return html.unescape(text)


def test_no_source_key_or_working_note_on_any_page(built_book: Path):
    leaks = {}
    for page in sorted(built_book.rglob("*.html")):
        if page.name in ("genindex.html", "search.html"):
            continue
        if page.parent == built_book / "_static" / "code":  # a chapter's source, shown as code behind its one link
            continue
        text = reader_text(page)
        found = [m.group(0) for m in KEY.finditer(text)] + WORKING_NOTES.findall(text)
        found += re.findall(r"<NA>|\bnan\b|\bNaT\b|\"Care Act 2014:\"", text)
        if found:
            leaks[str(page.relative_to(built_book))] = sorted(set(found))
    assert not leaks, leaks


def test_charts_carry_citations_not_source_ids(built_book: Path):
    for page in sorted((built_book / "book").glob("*.html")):
        for row in chart_rows(page):
            assert "source_id" not in row and "locator" not in row, (page.name, row)
            assert not KEY.search(json.dumps(row, ensure_ascii=False)), (page.name, row)


def test_csv_downloads_name_sources_by_citation(built_book: Path):
    downloads = sorted((built_book / "_static" / "data").glob("*.csv"))
    assert downloads
    for path in downloads:
        with open(path, encoding="utf-8") as handle:
            reader = csv.DictReader(handle)
            header = reader.fieldnames or []
            assert "note" not in header and "source_id" not in header, (path.name, header)
            for row in reader:
                cells = " ".join(v for k, v in row.items() if k != "id")
                assert not WORKING_NOTES.search(cells), (path.name, row)
                if "source" in row:
                    assert not KEY.fullmatch(row["source"]), (path.name, row["source"])
                    assert re.search(r"\((?:\d{4}[a-z]?|n\.d\.(?:-[a-z])?)\)$", row["source"]), row["source"]


def test_output_record_carries_the_corrections():
    record = (ROOT / "book" / "outputs.lock").read_text(encoding="utf-8")
    assert "p=0.1879" in record  # the pioneers' second, non-significant result
    assert "less than one-third" in record  # the PAC chair's phrase, attributed to her
    assert "3.07%" in record  # the plans' average, beside the 3.5% target
