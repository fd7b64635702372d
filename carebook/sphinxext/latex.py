"""LaTeX for the PDF edition: run latexmk and read its errors; the print build's Sphinx extension."""

from __future__ import annotations

import contextlib
import io
import math
import os
import re
import subprocess
from pathlib import Path

from carebook.build.sphinx import SphinxFailed

LATEX_TIMEOUT = 900  # seconds for the whole latexmk run
BIBLIOGRAPHY_MARKER = "carebook_bibliography"  # attribute of the markers of the print build's transforms
# A chart PNG this many pixels wide spans the PDF's text width: charts.WIDTH (640) plus axes is about
# 700 CSS pixels, drawn at charts.PNG_SCALE (2); its 12 px lettering then prints at about 7.5 pt.
CHART_PIXELS_PER_LINE = 1400


def _chapter_at(tex_lines: list[str], line: int) -> str:
    """The source page (book/x) that a line of the generated .tex belongs to, for error messages."""
    for text in reversed(tex_lines[: max(line, 0)]):
        found = re.search(r"\\label\{\\detokenize\{([^}:]+)::doc\}\}", text)
        if found:
            return found.group(1)
    return ""


def _latex_errors(log: str, tex: Path) -> list[str]:
    """The errors of a failed LaTeX run: each message, its .tex line with context, and the page it came from."""
    tex_lines = tex.read_text(encoding="utf-8", errors="replace").splitlines() if tex.exists() else []
    lines = log.splitlines()
    errors = []
    for i, line in enumerate(lines):
        found = re.match(r"^(?:\./)?([^:\s]+\.(?:tex|sty|cls)):(\d+): (.*)$", line) or re.match(r"^! (.*)$", line)
        if not found:
            continue
        message = found.group(found.lastindex)
        where = ""
        if found.lastindex == 3:
            where = f"{found.group(1)}:{found.group(2)}: "
            chapter = _chapter_at(tex_lines, int(found.group(2))) if found.group(1) == tex.name else ""
            if chapter:
                where = f"{where}(in {chapter}) "
        context = next((c.strip() for c in lines[i + 1 : i + 8] if re.match(r"^l\.\d+ ", c)), "")
        errors.append(f"{where}{message}" + (f"\n    {context}" if context else ""))
    return list(dict.fromkeys(errors))


def latex_problems(log: str, output: str = "") -> list[str]:
    """What a LaTeX run that "succeeded" still got wrong: unresolved references, dropped characters,
    links to nowhere. Each one fails the build, as Sphinx warnings do."""
    problems = []
    for line in log.splitlines():
        if re.match(r"^LaTeX Warning: (Reference|Citation|Hyper reference) .* undefined", line):
            problems.append(f"unresolved reference: {line.removeprefix('LaTeX Warning: ')}")
        elif line.startswith("Missing character: "):
            problems.append(f"a character the fonts lack, dropped from the PDF: {line}")
    for target in sorted(set(re.findall(r"Object @(\S+) used, but not defined", output))):
        problems.append(f"a link to a target that does not exist: {target}")
    return list(dict.fromkeys(problems))


def latex_to_pdf(latex_dir: Path, name: str) -> Path:
    """Run latexmk (XeLaTeX) on the LaTeX build; raise SphinxFailed with the LaTeX errors or problems."""
    tex, pdf, log_file = (latex_dir / f"{name}{suffix}" for suffix in (".tex", ".pdf", ".log"))
    if not tex.exists():
        raise SphinxFailed(f"LaTeX failed: the LaTeX build wrote no {tex.name}")
    command = ["latexmk", "-xelatex", "-interaction=nonstopmode", "-halt-on-error", "-file-line-error", tex.name]
    # Unwrapped log lines, so messages and file names are read whole.
    env = {**os.environ, "max_print_line": "100000", "error_line": "254", "half_error_line": "238"}
    try:
        done = subprocess.run(
            command, cwd=latex_dir, capture_output=True, text=True, errors="replace", env=env, timeout=LATEX_TIMEOUT
        )
    except FileNotFoundError as exc:
        raise SphinxFailed("LaTeX failed: latexmk is not installed; run `scripts/system-deps pdf`") from exc
    except subprocess.TimeoutExpired as exc:
        raise SphinxFailed(f"LaTeX failed: latexmk did not finish in {LATEX_TIMEOUT} s") from exc
    log = log_file.read_text(encoding="utf-8", errors="replace") if log_file.exists() else ""
    output = done.stdout + done.stderr
    if done.returncode or not pdf.exists():
        errors = _latex_errors(log, tex) or [
            line for line in output.splitlines() if line.startswith("!") or "rror" in line
        ]
        detail = "\n".join(errors[:10] or output.splitlines()[-15:])
        raise SphinxFailed(f"LaTeX failed (full log: {log_file}):\n{detail}")
    problems = latex_problems(log, output)
    if problems:
        raise SphinxFailed(f"LaTeX problems (full log: {log_file}):\n" + "\n".join(problems[:20]))
    return pdf


EDITIONS_SCRIPT = "_static/carebook-editions.js"  # tells every web page which other editions exist


def publish_pdf(pdf: Path, html: Path) -> None:
    """Put the PDF edition into the published web edition and tell its pages to link it.

    Only the published site changes (never the staged tree), so HTML builds stay the same with or
    without a PDF; the next HTML build that publishes a new site drops both, until `carebook pdf` runs again.
    """
    script = html / EDITIONS_SCRIPT
    if not script.exists():
        return
    import shutil

    fresh = html / f".{pdf.name}.new"
    shutil.copyfile(pdf, fresh)
    fresh.replace(html / pdf.name)
    text = script.read_text(encoding="utf-8").replace('window.carebookPdf = "";', f'window.carebookPdf = "{pdf.name}";')
    script.write_text(text, encoding="utf-8")


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
    from jupyter_book.config import get_final_config

    with contextlib.redirect_stdout(io.StringIO()):
        config, _ = get_final_config(
            user_yaml=stage / "_config.yml", cli_config={"latex_individualpages": False}, sourcedir=stage
        )
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
        """Give every table columns sized to its content (ragged right, in _static/latex/carebook.sty),
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
            figure.replace_self(
                [
                    nodes.raw("", r"\begin{carebookfiguretable}", format="latex"),
                    *figure.children,
                    nodes.raw("", r"\end{carebookfiguretable}", format="latex"),
                ]
            )

    class ChartsAtOneScale(SphinxPostTransform):
        """Print every chart at the same scale, so their lettering is the same size: a PNG of
        CHART_PIXELS_PER_LINE pixels spans the text width, a narrower one less (LaTeX would otherwise
        blow every chart up, or shrink it, to the full width)."""

        default_priority = 800
        formats = ("latex",)

        def run(self, **kwargs) -> None:
            for image in self.document.findall(nodes.image):
                if "width" in image or "scale" in image:
                    continue
                path = Path(image["uri"])
                pixels = png_width(path if path.is_absolute() else Path(self.env.srcdir) / path)
                if pixels:
                    image["width"] = f"{min(100.0, 100 * pixels / CHART_PIXELS_PER_LINE):.1f}%"

    NO_LONGTABLE = (nodes.table, nodes.Admonition, nodes.sidebar, nodes.topic, nodes.footnote, nodes.list_item)
    return MarkBibliographies, NoteCitations, BibliographiesInPlace, TablesForPrint, ChartsAtOneScale


def png_width(path: Path) -> int | None:
    """The width in pixels of a PNG file (from its header), or None if `path` is not a readable PNG."""
    try:
        with path.open("rb") as handle:
            head = handle.read(24)
    except OSError:
        return None
    if len(head) < 24 or head[:8] != b"\x89PNG\r\n\x1a\n" or head[12:16] != b"IHDR":
        return None
    return int.from_bytes(head[16:20], "big")


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


def setup(app) -> dict:
    """The print build's Sphinx extension: bibliographies where their directives stand, tables that fit."""
    for transform in _post_transforms():
        app.add_post_transform(transform)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
