"""A Sphinx extension showing where each glued figure comes from.

`{glue:md}` pastes a figure as a link whose address holds its provenance record (see
`carebook.provenance`). On the web the figure becomes a link to its row on the data page, with a card
(role=tooltip, shown on hover, focus and tap by `_static/provenance.js`) giving the source as cited, the
locator, the source's words and the basis. In print the figure is plain text, and each chapter ends with
a table of the sources of its figures.
"""

from __future__ import annotations

import html

from docutils import nodes

from carebook import markup, provenance

DATA_PAGE = "book/data"
SOURCES_TITLE = "Sources of the figures in this chapter"


class figure_link(nodes.Inline, nodes.TextElement):  # noqa: N801 (docutils names nodes in lower case)
    """A glued figure with its provenance record (`record`)."""


def _figure_transform() -> type:
    """The transform turning each pasted figure (a link to its record, see provenance.markdown) into a node."""
    from sphinx import addnodes
    from sphinx.transforms import SphinxTransform

    class PastedFigures(SphinxTransform):
        """Replace each `carebook-figure:` link that {glue:md} pasted by a figure_link carrying its record."""

        default_priority = 200

        def apply(self, **kwargs) -> None:
            for node in list(self.document.findall(lambda n: isinstance(n, nodes.reference | addnodes.pending_xref))):
                address = node.get("refuri") or node.get("reftarget") or ""
                record = provenance.decode(address)
                if record is not None:
                    node.replace_self(figure_link(record["text"], record["text"], record=record))

    return PastedFigures


# --- HTML -------------------------------------------------------------------------------------------


def _line(label: str, text: str, extra: str = "") -> str:
    """One labelled line of a card, escaped."""
    return (
        f'<span class="carebook-card-line{extra}"><span class="carebook-card-label">{html.escape(label)}</span> '
        f"{html.escape(text)}</span>"
    )


QUOTE_CHARS = 320  # a longer quotation is cut, at a word, in cards
PRINT_QUOTE_CHARS = 160  # and in the print list of figure sources, which a reader pages through


def whole_or_cut(text: str, limit: int = QUOTE_CHARS) -> str:
    """`text` whole, or cut at a word (see carebook.markup.whole_or_cut)."""
    return markup.whole_or_cut(text, limit)


LOCATOR_CHARS = 160  # a longer locator (a section heading, say) is cut at a word


def cited(row: dict) -> str:
    """A row's source as cited with its locator whole or cut at a word, without the quotation a locator holds
    (the row's `quote`, shown once, whole)."""
    if "citation" not in row:  # a record from before citations and locators were kept apart
        return row["source"].split(', quote: "', 1)[0] if row["quote"] else row["source"]
    if row["quote"] or not row["locator"]:
        return row["citation"]
    return f"{row['citation']}, {whole_or_cut(row['locator'], LOCATOR_CHARS)}"


def _row_html(row: dict, with_figure: bool) -> str:
    """A data row in a card: what it states, its source as cited, its words (one quotation), its basis."""
    what = f"{row['what']}: {row['figure']}" if with_figure and row["figure"] else row["what"]
    parts = [f'<span class="carebook-card-what">{html.escape(what)}</span>', _line("Source:", cited(row))]
    if row["quote"]:
        parts.append(_line("In its words:", f"“{whole_or_cut(row['quote'])}”", " carebook-card-quote"))
    if row["basis"]:
        parts.append(_line("Cash or real terms:", row["basis"]))
    return "".join(parts)


def card_html(record: dict) -> str:
    """The inside of a figure's card."""
    kind = record["kind"]
    if kind == "row":
        body = _row_html(record["rows"][0], with_figure=False)
        more = "Follow the figure to its row in the book's data."
    elif kind == "computed":
        rows = record["rows"]
        head = "From this row of the book's data:" if len(rows) == 1 else "Computed from these rows of the book's data:"
        body = f'<span class="carebook-card-head">{head}</span>' + "".join(
            f'<span class="carebook-card-row">{_row_html(row, with_figure=True)}</span>' for row in rows
        )
        more = "Follow the figure to the first of these rows in the book's data."
    else:
        count = record["count"]
        body = (
            f'<span class="carebook-card-head">A count of rows of the book\'s data: '
            f"{html.escape(count['label'])} ({count['rows']} rows).</span>"
        )
        more = "Follow the figure to the table's rows, each with its source."
    return body + f'<span class="carebook-card-more">{html.escape(more)}</span>'


def target(record: dict) -> str:
    """The id on the data page that a figure links to."""
    if record["kind"] == "count":
        return record["count"]["anchor"]
    return record["rows"][0]["anchor"]


def visit_figure_html(self, node: figure_link) -> None:
    """Open the figure's link (to its row on the data page, when the book has one)."""
    self.carebook_figures = getattr(self, "carebook_figures", 0) + 1
    card_id = f"carebook-card-{self.carebook_figures}"
    node["card_id"] = card_id
    record = node["record"]
    data_page = self.config.carebook_data_page
    kind = html.escape(record["kind"])
    name = html.escape(record["name"])
    self.body.append(f'<span class="carebook-fig-wrap" data-glue="{name}" data-kind="{kind}">')
    node["tag"] = "a" if data_page in self.builder.env.all_docs else "span"
    if node["tag"] == "a":
        page = self.builder.get_relative_uri(self.builder.current_docname, data_page)
        uri = page.partition("#")[0] + "#" + target(record)  # one page for the whole book: its anchor alone
        self.body.append(f'<a class="carebook-fig" href="{html.escape(uri)}" aria-describedby="{card_id}">')
    else:
        self.body.append(f'<span class="carebook-fig" tabindex="0" aria-describedby="{card_id}">')


def card(card_id: str, body: str) -> str:
    """A card holding `body` (HTML, escaped) for the link or focusable element just before it: both inside a
    `span.carebook-fig-wrap`, the element of class `carebook-fig` with aria-describedby=`card_id`. Shown on
    hover, focus and tap and kept inside the screen by `_static/provenance.js` (any card may reuse it)."""
    return f'<span class="carebook-card" role="tooltip" id="{html.escape(card_id)}">{body}</span>'


def depart_figure_html(self, node: figure_link) -> None:
    """Close the link and add its card."""
    self.body.append(f"</{node['tag']}>{card(node['card_id'], card_html(node['record']))}</span>")


def _pass(self, node) -> None:
    """Print and other formats: the figure's text only."""


# --- Print: the sources of each chapter's figures -----------------------------------------------


def _tex(text: str) -> str:
    """Plain text escaped for XeLaTeX."""
    from sphinx.util.texescape import escape

    return escape(text, "xelatex")


WIDE = 4  # a figure computed from more rows than this (a chart's span of years, say) is listed once, on its own


def _figures(texts: list[str]) -> str:
    """Figures as printed, each in bold (latex/carebook.sty's \\carebookfig), joined by commas; a glued sentence
    without its full stop (the list punctuates)."""
    return ", ".join(r"\carebookfig{" + _tex(text.removesuffix(".")) + "}" for text in texts)


def _citation(row: dict) -> str:
    """A row's source as cited, without its locator."""
    return row.get("citation") or cited(row)


Words = tuple[str, str]  # what a row rests on in its source: ("quote", its words), ("locator", a place) or ("", "")


def _words(row: dict) -> Words:
    """The words of its source a row rests on: its quotation, else its locator (kept apart from its citation)."""
    if row["quote"]:
        return ("quote", row["quote"])
    return ("locator", row["locator"]) if "citation" in row and row["locator"] else ("", "")


def _by_source(records: list[dict]) -> dict[str, dict[Words, dict[str, list[str]]]]:
    """The rows behind `records` by source as cited (in order of first use) and, within a source, by the words
    they rest on; for each, what its rows state and the figures resting on them (none for a WIDE figure's
    rows: that figure is listed on its own)."""
    sources: dict[str, dict[Words, dict[str, list[str]]]] = {}
    for record in records:
        rows = record.get("rows", [])
        for row in rows:
            figures = sources.setdefault(_citation(row), {}).setdefault(_words(row), {}).setdefault(row["what"], [])
            if len(rows) <= WIDE and record["text"] not in figures:
                figures.append(record["text"])
    return sources


def _source_line(citation: str, groups: dict[Words, dict[str, list[str]]]) -> str:
    """One source in the print list: its citation, then the figures resting on each of its rows, and once the
    source's words (whole, or cut at a word) or the place in it; what a row states comes before its words
    only where they do not speak for a figure (a chart's rows, a locator)."""
    items = []
    for (kind, words), rows in groups.items():
        if kind == "quote" and all(rows.values()):  # the source's words say what the figures are
            item = _figures(list(dict.fromkeys(f for figures in rows.values() for f in figures)))
        else:
            item = "; ".join(f"{_figures(figures)} {_tex(what)}".strip() for what, figures in rows.items())
        if kind == "quote":
            item += ": “" + _tex(whole_or_cut(words, PRINT_QUOTE_CHARS)) + "”"
        elif words:
            item += " (" + _tex(whole_or_cut(words, LOCATOR_CHARS)) + ")"
        items.append(item)
    return r"\carebooksource{" + _tex(citation) + "}{" + r"\carebookitemsep ".join(items) + "}"


def _wide_line(record: dict, also: list[str]) -> str:
    """A figure computed from many rows (and the `also` figures computed from the same rows): the sources of
    its rows, each listed above with what its rows state."""
    sources = list(dict.fromkeys(_citation(row) for row in record["rows"]))
    what = f"Computed from {len(record['rows'])} rows, listed above under their sources: " + "; ".join(sources)
    return r"\carebooksource{" + _figures([record["text"], *also]) + "}{" + _tex(what) + "}"


def _counts_line(records: list[dict]) -> str:
    """The figures that count rows of the book's data, by the table they count."""
    tables: dict[str, list[str]] = {}
    for record in records:
        figures = tables.setdefault(record["count"]["label"], [])
        if record["text"] not in figures:
            figures.append(record["text"])
    items = [f"{_figures(figures)} {_tex(label)}" for label, figures in tables.items()]
    return r"\carebooksource{Counts of rows, each naming its source}{" + r"\carebookitemsep ".join(items) + "}"


def sources_list(records: list[dict]) -> str:
    """The LaTeX of a chapter's list of figure sources: one paragraph per source, in order of first use, naming
    the figures that rest on it; a figure computed from many rows and the figures counting rows come after
    (latex/carebook.sty sets the list small, in two columns)."""
    lines = [_source_line(citation, groups) for citation, groups in _by_source(records).items()]
    wide: dict[tuple[str, ...], list[dict]] = {}
    for record in records:
        if len(record.get("rows", [])) > WIDE:
            wide.setdefault(tuple(row["key"] for row in record["rows"]), []).append(record)
    lines += [_wide_line(same[0], [r["text"] for r in same[1:]]) for same in wide.values()]
    counts = [record for record in records if record["kind"] == "count"]
    if counts:
        lines.append(_counts_line(counts))
    return "\\begin{carebookfiguresources}\n" + "\n".join(lines) + "\n\\end{carebookfiguresources}\n"


def _post_transforms() -> tuple[type, ...]:
    """The print build's transform (defined here so Sphinx is imported only when used)."""
    from sphinx import addnodes
    from sphinx.transforms.post_transforms import SphinxPostTransform

    class FigureSourcesForPrint(SphinxPostTransform):
        """End each chapter of the PDF with a table of its figures' sources, from their provenance records
        (before carebook.sphinxext.latex fits the book's tables, at 800)."""

        default_priority = 790

        def is_supported(self) -> bool:
            """Only for the print formats (`carebook_print_formats`)."""
            return self.app.builder.format in self.config.carebook_print_formats

        def run(self, **kwargs) -> None:
            # Each chapter (a page inlined from the table of contents); the home page opens the book, as its
            # introduction, and gets none (the LaTeX build would make its last section a part of the book).
            for page in list(self.document.findall(addnodes.start_of_file)):
                chapter = next((c for c in page.children if isinstance(c, nodes.section)), None)
                if chapter is None:
                    continue
                records = {}
                for link in _own_figures(chapter, addnodes.start_of_file):
                    records.setdefault(link["record"]["name"], link["record"])
                if records:
                    chapter += self.sources_section(page.get("docname", "index"), list(records.values()))

        def sources_section(self, docname: str, records: list[dict]) -> nodes.section:
            """A section titled SOURCES_TITLE with one entry per figure."""
            section = nodes.section(ids=[f"figure-sources-{docname.replace('/', '-')}"])
            section += nodes.title(SOURCES_TITLE, SOURCES_TITLE)
            section += nodes.raw("", sources_list(records), format="latex")
            return section

    return (FigureSourcesForPrint,)


def _own_figures(node: nodes.Element, nested: type) -> list[figure_link]:
    """The figure links under `node`, in order, leaving out those inside a `nested` page (a start_of_file)."""
    found = []
    for child in node.children:
        if isinstance(child, figure_link):
            found.append(child)
        elif isinstance(child, nodes.Element) and not isinstance(child, nested):
            found += _own_figures(child, nested)
    return found


PRINT_TAG = "carebook_print"  # `{only} carebook_print`: text for the print formats alone


def tag_print(app) -> None:
    """Set PRINT_TAG for the print formats (`carebook_print_formats`), so pages say print-only text once."""
    if app.builder.format in app.config.carebook_print_formats:
        app.tags.add(PRINT_TAG)


def text_for_other_builders(app) -> None:
    """Any builder without its own form of the figure (a new edition's, text, man): the figure's text only."""
    handlers = app.registry.translation_handlers
    if not any(figure_link.__name__ in handlers.get(key, {}) for key in (app.builder.name, app.builder.format)):
        app.registry.add_translation_handlers(figure_link, **{app.builder.name: (_pass, _pass)})


def setup(app) -> dict:
    """Register the transform, the node's HTML and print forms, and the print table of figure sources."""
    app.add_config_value("carebook_data_page", DATA_PAGE, "env")
    # The formats that get print content (the table of each chapter's figure sources); LaTeX, the PDF's.
    app.add_config_value("carebook_print_formats", ("latex",), "env")
    app.add_transform(_figure_transform())
    app.add_node(figure_link, html=(visit_figure_html, depart_figure_html), latex=(_pass, _pass))
    app.connect("builder-inited", text_for_other_builders)
    app.connect("builder-inited", tag_print)
    for transform in _post_transforms():
        app.add_post_transform(transform)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
