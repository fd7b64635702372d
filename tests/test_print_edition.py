"""The PDF as a reader gets it (issue 26): tagged, charts as vector graphics with searchable lettering no
smaller than 7 pt, figures numbered as on the web, compact figure sources with whole or word-cut quotations
and correct "continued" lines, and no sentence about pointing or linking that paper cannot keep."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from conftest import ROOT
from test_pdf import pdf_pages, pdf_text, run, squash

from carebook.build.toc import pages

pytestmark = pytest.mark.pdf

LATEX = ROOT / "_build" / ".work" / "latex"
MIN_PT = 7.0
TEXT_WIDTH_PT = 448  # A4 less the 2.6 cm margins of _config.yml
SOURCES_TITLE = "Sources of the figures in this chapter"


def test_pdf_is_tagged(built_pdf: Path):
    assert re.search(r"^Tagged:\s+yes$", run("pdfinfo", str(built_pdf)), re.M), "the PDF is not tagged"


def test_charts_are_vector_graphics_not_images(built_pdf: Path):
    images = run("pdfimages", "-list", str(built_pdf)).splitlines()[2:]
    assert not [line for line in images if " image " in line], f"raster images in the PDF: {images[:3]}"
    tex = (LATEX / "joined-up.tex").read_text(encoding="utf-8")
    included = re.findall(
        r"\\carebookchart\{.{20,}?\}\{\\sphinxincludegraphics\[width=([0-9.]+)\\linewidth\]\{\{(chart-\w+)\}\.pdf\}\}",
        tex,
    )
    assert len(included) >= 15, f"only {len(included)} charts included as PDF with alt text"


def structure_figures(pdf: Path) -> list[str]:
    """The alt text (/Alt) of every Figure element of a PDF's structure tree, in the tree's order ('' for none)."""
    from pypdf import PdfReader
    from pypdf.generic import ArrayObject, DictionaryObject

    found, stack = [], [PdfReader(pdf).trailer["/Root"]["/StructTreeRoot"]]
    while stack:
        node = stack.pop().get_object()
        if isinstance(node, ArrayObject):
            stack.extend(reversed(node))
        elif isinstance(node, DictionaryObject):
            if node.get("/S") == "/Figure":
                found.append(str(node.get("/Alt", "")))
            if "/K" in node and node.get("/Type") != "/MCR":
                stack.append(node["/K"])
    return found


def test_charts_are_figures_carrying_their_alt_text_in_the_structure_tree(built_pdf: Path):
    """A screen reader meets each chart as a Figure of the tagged PDF, read out by the alt text its chapter gave
    it (the chart spec's description, as on the web)."""
    from carebook.sphinxext import vector

    charts = {}
    for notebook in sorted((ROOT / "_build" / "executed").glob("*.ipynb")):
        charts.update(vector.chart_outputs(notebook))
    alts = {" ".join(chart["alt"].split()) for chart in charts.values() if chart["spec"] is not None}
    assert len(alts) >= 15, f"only {len(alts)} charts with alt text in the chapters"
    figures = structure_figures(built_pdf)
    assert all(figures), f"a Figure without alt text: {len([f for f in figures if not f])} of {len(figures)}"
    missing = alts - set(figures)
    assert not missing, f"{len(missing)} charts' alt text is on no Figure of the PDF, e.g. {sorted(missing)[0]!r}"


def word_boxes(pdf: Path) -> list[tuple[float, str]]:
    """The height of the box of each word set horizontally in a PDF (pdftotext -bbox), with the word: words of
    three letters or more that are wider than tall (a rotated axis title is the other way round)."""
    found = re.findall(
        r'<word xMin="([0-9.]+)" yMin="([0-9.]+)" xMax="([0-9.]+)" yMax="([0-9.]+)">([^<]*)<',
        run("pdftotext", "-bbox", str(pdf), "-"),
    )
    boxes = [(float(x1) - float(x0), float(y1) - float(y0), word) for x0, y0, x1, y1, word in found]
    return [(height, word) for width, height, word in boxes if len(word) >= 3 and width > height]


@pytest.fixture(scope="module")
def box_per_font_size(tmp_path_factory) -> float:
    """How tall pdftotext makes the box of a word per point of font size, measured on a chart of one word at
    a known size drawn the way the book draws its charts (vl-convert, the house font)."""
    import vl_convert

    from carebook.charts import FONT

    spec = {"data": {"values": [{}]}, "mark": {"type": "text", "text": "Calibration", "fontSize": 20, "font": FONT}}
    pdf = tmp_path_factory.mktemp("calibration") / "one-word.pdf"
    pdf.write_bytes(vl_convert.vegalite_to_pdf(spec))
    height, word = word_boxes(pdf)[0]
    assert word == "Calibration"
    return height / 20


def test_chart_lettering_is_text_and_at_least_7_pt(built_pdf: Path, box_per_font_size: float):
    """Each chart's words are in the PDF's text layer; each chart PDF's smallest word, as printed (its box
    height over box_per_font_size, times the scale the .tex prints it at), is at least MIN_PT."""
    assert squash("Total mandatory minimum (£ billion, cash)") in squash(pdf_text(built_pdf))
    tex = (LATEX / "joined-up.tex").read_text(encoding="utf-8")
    for share, name in re.findall(
        r"\\sphinxincludegraphics\[width=([0-9.]+)\\linewidth[^]]*\]\{\{(chart-\w+)\}\.pdf\}", tex
    ):
        chart = LATEX / f"{name}.pdf"
        width = float(re.search(r"Page size:\s+([0-9.]+) x", run("pdfinfo", str(chart))).group(1))
        scale = float(share) * TEXT_WIDTH_PT / width
        heights = word_boxes(chart)
        assert heights, f"{name} has no text layer"
        least, word = min(heights)
        printed = least / box_per_font_size * scale
        assert printed >= MIN_PT - 0.3, f"{name}: {word!r} prints at {printed:.1f} pt"


def web_figure_numbers() -> dict[str, str]:
    """Each figure's number on the web ("Fig. 25") by the opening words of its caption."""
    from bs4 import BeautifulSoup

    found = {}
    for page in pages(ROOT):
        html = (ROOT / "_build" / "html" / f"{page.name}.html").read_text(encoding="utf-8")
        for caption in BeautifulSoup(html, "html.parser").select("figcaption, caption"):
            number = caption.select_one(".caption-number")
            text = caption.select_one(".caption-text")
            if number and text:
                found[squash(text.get_text())[:40]] = number.get_text().strip().removeprefix("Fig.").strip(" .")
    return found


def test_figures_carry_the_same_numbers_as_on_the_web(built_pdf: Path):
    raw = pdf_text(built_pdf)
    assert not re.search(r"Figure\s+\d+\.\d+", raw), "the PDF numbers figures by chapter"
    text = squash(raw)
    web = web_figure_numbers()
    assert len(web) >= 15, f"only {len(web)} numbered figures found on the web"
    for opening, number in web.items():
        assert f"figure{number}{opening[:20]}" in text, f"Fig. {number} ({opening!r}) has another number in print"


def sources_pages(pdf: Path) -> list[list[str]]:
    """For each chapter, the pages of its figure sources: from its heading (the chapter's last section) to the
    page before the next chapter or part."""
    heading = re.compile(rf"^\s*(?:\d+\.\d+\s+)?{SOURCES_TITLE}\s*$", re.M)  # a heading, not the contents
    opening = re.compile(r"^\s*(?:Chapter\s+\d+|Part\s+[IVX]+)\s*$", re.M)
    found, current = [], None
    for text in pdf_pages(pdf):
        if heading.search(text):
            current = [heading.split(text, 1)[1]]
            found.append(current)
        elif current is not None and not opening.search(text):
            current.append(text)
        else:
            current = None
    return found


def test_figure_sources_are_compact_and_quote_whole_words(built_pdf: Path):
    chapters = sources_pages(built_pdf)
    assert len(chapters) >= 6, f"{len(chapters)} chapters with figure sources"
    for chapter in chapters:
        # one paragraph per source, at 7.5 pt: measured 1, 1, 2, 2, 2 and 3 pages a chapter (11 in all, from 15),
        # the first and last of them partial; the 2022-2026 chapter (its diagram and fund grid rest on 70-odd
        # quoted rows) fills about 1.3 pages over three
        assert len(chapter) <= 3, f"a chapter's figure sources run over {len(chapter)} pages"
    text = "\n".join(page for chapter in chapters for page in chapter)
    assert "“" in text, "the figure sources quote no source's words"
    cut = re.findall(r"\S…", text)
    assert not cut, f"quotations cut inside a word: {cut[:5]}"


def test_continued_tables_say_so_at_the_right_end(built_pdf: Path):
    for number, text in enumerate(pdf_pages(built_pdf), start=1):
        lines = [line.strip() for line in text.splitlines() if line.strip()]
        body = lines[:-1]  # the last line is the page's foot (edition and page number)
        if body and "continued from previous page" in body[-1]:
            pytest.fail(f"page {number} ends with 'continued from previous page'")


def test_sentences_about_pointing_and_linking_are_web_only(built_pdf: Path):
    text = squash(pdf_text(built_pdf))
    assert squash("show their meaning when you point at them") not in text
    assert squash("links to the row it comes from") not in text
    home = (ROOT / "_build" / "html" / "book" / "index.html").read_text(encoding="utf-8")
    assert "show their meaning when you point at them" in home, "the web edition lost the sentence"
