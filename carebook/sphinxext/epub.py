"""The EPUB build's Sphinx extension: pages as strict XHTML that e-readers and epubcheck accept, without the
web edition's downloads (loaded for the EPUB build only, by carebook/build/outputs/epub.py)."""

from __future__ import annotations

import base64
import hashlib
import json
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
STYLESHEET = ".carebook-card { display: none; }\n"


def chart_alt_texts(notebook: Path) -> dict[str, str]:
    """Each chart image of an executed chapter (named, as myst-nb names it, by the sha256 of its PNG) and its
    alt text (the chart's text/plain), so that the e-book's images say what they show, as the web's do."""
    found = {}
    for cell in json.loads(notebook.read_text(encoding="utf-8")).get("cells", []):
        for output in cell.get("outputs", []):
            data = {
                key.rsplit("/", 2)[-2] + "/" + key.rsplit("/", 1)[-1]: v for key, v in output.get("data", {}).items()
            }
            if "image/png" in data and isinstance(data.get("text/plain"), str | list):
                png = base64.b64decode("".join(data["image/png"]))
                found[hashlib.sha256(png).hexdigest()] = "".join(data["text/plain"])
    return found


def _alt_texts(app, doctree, docname: str) -> None:
    """Give each chart image its alt text (myst-nb pastes a glued image with its file name as alt)."""
    from docutils import nodes

    source = Path(app.env.doc2path(docname))
    if source.suffix != ".ipynb":
        return
    alts = chart_alt_texts(source)
    for image in doctree.findall(nodes.image):
        stem = Path(str(image.get("uri", ""))).stem
        if stem in alts:
            image["alt"] = alts[stem]


def setup(app) -> dict:
    """Register the page hook."""
    app.connect("doctree-resolved", _alt_texts)
    app.connect("html-page-context", _page_context, priority=900)  # after the extensions that add files
    return {"parallel_read_safe": True, "parallel_write_safe": True}
