"""Citations that preview, and a line saying how to cite each chapter (web and e-book editions).

Each in-text citation becomes the same card as a glued figure's (see `figurelinks`): the link keeps its
place and target (the entry in the chapter's references) and gains `aria-describedby` naming a card with the
full reference and, where `data/sources.csv` records them, the words seen on the source. `_static/provenance.js`
shows it on hover, keyboard focus and tap, as it does for figures. Print keeps plain author-date citations.
"""

from __future__ import annotations

import csv
import html
from pathlib import Path

import yaml
from docutils import nodes

from carebook.sphinxext.bibliography import LABEL_FIELD, author_text

SOURCES_CSV = Path("_static") / "data" / "sources.csv"  # the reader's copy of data/sources.csv, staged
CITATION_FILE = "CITATION.cff"
CITE_CLASS = "carebook-cite-this"


class citation_card(nodes.Inline, nodes.TextElement):  # noqa: N801 (docutils names nodes in lower case)
    """An in-text citation's link (`refuri`) with its card (`card`: the inside of the card, as HTML)."""


def card_html(reference: str, quote: str) -> str:
    """The inside of a citation's card: the full reference, the words seen on the source, where to go next."""
    parts = [f'<span class="carebook-card-what">{html.escape(reference)}</span>']
    if quote:
        parts.append(
            '<span class="carebook-card-line carebook-card-quote"><span class="carebook-card-label">'
            f"Words seen on it:</span> “{html.escape(quote)}”</span>"
        )
    parts.append('<span class="carebook-card-more">Follow the citation to the list of references.</span>')
    return "".join(parts)


def quotes_by_label(srcdir: Path) -> dict[str, str]:
    """Each source's quoted words, by its citation label ('NAO (2018a)'), from the staged sources table."""
    path = srcdir / SOURCES_CSV
    if not path.exists():
        return {}
    with open(path, encoding="utf-8", newline="") as handle:
        return {row["citation"]: row.get("quote") or "" for row in csv.DictReader(handle)}


def _label(entry) -> str:
    """The entry's citation label as the sources table gives it: 'Keeble et al. (2019)'."""
    return f"{author_text(entry)} ({entry.fields.get(LABEL_FIELD, 'n.d.')})"


def add_cards(app, doctree: nodes.document, docname: str) -> None:
    """Give every resolved citation link on an HTML page its card."""
    if app.builder.format != "html":
        return
    domain = app.env.get_domain("cite")
    by_id = {citation.citation_id: citation.entry for citation in domain.citations}
    quotes = quotes_by_label(Path(app.srcdir))
    count = 0
    for group in list(doctree.findall(nodes.inline)):
        if "bibtex-citation" not in group.get("classes", []):
            continue
        for link in list(group.findall(nodes.reference)):
            href = f"#{link['refid']}" if link.get("refid") else link.get("refuri", "")  # refid: on this page
            entry = by_id.get(href.rpartition("#")[2])
            if entry is None:
                continue
            count += 1
            reference = link.get("reftitle") or _label(entry)
            card = citation_card(
                link.astext(),
                link.astext(),
                refuri=href,
                card_id=f"carebook-cite-{count}",
                card=card_html(reference, quotes.get(_label(entry), "")),
            )
            link.replace_self(card)


def visit_card_html(self, node: citation_card) -> None:
    """The citation's link, named as described by its card, then the card (shown by provenance.js)."""
    card_id = node["card_id"]
    self.body.append(
        f'<span class="carebook-fig-wrap carebook-cite-wrap" data-kind="citation">'
        f'<a class="reference internal carebook-fig carebook-cite" href="{html.escape(node["refuri"])}" '
        f'aria-describedby="{card_id}">{html.escape(node.astext())}</a>'
        f'<span class="carebook-card" role="tooltip" id="{card_id}">{node["card"]}</span></span>'
    )
    raise nodes.SkipNode


# --- Cite this chapter -------------------------------------------------------------------------


def book_citation(srcdir: Path) -> dict:
    """Authors and title from CITATION.cff (staged beside the pages)."""
    path = srcdir / CITATION_FILE
    data = yaml.safe_load(path.read_text(encoding="utf-8")) if path.exists() else {}
    authors = [
        a.get("name") or " ".join(filter(None, [a.get("given-names"), a.get("family-names")]))
        for a in data.get("authors", [])
    ]
    return {"authors": " and ".join(a for a in authors if a), "title": data.get("title", "")}


def cite_line(book: dict, chapter: str, edition_date: str, release: str) -> str:
    """'The Joined Up authors (2026). "History". In Joined Up? ... Edition of 2026-12-07, commit 0123abcd.'"""
    year = edition_date[:4]
    return f"{book['authors']} ({year}). “{chapter}”. In {book['title']}. Edition of {release}."


def add_cite_line(app, doctree: nodes.document, docname: str) -> None:
    """End each chapter (an executed notebook other than the home page) of the web and e-book editions with
    how to cite it."""
    if app.builder.format != "html" or docname == app.config.root_doc:
        return
    if not str(app.env.doc2path(docname)).endswith(".ipynb"):
        return
    section = next(iter(doctree.findall(nodes.section)), None)
    book = book_citation(Path(app.srcdir))
    if section is None or not book["title"]:
        return
    title = section.next_node(nodes.title).astext()
    text = cite_line(book, title, str(app.config.version), str(app.config.release))
    para = nodes.paragraph(classes=[CITE_CLASS])
    para += nodes.strong("Cite this chapter: ", "Cite this chapter: ")
    para += nodes.Text(text)
    section += para


def setup(app) -> dict:
    """Cards for citations and the cite-this-chapter line, in the HTML-format builders only."""
    app.add_node(citation_card, html=(visit_card_html, None))
    app.connect("doctree-resolved", add_cards)
    app.connect("doctree-resolved", add_cite_line)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
