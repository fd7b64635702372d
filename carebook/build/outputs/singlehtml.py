"""The single-page edition: Sphinx's single-page HTML builder on the staged tree, the whole book on one page,
with the web edition's interactive charts (scripts served from its own `_static`, so it reads offline)."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

from carebook.build import sphinx
from carebook.build.outputs import Output
from carebook.build.publish import publish
from carebook.errors import SphinxFailed

ROOT_DOC = "book/index"  # _toc.yml's root
WEB_MATHJAX = re.compile(r'<script[^>]*src="(?:https?:)?//[^"]*mathjax[^"]*"[^>]*></script>\s*')
NO_INDEX = re.compile(r'<script[^>]*src="searchindex\.js"[^>]*></script>\s*')  # the builder writes none


def make(root: Path, build: Path, target: Path, force: bool) -> Path:
    """Build .work/singlehtml from nothing (one page: there is nothing to gain from an incremental build)."""
    work = build / ".work"
    out = work / "singlehtml"
    shutil.rmtree(out, ignore_errors=True)
    shutil.rmtree(work / "doctrees-singlehtml", ignore_errors=True)
    sphinx.build(target, out, work / "doctrees-singlehtml", root, "singlehtml")
    # The builder names the page after the root document (book/index.html) but links its scripts, styles and
    # images from the top folder: the page goes there, in place of jupyter-book's redirect to it.
    (out / f"{ROOT_DOC}.html").replace(out / "index.html")
    offline(out / "index.html")
    return out


def offline(page: Path) -> None:
    """Drop the MathJax script the builder adds to the one page from the web (jupyter-book asks the single page
    for every asset; a book with formulas would need MathJax served from `_static`, so it fails instead), and
    the search index script the theme links but this builder never writes; make chapters' links to their
    downloads point from the top folder."""
    text = page.read_text(encoding="utf-8")
    if 'class="math' in text:
        raise SphinxFailed("the single-page edition has formulas, and no offline MathJax to show them")
    text = NO_INDEX.sub("", WEB_MATHJAX.sub("", text))
    # A chapter's outputs link its downloads from its own folder (book/): the one page is a folder up.
    page.write_text(text.replace('="../_static/', '="_static/'), encoding="utf-8")


OUTPUT = Output(
    name="singlehtml",
    product="singlehtml",
    help="the whole book on one web page (interactive charts, offline)",
    entries=("build/outputs/singlehtml.py",),
    make=make,
    publish=publish,
    ignore=("latex/*",),  # print styles
)
