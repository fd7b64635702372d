"""An in-process Sphinx build of a few pages with the book's extensions (in the spirit of MyST-NB's `sphinx_run`
fixture): fast enough for the unit loop, and it shows what each extension puts on a page."""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path

EXTENSIONS = [
    "myst_nb",
    "sphinxcontrib.bibtex",
    "carebook.sphinxext.html",
    "carebook.sphinxext.figurelinks",
    "carebook.sphinxext.bibliography",
]
CONFIG = {
    "extensions": EXTENSIONS,
    "bibtex_bibfiles": ["references.bib"],
    "bibtex_reference_style": "carebook",
    "bibtex_default_style": "carebook",
    "myst_enable_extensions": ["colon_fence", "deflist"],
    "nb_execution_mode": "off",
    "root_doc": "index",
    "latex_documents": [("index", "book.tex", "Book", "Author", "manual")],
}


@dataclass
class Built:
    """A finished build: where it wrote, and what it warned."""

    app: object
    outdir: Path
    warnings: str

    def page(self, name: str) -> str:
        """A written page (name.html, or the .tex of a LaTeX build)."""
        return (self.outdir / name).read_text(encoding="utf-8")


def glued_notebook(markdown: str, glue: dict[str, str]) -> dict:
    """An executed notebook as the build stages it: one Markdown cell, and a code cell whose outputs glue each
    name to its Markdown (as `carebook.prose.glue` does, through myst-nb)."""
    prefix = "application/papermill.record/"
    outputs = [
        {
            "output_type": "display_data",
            "metadata": {"scrapbook": {"name": name, "mime_prefix": prefix}},
            "data": {f"{prefix}text/markdown": text, f"{prefix}text/plain": repr(text)},
        }
        for name, text in glue.items()
    ]
    cells = [
        {"cell_type": "markdown", "id": "prose", "metadata": {}, "source": markdown},
        {
            "cell_type": "code",
            "id": "glue",
            "metadata": {"tags": ["remove-input"]},
            "execution_count": 1,
            "source": "",
            "outputs": outputs,
        },
    ]
    kernel = {"name": "python3", "display_name": "Python 3", "language": "python"}
    return {"cells": cells, "metadata": {"kernelspec": kernel}, "nbformat": 4, "nbformat_minor": 5}


def sphinx_build(srcdir: Path, pages: dict, builder: str = "html", bib: str = "", **config) -> Built:
    """Write `pages` (name -> MyST Markdown, or a notebook as a dict) and references.bib into `srcdir` and build
    them in this process."""
    import json

    from sphinx.testing.util import SphinxTestApp

    srcdir.mkdir(parents=True, exist_ok=True)
    for name, page in pages.items():
        path, text = (
            (srcdir / f"{name}.ipynb", json.dumps(page)) if isinstance(page, dict) else (srcdir / f"{name}.md", page)
        )
        if not path.exists() or path.read_text(encoding="utf-8") != text:  # a page kept as it was is not read again
            path.write_text(text, encoding="utf-8")
    (srcdir / "references.bib").write_text(bib, encoding="utf-8")
    (srcdir / "conf.py").write_text("", encoding="utf-8")
    extensions = [*EXTENSIONS, *config.pop("extra_extensions", [])]
    warnings = io.StringIO()
    app = SphinxTestApp(
        builder,
        srcdir=srcdir,
        confoverrides={**CONFIG, "extensions": extensions, **config},
        status=io.StringIO(),
        warning=warnings,
    )
    try:
        app.build()
    finally:
        app.cleanup()
    return Built(app, Path(app.outdir), warnings.getvalue())
