"""The EPUB build's Sphinx extension: pages as strict XHTML that e-readers and epubcheck accept, without the
web edition's downloads (loaded for the EPUB build only, by carebook/build/outputs/epub.py)."""

from __future__ import annotations

import re

from carebook._compat import mystnb_stylesheet

# A link to a file only the web edition has (a CSV download, a chapter's source): its text stays.
WEB_ONLY_LINK = re.compile(r'<a\b[^>]*\bhref="[^"]*_static/(?:data|code)/[^"]*"[^>]*>(.*?)</a>', re.S)
# Inline SVG icons (sphinx-design's decorative octicons, hidden from screen readers): an e-book shows none.
ICON = re.compile(r"<svg\b.*?</svg>", re.S)
# Scripts in the body (sphinx-thebe's configuration for live code on the web): an e-book runs none.
SCRIPT = re.compile(r"<script\b.*?</script>", re.S)


def xhtml_body(body: str) -> str:
    """The page body with web-only links reduced to their text, and no inline icons or scripts."""
    return SCRIPT.sub("", ICON.sub("", WEB_ONLY_LINK.sub(r"\1", body)))


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
    return mystnb_stylesheet(name) or name == "provenance.css"


# The e-book's own stylesheet: the figures' source cards (a hover card on the web) stay in the data page.
STYLESHEET = ".carebook-card { display: none; }\n"


def setup(app) -> dict:
    """Register the page hook."""
    app.connect("html-page-context", _page_context, priority=900)  # after the extensions that add files
    return {"parallel_read_safe": True, "parallel_write_safe": True}
