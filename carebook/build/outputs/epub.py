"""The EPUB edition: Sphinx's EPUB 3 builder on the staged tree, charts as images, a title page that names
the edition, and only the files an e-book holds (no data downloads, chapter sources or print files)."""

from __future__ import annotations

import html
import re
import shutil
from pathlib import Path

import yaml

from carebook.build import reproducible, sphinx
from carebook.build.outputs import Output
from carebook.build.publish import publish_file
from carebook.sphinxext import epub as epub_ext

EPUB_NAME = "joined-up"
TITLE_PAGE = "title.xhtml"
EPUB_CSS = "carebook-epub.css"
# Folders of the staged tree that belong to the web edition only: the CSV downloads and chapter sources.
WEB_ONLY = ("_static/data", "_static/code", "_static/references", "_static/bundles")  # + the run-it-yourself zips
# Scripts and styles of the web edition's interactive charts and cards.
WEB_STATIC = (
    "vega-bundle.js",
    "carebook.js",
    "carebook-editions.js",
    "provenance.js",
    "provenance.css",
    "citecards.css",
)


def title_page(config: dict) -> str:
    """The first page of the e-book: title, authors, the edition (commit and date) and the licence."""
    sphinx_config = config.get("sphinx", {}).get("config", {})
    parts = [config.get("title", ""), config.get("author", ""), f"Edition of {sphinx_config.get('release', '')}."]
    title, author, edition = (html.escape(str(part)) for part in parts)
    licence = html.escape(str(config.get("copyright", "")))
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n<!DOCTYPE html>\n'
        '<html xmlns="http://www.w3.org/1999/xhtml" xml:lang="en-GB" lang="en-GB">\n'
        f'<head><meta charset="utf-8" /><title>{title}</title></head>\n'
        f'<body><section class="titlepage"><h1>{title}</h1><p>{author}</p><p>{edition}</p>'
        f"<p>{licence}</p></section></body>\n</html>\n"
    )


def overrides(target: Path, config: dict) -> dict:
    """Sphinx settings for the EPUB build, on top of the staged _config.yml."""
    release = str(config.get("sphinx", {}).get("config", {}).get("release", ""))
    identifier = "joined-up-" + re.sub(r"[^A-Za-z0-9.]+", "-", release).strip("-")  # an XML name, one per edition
    web_only = [str(p.relative_to(target)) for d in WEB_ONLY for p in sorted((target / d).rglob("*")) if p.is_file()]
    return {
        **sphinx.OUTPUTS_ONLY,  # charts as images: nb_mime_priority_overrides in _config.yml
        "html_css_files": ["carebook.css", EPUB_CSS],
        "epub_basename": EPUB_NAME,
        "epub_title": config.get("title", ""),
        "epub_author": config.get("author", ""),
        "epub_publisher": config.get("author", ""),
        "epub_copyright": config.get("copyright", ""),
        "epub_language": "en-GB",
        "epub_identifier": identifier,
        "epub_uid": identifier,  # the NCX names the book by the same identifier as the package
        "epub_scheme": "URN",
        "epub_pre_files": [(TITLE_PAGE, "Title page")],
        "epub_exclude_files": [
            "index.html",
            *(f"_static/{name}" for name in WEB_STATIC),
            *web_only,
        ],
        "epub_show_urls": "no",
        "extensions": sphinx.extensions_with(target, "carebook.sphinxext.epub"),
    }


def make(root: Path, build: Path, target: Path, force: bool) -> Path:
    """Build .work/epub/joined-up.epub from the staged tree."""
    work = build / ".work"
    out = work / "epub"
    shutil.rmtree(out, ignore_errors=True)  # the EPUB builder packs every file it finds in its folder
    out.mkdir(parents=True)
    config = yaml.safe_load((target / "_config.yml").read_text(encoding="utf-8")) or {}
    (out / TITLE_PAGE).write_text(title_page(config), encoding="utf-8")
    (out / "_static").mkdir()
    (out / "_static" / EPUB_CSS).write_text(epub_ext.STYLESHEET, encoding="utf-8")
    sphinx.build(target, out, work / "doctrees-epub", root, "epub", overrides(target, config))
    reproducible.fix_epub(out / f"{EPUB_NAME}.epub", reproducible.edition_epoch(target))  # dates: the edition's
    return out / f"{EPUB_NAME}.epub"


OUTPUT = Output(
    name="epub",
    product=f"epub/{EPUB_NAME}.epub",
    help="the EPUB edition (charts as SVG)",
    entries=("build/outputs/epub.py", "sphinxext/epub.py", "sphinxext/vector.py"),
    make=make,
    publish=publish_file,
    ignore=("latex/*", *(f"_static/{name}" for name in WEB_STATIC)),  # print styles; web scripts it leaves out
    link="Download the EPUB edition of this book (for e-readers)",
)
