"""The print build's Sphinx extension: bibliographies, tables, charts and captions arranged for the PDF edition."""

from __future__ import annotations

import math
import re
from pathlib import Path

BIBLIOGRAPHY_MARKER = "carebook_bibliography"  # attribute of the markers of the print build's transforms
# A chart this many pixels wide spans the PDF's text width (A4 less the margins of _config.yml's
# sphinxsetup, in points): charts.WIDTH (640) plus axes is about 700 pixels; 12 px lettering then prints
# at about 7.7 pt, and no lettering prints smaller than MIN_PRINT_PT (smaller fonts are grown for print).
CHART_PIXELS_PER_LINE = 700
TEXT_WIDTH_PT = 448
MIN_PRINT_PT = 7.0


# --- Sphinx extension for the LaTeX build -----------------------------------------------
# `carebook.sphinxext.latex` is also a Sphinx extension, loaded for the LaTeX build only (see
# `latex_overrides`), with post-transforms that arrange the book for print:
# - bibliographies: Sphinx's LaTeX writer gathers every citation of the book into one list at its
#   very end, so each chapter's "References" would be empty and the end list would repeat a source
#   once per chapter citing it. Each bibliography goes back where its directive stands, as in the
#   HTML: every chapter ends with its references, and the Bibliography chapter lists them all;
# - tables: columns sized to their content, breaking across pages, a table placed as a figure
#   kept numbered as a figure (LaTeX cannot break a float);
# - charts: printed at one scale, so their lettering is the same size from chart to chart.


def latex_overrides(stage: Path) -> dict:
    """Sphinx settings for the print build: this module as an extension, on top of jupyter-book's own list."""
    from carebook.build.sphinx import final_config

    config = final_config(stage)
    overrides = {"extensions": [*config["extensions"], __name__]}
    base = config.get("html_baseurl")
    elements = dict(config.get("latex_elements") or {})
    if base and "maketitle" in elements:  # the title page names the web edition
        elements["maketitle"] = elements["maketitle"].replace(
            r"\carebookmaketitle{", r"\carebookmaketitle{Web edition: \url{" + base + r"}.\par ", 1
        )
        overrides["latex_elements"] = elements
    return overrides


def _post_transforms() -> tuple[type, ...]:
    """The post-transforms of the print build (defined in here so Sphinx is imported only when used)."""
    from docutils import nodes
    from sphinx.builders.latex.nodes import thebibliography
    from sphinx.transforms.post_transforms import SphinxPostTransform
    from sphinxcontrib.bibtex.nodes import bibliography

    def markers(document) -> list:
        return [node for node in document.findall(nodes.comment) if node.get(BIBLIOGRAPHY_MARKER) is not None]

    class MarkBibliographies(SphinxPostTransform):
        """Leave a marker after each {bibliography} before sphinxcontrib-bibtex fills it (priority 5)."""

        default_priority = 4
        formats = ("latex",)

        def run(self, **kwargs) -> None:
            for node in list(self.document.findall(bibliography)):
                marker = nodes.comment("", "bibliography")
                marker[BIBLIOGRAPHY_MARKER] = []
                node.parent.insert(node.parent.index(node) + 1, marker)

    class NoteCitations(SphinxPostTransform):
        """Record on each marker the citations its bibliography holds, before Sphinx gathers them (750)."""

        default_priority = 749
        formats = ("latex",)

        def run(self, **kwargs) -> None:
            for marker in markers(self.document):
                index = marker.parent.index(marker)
                filled = marker.parent[index - 1] if index else None
                if filled is not None:
                    marker[BIBLIOGRAPHY_MARKER] = [_citation_key(c) for c in filled.findall(nodes.citation)]

    class BibliographiesInPlace(SphinxPostTransform):
        """Move each bibliography's citations from the end of the book back to its marker."""

        default_priority = 760
        formats = ("latex",)

        def run(self, **kwargs) -> None:
            tail = self.document[-1] if len(self.document) else None
            gathered = {}
            if isinstance(tail, thebibliography):
                gathered = {_citation_key(citation): citation for citation in tail.children}
            for marker in markers(self.document):
                citations = [gathered.pop(key) for key in marker[BIBLIOGRAPHY_MARKER] if key in gathered]
                if not citations:
                    marker.parent.remove(marker)
                    continue
                for citation in citations:
                    tail.remove(citation)
                marker.replace_self(thebibliography("", *citations))
            if isinstance(tail, thebibliography) and not len(tail):
                self.document.remove(tail)

    class TablesForPrint(SphinxPostTransform):
        """Give every table columns sized to its content (ragged right, in latex/carebook.sty),
        let tables break across pages, and turn a table placed as a figure ({glue:figure} of a
        `charts.table`) into a page-breaking table that keeps its figure number and caption."""

        default_priority = 800
        formats = ("latex",)

        def run(self, **kwargs) -> None:
            for table in list(self.document.findall(nodes.table)):
                widths = column_widths(*_table_rows(table, nodes))
                colspecs = list(table.findall(nodes.colspec))
                if widths and len(colspecs) == len(widths):
                    for colspec, width in zip(colspecs, widths, strict=True):
                        colspec["colwidth"] = width
                    table["classes"] = [c for c in table["classes"] if c != "colwidths-auto"] + ["colwidths-given"]
                figure = next((a for a in _ancestors(table) if isinstance(a, nodes.figure)), None)
                if figure is not None and len(list(figure.findall(nodes.table))) == 1:
                    self.unfloat(figure, table)
                if not any(isinstance(a, NO_LONGTABLE) for a in _ancestors(table)):
                    table["classes"].append("longtable")
                    if not any(isinstance(child, nodes.title) for child in table.children):
                        # Sphinx heads each continued page "Table n – continued", even for a table
                        # without a number: say only "continued" there
                        at = table.parent.index(table)
                        table.parent.insert(at + 1, nodes.raw("", r"\end{carebookuncaptioned}", format="latex"))
                        table.parent.insert(at, nodes.raw("", r"\begin{carebookuncaptioned}", format="latex"))

        def unfloat(self, figure, table) -> None:
            """Replace `figure` by its content, the caption becoming the table's title (numbered as a figure)."""
            caption = next(iter(figure.findall(nodes.caption)), None)
            if caption is not None:
                caption.parent.remove(caption)
                if not any(isinstance(child, nodes.title) for child in table.children):
                    table.insert(0, nodes.title("", "", *caption.children))
            table["ids"] = figure["ids"] + table["ids"]
            table["names"] = figure["names"] + table["names"]
            figure["ids"], figure["names"] = [], []
            # longtable lists its caption in the list of tables: list it with the figures, in short
            short = short_caption(caption.astext()) if caption is not None else ""
            listed = r"\carebooklistfigure{" + _tex(short) + "}" if short else ""
            figure.replace_self(
                [
                    nodes.raw("", r"\begin{carebookfiguretable}", format="latex"),
                    *figure.children,
                    nodes.raw("", listed + r"\end{carebookfiguretable}", format="latex"),
                ]
            )

    class ChartsAsVectors(SphinxPostTransform):
        """Print every chart as vector graphics (drawn again from its spec by vl-convert: its lettering is
        searchable text) at one scale, so their lettering is the same size from chart to chart: a chart of
        CHART_PIXELS_PER_LINE pixels spans the text width, a narrower one less, and fonts too small for
        MIN_PRINT_PT at that scale are grown. The chart's alt text goes with the image for tagged PDF."""

        default_priority = 800
        formats = ("latex",)

        def run(self, **kwargs) -> None:
            from carebook.sphinxext import vector

            for node, chart in vector.chart_nodes(self.document):
                caption = chart_caption(node, nodes)
                if caption is not None:
                    caption[CHART_CAPTION] = True
                latex = print_chart(chart, Path(self.app.outdir), captioned=caption is not None)
                node.replace_self(nodes.raw("", latex, format="latex"))

    NO_LONGTABLE = (nodes.table, nodes.Admonition, nodes.sidebar, nodes.topic, nodes.footnote, nodes.list_item)
    return MarkBibliographies, NoteCitations, BibliographiesInPlace, TablesForPrint, ChartsAsVectors


CHART_CAPTION = "carebook_chart_caption"  # marks a caption node that belongs to a chart's Figure in the tagged PDF


def chart_caption(chart, nodes) -> object | None:
    """The caption of the figure the `chart` node stands in, if the chart is that figure's only picture."""
    from carebook.sphinxext import vector

    figure = chart.parent
    while figure is not None and not isinstance(figure, nodes.figure):
        figure = figure.parent
    if figure is None or any(figure.findall(nodes.image)) or len(list(vector.chart_nodes(figure))) != 1:
        return None
    return next((child for child in figure.children if isinstance(child, nodes.caption)), None)


def print_chart(chart: dict, outdir: Path, captioned: bool = False) -> str:
    """The LaTeX that includes `chart` as a PDF drawn into `outdir`, at the book's one scale, as a Figure of the
    tagged PDF carrying the chart's alt text (`\\carebookchart`, latex/carebook.sty); a `captioned` one leaves
    the Figure open for its caption (see visit_caption)."""
    from carebook.sphinxext import vector

    per_point = TEXT_WIDTH_PT / CHART_PIXELS_PER_LINE
    spec, svg = vector.legible(chart["spec"], MIN_PRINT_PT, CHART_PIXELS_PER_LINE, per_point)
    name = f"chart-{vector.spec_key(spec)}.pdf"
    vector.write_chart(spec, outdir / name, "pdf")
    share = min(1.0, vector.svg_width(svg) / CHART_PIXELS_PER_LINE)
    alt = " ".join(chart["alt"].split())
    stem = name.removesuffix(".pdf")
    image = f"\\sphinxincludegraphics[width={share:.3f}\\linewidth]{{{{{stem}}}.pdf}}"
    command = "carebookchartcaptioned" if captioned else "carebookchart"
    return f"\\{command}{{{tag_text(alt)}}}{{{image}}}\n"


TEX_SPECIALS = set("\\{}$&#^_%~")


def tag_text(text: str) -> str:
    r"""`text` for a key of the tagged PDF's structure (its alt text), which takes characters, not typesetting
    commands: each of TeX's special characters as `\carebookchar{code}` (latex/carebook.sty)."""
    return "".join(f"\\carebookchar{{{ord(ch)}}}" if ch in TEX_SPECIALS else ch for ch in text)


def short_caption(text: str, limit: int = 110) -> str:
    """A caption's first sentence, for the list of figures (the rest, such as how to use the web
    edition's chart, stays under the figure); cut at a word and marked if still longer than `limit`."""
    text = " ".join(text.split())
    first = re.split(r"(?<=[.!?])\s+(?=[“‘\"(]?[A-Z])", text, maxsplit=1)[0].rstrip(".")
    if len(first) > limit:
        first = first[:limit].rsplit(" ", 1)[0].rstrip(",;:") + "…"
    return first


def _tex(text: str) -> str:
    """Plain text escaped for XeLaTeX."""
    from sphinx.util.texescape import escape

    return escape(text, "xelatex")


def visit_caption(self, node) -> None:
    r"""Sphinx's caption, with the first sentence as the short caption of a figure (`\caption[short]{long}`); a
    chart's caption opens a Caption structure element inside the chart's Figure (latex/carebook.sty)."""
    from sphinx.writers.latex import LaTeXTranslator

    if node.get(CHART_CAPTION):
        self.body.append(r"\carebookcaptionbegin")
    LaTeXTranslator.visit_caption(self, node)
    short = short_caption(node.astext())
    if self.body and self.body[-1] == r"\caption{" and short:
        self.body[-1] = r"\caption[" + _tex(short) + "]{"


def depart_caption(self, node) -> None:
    """Sphinx's own end of a caption; after a chart's, the end of its Caption and Figure structure elements."""
    from sphinx.writers.latex import LaTeXTranslator

    LaTeXTranslator.depart_caption(self, node)
    if node.get(CHART_CAPTION):
        self.body.append(r"\carebookcaptionend")


def _citation_key(citation) -> str:
    """A citation's identity in the whole book: ids are unique only within their page."""
    return f"{citation.get('docname', '')}:{' '.join(citation['ids'])}"


def _ancestors(node) -> list:
    """`node`'s parent, its parent, and so on up to the document."""
    found = []
    while node.parent is not None:
        node = node.parent
        found.append(node)
    return found


def _table_rows(table, nodes) -> tuple[list[list[str]], set[int]]:
    """The text of each cell of a table, row by row (header included), and which columns hold code."""
    rows, code = [], set()
    for row in table.findall(nodes.row):
        entries = list(row.findall(nodes.entry))
        rows.append([entry.astext() for entry in entries])
        code |= {j for j, entry in enumerate(entries) if next(iter(entry.findall(nodes.literal)), None)}
    return rows, code


def column_widths(rows: list[list[str]], code: set[int] = frozenset(), line: int = 100) -> list[int]:
    """Relative column widths for a table of `rows` (cell texts, header first) on a line of about `line`
    characters of table text: every column at least as wide as its longest word (wider in `code`
    columns, set in a monospaced font), then each further character of width to the column where it
    shortens the table most. Each width includes the column's padding (about 3 characters), as
    Sphinx's \\X{width}{total} does."""
    count = max((len(row) for row in rows), default=0)
    if not count or any(len(row) != count for row in rows):
        return []  # spanning cells: leave the table to Sphinx
    pad, room = 3, line - 3 * count
    least = [1] * count
    for row in rows:
        for j, text in enumerate(row):
            scale = 1.35 if j in code else 1.0  # monospaced letters are wider than the average
            longest = max(len(word) for word in re.split(r"[\s/–-]+", text))
            least[j] = max(least[j], min(math.ceil(longest * scale) + 1, 32))
    lengths = [[len(text) * (1.3 if j in code else 1.0) for j, text in enumerate(row)] for row in rows]
    totals = [sum(row[j] for row in lengths) for j in range(count)]

    def lines(widths: list[int]) -> float:
        """About how many lines the table takes: each row as tall as its fullest cell."""
        return sum(max(math.ceil(n / w) for n, w in zip(row, widths, strict=True)) for row in lengths)

    widths = least[:]
    while sum(widths) < room:

        def gain(j: int) -> tuple[float, float]:
            wider = widths[:j] + [widths[j] + 1] + widths[j + 1 :]
            return (lines(wider), -totals[j] / widths[j])

        widths[min(range(count), key=gain)] += 1
    return [width + pad for width in widths]


# Tagged PDF (LaTeX's tagging project, phase II, as this TeX Live has it): a structure tree that screen
# readers follow. It must come before \documentclass, where Sphinx's template offers no place.
DOCUMENT_METADATA = "\\DocumentMetadata{testphase=phase-II, lang=en-GB}\n"


def tag_document(app, exception) -> None:
    """Put DOCUMENT_METADATA at the head of each .tex the LaTeX builder wrote."""
    if exception is not None:
        return
    for tex in Path(app.outdir).glob("*.tex"):
        text = tex.read_text(encoding="utf-8")
        if not text.startswith(DOCUMENT_METADATA):
            tex.write_text(DOCUMENT_METADATA + text, encoding="utf-8")


def setup(app) -> dict:
    """The print build's Sphinx extension: bibliographies where their directives stand, tables that fit,
    vector charts, a tagged PDF."""
    from docutils import nodes

    app.connect("build-finished", tag_document)
    for transform in _post_transforms():
        app.add_post_transform(transform)
    app.add_node(nodes.caption, override=True, latex=(visit_caption, depart_caption))
    return {"parallel_read_safe": True, "parallel_write_safe": True}
