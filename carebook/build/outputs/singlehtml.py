"""The single-page edition: Sphinx's single-page HTML builder on the staged tree, the whole book on one page,
with the web edition's interactive charts (scripts served from its own `_static`, so it reads offline)."""

from __future__ import annotations

import html
import shutil
from pathlib import Path

from carebook.build import sphinx
from carebook.build.outputs import Output
from carebook.build.publish import publish


def redirect(page: str) -> str:
    """A top-level index.html that opens the book's page (the builder names it after the root document)."""
    target = html.escape(page)
    return (
        '<!DOCTYPE html>\n<html lang="en-GB"><head><meta charset="utf-8">'
        f'<meta http-equiv="refresh" content="0; url={target}"><title>Joined Up?</title></head>'
        f'<body><p><a href="{target}">Open the book</a></p></body></html>\n'
    )


def make(root: Path, build: Path, target: Path, force: bool) -> Path:
    """Build .work/singlehtml from nothing (one page: there is nothing to gain from an incremental build)."""
    work = build / ".work"
    out = work / "singlehtml"
    shutil.rmtree(out, ignore_errors=True)
    shutil.rmtree(work / "doctrees-singlehtml", ignore_errors=True)
    sphinx.build(target, out, work / "doctrees-singlehtml", root, "singlehtml")
    page = next(out.rglob("index.html")).relative_to(out).as_posix()
    if page != "index.html":
        (out / "index.html").write_text(redirect(page), encoding="utf-8")
    return out


OUTPUT = Output(
    name="singlehtml",
    product="singlehtml",
    help="the whole book on one web page (interactive charts, offline)",
    entries=("build/outputs/singlehtml.py",),
    make=make,
    publish=publish,
    ignore=("latex/*",),  # print styles
)
