"""The EPUB build's Sphinx extension: pages as strict XHTML that e-readers and epubcheck accept, without the
web edition's downloads (loaded for the EPUB build only, by carebook/build/outputs/epub.py)."""

from __future__ import annotations

import copy
import html
import re
from pathlib import Path

from carebook._compat import mystnb_stylesheet

# A link to a file only the web edition has (a CSV download, a chapter's source): its text stays.
WEB_ONLY_LINK = re.compile(r'<a\b[^>]*\bhref="[^"]*_static/(?:data|code|bundles)/[^"]*"[^>]*>(.*?)</a>', re.S)
# A chapter's closing notes on its source and its run-it-yourself zip: the web edition's files, not the e-book's.
WEB_ONLY_NOTE = re.compile(r'<p class="carebook-computed">.*?</p>\s*', re.S)
# Inline SVG icons (sphinx-design's decorative octicons, hidden from screen readers): an e-book shows none.
ICON = re.compile(r"<svg\b.*?</svg>", re.S)
# Scripts in the body (sphinx-thebe's configuration for live code on the web): an e-book runs none.
SCRIPT = re.compile(r"<script\b.*?</script>", re.S)


def xhtml_body(body: str) -> str:
    """The page body without the web-only notes, web-only links reduced to their text, no inline icons or scripts."""
    return SCRIPT.sub("", ICON.sub("", WEB_ONLY_LINK.sub(r"\1", WEB_ONLY_NOTE.sub("", body))))


def _page_context(app, pagename: str, templatename: str, context: dict, doctree) -> None:
    """Rewrite each page's body, and drop the stylesheet the EPUB lacks, before the EPUB builder writes it."""
    if "body" in context:
        context["body"] = xhtml_body(context["body"])
    context.get("script_files", [])[:] = []  # an e-book runs no scripts
    css_files = context.get("css_files", [])
    css_files[:] = [css for css in css_files if not web_only_stylesheet(str(getattr(css, "filename", css)))]


def web_only_stylesheet(filename: str) -> bool:
    """True for a stylesheet the EPUB leaves out: myst-nb's (see carebook._compat), the source cards'."""
    name = filename.rsplit("/", 1)[-1]
    return mystnb_stylesheet(name) or name in ("provenance.css", "citecards.css")


# The e-book's own stylesheet: the figures' source cards (a hover card on the web) stay in the data page.
# Charts fill the reader's column (their lettering was sized for a column READER_PIXELS wide).
STYLESHEET = (
    ".carebook-card { display: none; }\n"
    "figure { margin: 1em 0; }\n"
    'img[src*="chart-"] { display: block; width: 100%; height: auto; }\n'
)


# A chart in the e-book is drawn as SVG (vector, its lettering text) from its phone layout, or its wide
# layout narrowed to READER_PIXELS, its fonts grown where needed: on a reader READER_PIXELS wide no lettering
# is smaller than MIN_READER_PX.
READER_PIXELS = 360
MIN_READER_PX = 9.0


def reader_chart(chart: dict, outdir: Path) -> str:
    """Draw `chart` for an e-reader into outdir/_images as SVG; returns its file name."""
    from carebook.sphinxext import vector

    narrow = chart["narrow"] and vector.with_title_wrapped(copy.deepcopy(chart["narrow"]), READER_PIXELS - 60)
    base = narrow or vector.narrowed(chart["spec"], READER_PIXELS - 60)
    spec, svg = vector.legible(base, MIN_READER_PX, READER_PIXELS, 1.0)
    name = f"chart-{vector.spec_key(spec)}.svg"
    target = outdir / "_images" / name
    if not target.exists():
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(svg, encoding="utf-8")
    return name


def _charts(app, doctree, docname: str) -> None:
    """Each chart (myst-nb pastes its HTML, which holds its spec) as an SVG image for a reader's width, with its
    alt text."""
    from docutils import nodes

    from carebook.sphinxext import vector

    up = "../" * docname.count("/")
    for node, chart in vector.chart_nodes(doctree):
        uri = f"{up}_images/{reader_chart(chart, Path(app.outdir))}"
        image = nodes.image(uri=uri, alt=chart["alt"], candidates={"*": uri})
        node.replace_self(image)
        image["classes"] = []  # replace_self gives it the HTML output's classes


def navigation(env, root: str, suffix: str) -> list[dict]:
    """The e-book's contents: every page in the order of the table of contents, each with its sections (the
    EPUB builder's own finds none in a Jupyter Book, whose contents are not a toctree on the root page)."""
    from docutils import nodes

    order: list[str] = []

    def visit(doc: str) -> None:
        if doc not in order:
            order.append(doc)
            for child in env.toctree_includes.get(doc, []):
                visit(child)

    visit(root)
    entries = []
    for doc in order[1:]:  # the root page: the builder adds it
        title = env.titles[doc].astext()
        entries.append({"level": 1, "refuri": html.escape(doc + suffix), "text": html.escape(title)})
        toc = env.tocs.get(doc)
        top = next(iter(toc.findall(nodes.list_item)), None) if toc is not None else None
        sections = next((c for c in top.children if isinstance(c, nodes.bullet_list)), None) if top else None
        for item in sections.children if sections is not None else []:
            ref = next(iter(item.findall(nodes.reference)))
            entries.append(
                {"level": 2, "refuri": html.escape(doc + suffix + ref["anchorname"]), "text": html.escape(ref.astext())}
            )
    return entries


def _book_epub() -> type:
    """Sphinx's EPUB 3 builder with the book's contents in its navigation document."""
    from sphinx.builders.epub3 import Epub3Builder

    class BookEpub(Epub3Builder):
        # The navigation document's heading, as the web edition and British books title it ("Table of Contents"
        # is Sphinx's default, its own comment says these titles are not yet localised).
        guide_titles = {**Epub3Builder.guide_titles, "toc": "Contents"}

        def init(self) -> None:
            super().init()
            self.config.epub_tocscope = "includehidden"  # the navigation document lists what get_toc finds

        def get_toc(self) -> None:
            self.refnodes = navigation(self.env, self.config.root_doc, self.out_suffix)
            self.toc_add_files(self.refnodes)

    return BookEpub


def setup(app) -> dict:
    """Register the page hook."""
    app.add_builder(_book_epub(), override=True)
    app.connect("doctree-resolved", _charts)
    app.connect("html-page-context", _page_context, priority=900)  # after the extensions that add files
    return {"parallel_read_safe": True, "parallel_write_safe": True}
