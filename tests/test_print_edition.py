"""The PDF as a reader gets it (issue 26): tagged, charts as vector graphics with searchable lettering no
smaller than 7 pt, each chart's caption a Caption of its Figure, figures numbered as on the web, compact figure
sources with whole or word-cut quotations and correct "continued" lines, and no sentence about pointing or linking
that paper cannot keep."""

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
        r"\\carebookchart(?:captioned)?\{.{20,}?\}\{\\sphinxincludegraphics\[width=([0-9.]+)\\linewidth\]\{\{(chart-\w+)\}\.pdf\}\}",
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


def page_marked_text(page) -> dict[int, str]:
    """The text drawn inside each marked-content sequence of a PDF page, by MCID."""
    from pypdf.generic import DictionaryObject, NameObject

    properties = page["/Resources"].get_object().get("/Properties")
    properties = properties.get_object() if properties is not None else {}
    open_ids: list[int | None] = []
    found: dict[int, str] = {}

    def operator(op: bytes, args: list, cm, tm) -> None:
        if op == b"BDC":
            label = properties.get(args[1]) if isinstance(args[1], NameObject) else args[1]
            label = label.get_object() if label is not None else None
            open_ids.append(label.get("/MCID") if isinstance(label, DictionaryObject) else None)
        elif op == b"BMC":
            open_ids.append(None)
        elif op == b"EMC" and open_ids:
            open_ids.pop()

    def text(chunk: str, cm, tm, font, size) -> None:
        mcid = next((m for m in reversed(open_ids) if m is not None), None)
        if mcid is not None:
            found[int(mcid)] = found.get(int(mcid), "") + chunk

    page.extract_text(visitor_operand_before=operator, visitor_text=text)
    return found


def marked_text(reader) -> dict[tuple[int, int], str]:
    """The text each structure element's content points to, by (page object number, MCID)."""
    return {
        (page.indirect_reference.idnum, mcid): text
        for page in reader.pages
        for mcid, text in page_marked_text(page).items()
    }


def chart_figures(pdf: Path) -> list[dict]:
    """Every Figure element of a PDF's structure tree: its alt text, the type of each child element, and the text
    of each Caption among them."""
    from pypdf import PdfReader
    from pypdf.generic import ArrayObject, DictionaryObject

    reader = PdfReader(pdf)
    texts = marked_text(reader)

    def kids(node) -> list:
        node = node.get_object()
        return [k for k in node] if isinstance(node, ArrayObject) else [node]

    def content(node, page) -> str:
        node = node.get_object()
        if isinstance(node, int):
            return texts.get((page.idnum, int(node)), "") if page is not None else ""
        if not isinstance(node, DictionaryObject):
            return "".join(content(k, page) for k in kids(node)) if isinstance(node, ArrayObject) else ""
        page = node.get("/Pg", page)
        if node.get("/Type") == "/MCR":
            return texts.get((page.idnum, int(node["/MCID"])), "")
        return "".join(content(k, page) for k in kids(node["/K"])) if "/K" in node else ""

    found, stack = [], [(reader.trailer["/Root"]["/StructTreeRoot"], None)]
    while stack:
        node, page = stack.pop()
        node = node.get_object()
        if not isinstance(node, DictionaryObject) or node.get("/Type") in ("/MCR", "/OBJR") or "/K" not in node:
            continue
        page = node.get("/Pg", page)
        children = [k.get_object() for k in kids(node["/K"])]
        elements = [k for k in children if isinstance(k, DictionaryObject) and "/S" in k]
        if node.get("/S") == "/Figure":
            found.append(
                {
                    "alt": str(node.get("/Alt", "")),
                    "children": [str(k["/S"]) for k in elements],
                    "captions": [" ".join(content(k, page).split()) for k in elements if k["/S"] == "/Caption"],
                }
            )
        stack.extend((k, page) for k in reversed(elements))
    return found


def test_each_charts_caption_is_a_caption_inside_its_figure(built_pdf: Path):
    """A screen reader meets each chart's caption ("Figure 12: ...") as the Caption of the chart's Figure, read with
    it, not as a paragraph beside it."""
    figures = [figure for figure in chart_figures(built_pdf) if figure["alt"]]
    assert len(figures) >= 15, f"only {len(figures)} Figures with alt text in the structure tree"
    web = web_figure_numbers()
    for figure in figures:
        assert figure["children"][-1:] == ["/Caption"], f"{figure['alt'][:60]!r}: children {figure['children']}"
        (caption,) = figure["captions"]
        assert any(squash(caption).startswith(f"figure{number}{opening[:20]}") for opening, number in web.items()), (
            f"{figure['alt'][:60]!r} has the caption {caption[:80]!r}, not a figure's number and caption as on the web"
        )
    numbers = [re.match(r"Figure (\d+)", figure["captions"][0]).group(1) for figure in figures]
    assert len(set(numbers)) == len(numbers), f"two Figures share a caption: {numbers}"


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


TEXT_TOP, TEXT_BOTTOM = 2.6 / 2.54 * 72, 841.89 - 2.8 / 2.54 * 72  # the text block: A4 less _config.yml's vmargin


def body_lines(pdf: Path) -> list[list[tuple[float, float, str]]]:
    """For each page, the lines of its text block (running head and foot left out): top, bottom, text."""
    found = []
    for page in re.findall(r"<page [^>]*>(.*?)</page>", run("pdftotext", "-bbox-layout", str(pdf), "-"), re.S):
        lines = []
        for top, bottom, inner in re.findall(
            r'<line xMin="[0-9.]+" yMin="([0-9.]+)" xMax="[0-9.]+" yMax="([0-9.]+)">(.*?)</line>', page, re.S
        ):
            if float(top) > TEXT_TOP - 4 and float(bottom) < TEXT_BOTTOM + 4:
                lines.append((float(top), float(bottom), " ".join(re.findall(r">([^<]*)</word>", inner))))
        found.append(sorted(lines))
    return found


def figure_sources(pdf: Path) -> list[list[tuple[int, float]]]:
    """For each chapter, the pages of its figure sources, each with the share of the text block's height the list
    fills there: from its heading (the chapter's last section) to the page before the next chapter or part."""
    heading = re.compile(rf"^(?:\d+\.\d+ )?{SOURCES_TITLE}$")  # a heading, not the line in the contents
    opening = re.compile(r"^(?:Chapter \d+|Part [IVX]+)$")
    height = TEXT_BOTTOM - TEXT_TOP
    found, current = [], None
    for number, lines in enumerate(body_lines(pdf), start=1):
        starts = [top for top, _, text in lines if heading.match(text)]
        if starts:
            current = [(number, (max(bottom for _, bottom, _ in lines) - starts[0]) / height)]
            found.append(current)
        elif current is not None and lines and not any(opening.match(text) for _, _, text in lines):
            current.append((number, (max(bottom for _, bottom, _ in lines) - lines[0][0]) / height))
        else:
            current = None
    return found


def test_figure_sources_are_compact_and_quote_whole_words(built_pdf: Path):
    chapters = figure_sources(built_pdf)
    assert len(chapters) >= 6, f"{len(chapters)} chapters with figure sources"
    for spread in chapters:
        # one paragraph per source at 7.5 pt, each figure with its source's words: measured 0.32, 0.17, 0.84, 0.50,
        # 0.54 and 1.05 text blocks on 1, 1, 2, 1, 2 and 2 pages (from 0.39-1.52 blocks on 1-3 pages)
        filled = sum(share for _, share in spread)
        assert filled <= 1.1, f"the figure sources on pages {[n for n, _ in spread]} fill {filled:.2f} pages"
        assert len(spread) <= 2, f"a chapter's figure sources run over {len(spread)} pages"
    text = "\n".join(pdf_pages(built_pdf)[number - 1] for spread in chapters for number, _ in spread)
    assert "“" in text, "the figure sources quote no source's words"
    cut = re.findall(r"\S…", text)
    assert not cut, f"quotations cut inside a word: {cut[:5]}"


def test_continued_tables_say_so_at_the_right_end(built_pdf: Path):
    """A table broken across pages says "continues on next page" at the foot of the first and "continued from
    previous page" at the head of the next, never the other way round."""
    texts = [[text for _, _, text in lines] for lines in body_lines(built_pdf)]
    breaks = 0
    for number, lines in enumerate(texts, start=1):
        for at, line in enumerate(lines):
            if "continued from previous page" in line:
                breaks += 1
                assert at == 0, f"page {number}: 'continued from previous page' on line {at + 1}, not at its head"
                assert "continues on next page" in texts[number - 2][-1], f"page {number - 1} does not say it continues"
            if "continues on next page" in line:
                assert at == len(lines) - 1, f"page {number}: 'continues on next page' above the foot of the page"
                assert "continued from previous page" in texts[number][0], f"page {number + 1} does not say so"
    assert breaks, "no table breaks across pages: the check checked nothing"


def test_sentences_about_pointing_and_linking_are_web_only(built_pdf: Path):
    text = squash(pdf_text(built_pdf))
    assert squash("show their meaning when you point at them") not in text
    assert squash("links to the row it comes from") not in text
    home = (ROOT / "_build" / "html" / "book" / "index.html").read_text(encoding="utf-8")
    assert "show their meaning when you point at them" in home, "the web edition lost the sentence"
