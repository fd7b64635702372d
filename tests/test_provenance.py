"""Every glued figure answers "says who?" (issue 20), and text from data shows as written (issue 18).

The built pages are read as HTML; the expected figures come from the CSV files, read here with the csv
module and compared by value, not through the formatting code under test.
"""

from __future__ import annotations

import csv
import json
import re
from functools import cache
from pathlib import Path

import pandas as pd
import pytest
from bs4 import BeautifulSoup
from conftest import ROOT, carebook
from markdown_it import MarkdownIt

from carebook import charts, prose
from carebook.build.toc import chapters
from carebook.provenance import MIME, ProvenanceError, record

GLUE_MD = re.compile(r"\{glue:md\}`([^`]+)`")
UNIT_SCALE = {"GBP_billion": 1e9, "GBP_million": 1e6, "GBP": 1}
WORD_SCALE = {"billion": 1e9, "million": 1e6}


@cache
def csv_rows(table: str) -> dict[str, dict[str, str]]:
    """A data table's rows by id, read straight from its CSV file."""
    with (ROOT / "data" / f"{table}.csv").open(encoding="utf-8") as handle:
        return {row["id"]: row for row in csv.DictReader(handle)}


def row_of(key_or_anchor: str) -> dict[str, str] | None:
    """The CSV row behind 'table:id' or a data-page anchor 'table-id' (tables are tried longest name first)."""
    tables = sorted((p.stem for p in (ROOT / "data").glob("*.csv")), key=len, reverse=True)
    for table in tables:
        for sep in (":", "-"):
            if key_or_anchor.startswith(table + sep):
                return csv_rows(table).get(key_or_anchor[len(table) + 1 :])
    return None


def page(built: Path, name: str) -> BeautifulSoup:
    return BeautifulSoup((built / f"{name}.html").read_text(encoding="utf-8"), "html.parser")


def glue_records(slug: str) -> dict[str, dict]:
    """The provenance record of every value glued in an executed chapter, by glue name."""
    found = {}
    notebook = json.loads((ROOT / "_build" / "executed" / f"{slug}.ipynb").read_text(encoding="utf-8"))
    for cell in notebook["cells"]:
        for output in cell.get("outputs", []):
            data = output.get("data", {})
            rec = data.get(f"application/papermill.record/{MIME}")
            if rec:
                found[rec["name"]] = rec
    return found


def states_quantity(text: str) -> bool:
    """Whether glued text states a number other than a year or a date (test_chapters' rule for prose)."""
    from test_chapters import ALLOWED_NUMBERS, NUMBER_WORDS

    for allowed in ALLOWED_NUMBERS:
        text = re.sub(allowed, "", text)
    return bool(re.search(r"\d", text) or re.search(NUMBER_WORDS, text, re.I))


def shown_number(text: str) -> float:
    """The quantity a figure states, read back from its text: '£3.8 billion' -> 3.8e9, '87,000' -> 87000."""
    found = re.search(r"(\d[\d,]*(?:\.\d+)?)\s*(billion|million)?", text)
    assert found, f"no number in {text!r}"
    return float(found.group(1).replace(",", "")) * WORD_SCALE.get(found.group(2), 1)


def row_quantity(row: dict[str, str]) -> float:
    """A CSV row's amount, value or count, in units (pounds, people, per cent)."""
    for column in ("amount", "value", "count"):
        if row.get(column):
            return float(row[column]) * UNIT_SCALE.get(row.get("unit", ""), 1)
    raise AssertionError(f"row {row['id']} has no amount, value or count")


# --- prose.glue refuses a figure without provenance --------------------------------------------


def test_a_bare_number_is_refused_naming_the_glue():
    with pytest.raises(ProvenanceError, match="glue 'funding_gap'.*rows="):
        prose.glue("funding_gap", 12.5, unit="percent")


def test_text_that_states_a_number_is_refused_but_names_and_dates_are_not():
    with pytest.raises(ProvenanceError, match="glue 'n_sites'"):
        prose.glue("n_sites", "fifty sites")
    assert record("place", "Greater Manchester", "Greater Manchester")["kind"] == "text"
    assert record("when", "5 July 1973", "5 July 1973")["kind"] == "text"


def test_rows_that_do_not_exist_are_refused():
    with pytest.raises(ProvenanceError, match="no-such-row"):
        record("gap", "3", 3, rows=["funding:no-such-row"])


def test_a_count_must_be_a_count_of_the_rows_given():
    from carebook import data

    sites = data.load("vanguard_sites")
    assert record("n", "50", len(sites), count_of=sites)["count"]["rows"] == len(sites)
    with pytest.raises(ProvenanceError, match="count_of"):
        record("n", "51", len(sites) + 1, count_of=sites)


def test_a_chapter_gluing_a_bare_number_fails_the_build_naming_chapter_and_glue(minibook: Path):
    chapter = minibook / "book" / "alpha.md"
    chapter.write_text(
        chapter.read_text(encoding="utf-8").replace(", rows=[row for _, row in table.iterrows()])", ")"),
        encoding="utf-8",
    )
    done = carebook("build", cwd=minibook)
    assert done.returncode != 0
    message = done.stdout + done.stderr
    assert "chapter 'alpha'" in message and "glue 'alpha_total'" in message, message


# --- escaping: text from data shows as written -------------------------------------------------

MARKUP = "<script>alert(x)</script> *not emphasis* [a](http://example.org) {cite:p}`x`"


def test_glued_text_from_data_reads_back_as_the_same_text():
    from carebook.provenance import markdown

    rendered = BeautifulSoup(
        MarkdownIt("commonmark").renderInline(markdown(record("note", MARKUP, MARKUP))), "html.parser"
    )
    assert rendered.get_text() == MARKUP
    assert rendered.find() is None  # no element at all: text only


def test_print_tables_show_cells_as_written_unless_the_schema_declares_markdown():
    frame = pd.DataFrame({"Plain": [MARKUP], "Rich": ["*emphasis*"]})
    frame.attrs["markdown"] = ["Rich"]
    table = charts.Table(frame, "A table with markup in one cell of each row.", ["pac-2018"], None)
    rendered = BeautifulSoup(MarkdownIt("commonmark").enable("table").render(table.markdown()), "html.parser")
    cells = rendered.find_all("td")
    assert cells[0].get_text() == MARKUP
    assert cells[0].find("script") is None and cells[0].find("a") is None
    assert cells[1].find("em") is not None  # declared Markdown in its schema


def test_a_data_row_with_markup_reaches_the_page_as_text(minibook: Path):
    table = minibook / "data" / "alpha.csv"
    table.write_text(
        table.read_text(encoding="utf-8").replace("first row", f'"{MARKUP.replace(chr(34), 2 * chr(34))}"')
    )
    chapter = minibook / "book" / "alpha.md"
    text = chapter.read_text(encoding="utf-8")
    text = text.replace(
        'table = data.load("alpha")\n', 'table = data.load("alpha")\nprose.glue("alpha_note", table.loc[0, "note"])\n'
    )
    chapter.write_text(text + "\nThe note says {glue:md}`alpha_note`.\n", encoding="utf-8")
    done = carebook("build", cwd=minibook)
    assert done.returncode == 0, done.stdout + done.stderr
    built = (minibook / "_build" / "html" / "book" / "alpha.html").read_text(encoding="utf-8")
    assert "<script>alert" not in built
    paragraph = next(p for p in BeautifulSoup(built, "html.parser").find_all("p") if "The note says" in p.get_text())
    assert f"The note says {MARKUP}." in paragraph.get_text()
    assert paragraph.find("em") is None and paragraph.find("a") is None


# --- the built book ------------------------------------------------------------------------------

CHAPTERS = chapters(ROOT)


@pytest.mark.build
@pytest.mark.parametrize("chapter", CHAPTERS, ids=lambda p: p.slug)
def test_every_glued_figure_is_a_link_to_its_row_on_the_data_page(built_book: Path, chapter):
    soup = page(built_book, chapter.name)
    anchors = {tag["id"] for tag in page(built_book, "book/data").find_all(id=True)}
    wraps = {wrap["data-glue"]: wrap for wrap in soup.select(".carebook-fig-wrap[data-glue]")}
    records = glue_records(chapter.slug)
    cited = set(GLUE_MD.findall(chapter.path.read_text(encoding="utf-8")))
    figures = [name for name in cited if states_quantity(records[name]["text"]) or records[name]["kind"] != "text"]
    assert figures, f"{chapter.slug} shows no glued figures"
    for name in figures:
        assert name in wraps, f"{chapter.slug}: figure {name!r} is not a provenance link"
        link = wraps[name].select_one("a.carebook-fig")
        assert link is not None, f"{chapter.slug}: {name!r} is not a link"
        target, _, anchor = link["href"].partition("#")
        assert target == "data.html" and anchor in anchors, f"{chapter.slug}: {name!r} links to {link['href']}"
        card = soup.find(id=link["aria-describedby"])
        assert card is not None and card.get("role") == "tooltip", f"{chapter.slug}: {name!r} has no tooltip card"
        assert card.get_text().strip(), f"{chapter.slug}: {name!r} has an empty card"


@pytest.mark.build
@pytest.mark.parametrize("chapter", CHAPTERS, ids=lambda p: p.slug)
def test_a_figure_glued_from_a_row_shows_that_rows_value(built_book: Path, chapter):
    checked = 0
    for wrap in page(built_book, chapter.name).select('.carebook-fig-wrap[data-kind="row"]'):
        link = wrap.select_one("a.carebook-fig")
        row = row_of(link["href"].partition("#")[2])
        assert row is not None, f"{chapter.slug}: {link['href']} names no row of data/"
        if any(row.get(c) for c in ("amount", "value", "count")):
            shown = shown_number(link.get_text())
            expected = row_quantity(row)
            assert shown == pytest.approx(expected), f"{chapter.slug}: {link.get_text()!r} for row {row['id']}"
            checked += 1
    assert checked, f"{chapter.slug}: no figure glued from a row was checked"


@pytest.mark.build
def test_computed_figures_list_rows_that_exist(built_book: Path):
    computed = 0
    for chapter in CHAPTERS:
        soup = page(built_book, chapter.name)
        for name, rec in glue_records(chapter.slug).items():
            if rec["kind"] != "computed":
                continue
            computed += 1
            for row in rec["rows"]:
                assert row_of(row["key"]) is not None, f"{chapter.slug}: {name!r} lists {row['key']}, not in data/"
            wrap = soup.select_one(f'.carebook-fig-wrap[data-glue="{name}"]')
            if wrap is not None and len(rec["rows"]) > 1:
                card = soup.find(id=wrap.select_one(".carebook-fig")["aria-describedby"])
                assert "Computed from these rows" in card.get_text()
                assert len(card.select(".carebook-card-row")) == len(rec["rows"])
    assert computed >= 10, f"only {computed} computed figures in the book"


@pytest.mark.build
def test_data_page_has_an_anchor_per_row_and_says_where_each_is_used(built_book: Path):
    soup = page(built_book, "book/data")
    for table in (p.stem for p in (ROOT / "data").glob("*.csv") if p.stem != "sources"):
        for row_id in csv_rows(table):
            assert soup.find(id=f"{table}-{row_id}") is not None, f"no anchor for {table}:{row_id}"
    for chapter in CHAPTERS:
        uses: dict[str, int] = {}
        for rec in glue_records(chapter.slug).values():
            for anchor in dict.fromkeys(row["anchor"] for row in rec.get("rows", [])):
                uses[anchor] = uses.get(anchor, 0) + 1
        for anchor, count in uses.items():
            cell = soup.find(id=anchor).find_parent("tr").find_all("td")[-1]
            link = next(
                (a for a in cell.find_all("a") if a["href"].split("#")[0].endswith(f"{chapter.slug}.html")), None
            )
            assert link is not None, f"the data page does not say that {chapter.slug} uses {anchor}"
            told = f"({count} figure{'s' if count > 1 else ''})"
            assert told in cell.get_text(), f"{anchor}: {chapter.slug} uses it in {count} figures: {cell.get_text()}"


@pytest.mark.build
def test_no_link_inside_a_link(built_book: Path):
    for chapter in CHAPTERS:
        soup = page(built_book, chapter.name)
        nested = [a for a in soup.find_all("a") if a.find_parent("a") is not None]
        assert not nested, f"{chapter.slug}: a link inside a link: {nested[0]}"


@pytest.mark.build
def test_readers_see_no_machinery_in_cards(built_book: Path):
    for chapter in CHAPTERS:
        for card in page(built_book, chapter.name).select(".carebook-card"):
            text = card.get_text()
            assert not re.search(r"facts\.md|\.csv\b|source_id", text), f"{chapter.slug}: {text}"


# --- reading the PDF ----------------------------------------------------------------------------


@pytest.mark.pdf
def test_each_chapter_of_the_pdf_ends_with_the_sources_of_its_figures(built_pdf: Path):
    from test_pdf import pdf_pages, squash

    pages = pdf_pages(built_pdf)
    with_table = [i for i, text in enumerate(pages) if "Sources of the figures in this chapter" in text]
    taught = [c for c in CHAPTERS if c.slug != "index"]
    assert len(with_table) >= len(taught), f"{len(with_table)} figure-source tables for {len(taught)} chapters"
    funding = glue_records("funding")["funding_bcf_min_1516"]
    table_text = squash("\n".join("".join(pages[i : i + 3]) for i in with_table))  # a table may run to 3 pages
    assert squash(funding["text"]) in table_text
    # A narrow column wraps the row's description; its opening words stay together.
    assert squash(funding["rows"][0]["what"])[:24] in table_text


@pytest.mark.pdf
def test_pdf_figures_are_plain_text(built_pdf: Path):
    from test_pdf import pdf_text, squash

    text = squash(pdf_text(built_pdf))
    assert squash("national minimum of £3.8 billion, and local areas pooled a further £1.5 billion") in text
    assert "carebookfigure" not in text
