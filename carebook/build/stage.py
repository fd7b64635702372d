"""Assemble the tree jupyter-book builds: config, pages, executed chapters, static files, data.

Files are written only when their content changes, so Sphinx re-reads only what changed.
"""

from __future__ import annotations

import functools
import json
import os
import shutil
from pathlib import Path

import yaml

from carebook.build import bundles, stamp, warm
from carebook.build.atomic import write_atomic
from carebook.build.edition import Edition
from carebook.build.sourcepage import source_page
from carebook.build.toc import pages, title
from carebook.errors import load_yaml, read_text

HIDDEN_TAGS = ("remove-cell", "remove-input", "hide-input", "hide-cell", "show-input")
VOLATILE_METADATA = ("papermill", "execution")
PRINT_TOC = "_toc-print.yml"  # the PDF's table of contents: web-only pages left out
WEB_ONLY_PAGES = ("book/changes",)  # the PDF prints the list of changes in its front matter instead
REPOSITORY_ENV = "CAREBOOK_REPOSITORY_URL"  # the book's repository, when _config.yml names none (launch buttons)
CODE_DIR = "_static/code"  # each chapter's source, linked from its page ("How this page was computed")


def write_if_changed(path: Path, content: bytes) -> bool:
    """Write `content` to `path` unless it already holds it; True if written."""
    if path.exists() and path.read_bytes() == content:
        return False
    write_atomic(path, content)
    return True


def computed_link(slug: str) -> dict:
    """A Markdown cell, web edition only, linking the chapter's source: the code behind every figure."""
    text = (
        "```{only} html and not singlehtml\n"  # the single page has no chapter pages to link from
        f'<p class="carebook-computed"><a href="../{CODE_DIR}/{slug}.html">How this page was computed</a>: '
        "the chapter's notebook, with the code that reads the book's data tables and computes every figure "
        "and number on this page.</p>\n"
        f'<p class="carebook-computed"><a href="../{bundles.BUNDLE_DIR}/{slug}.zip" download>Run it yourself</a>: '
        "this chapter as a Jupyter notebook, with the data it reads, the code it calls and the package versions "
        "it was built with, in one zip file that runs on its own (its README says how).</p>\n"
        "```"
    )
    return {"cell_type": "markdown", "id": "carebook-computed", "metadata": {}, "source": text}


def reader_notebook(executed: Path, slug: str = "") -> bytes:
    """An executed notebook as readers get it: code removed (outputs kept), parameters cells removed,
    run-time metadata removed, and with `slug` a link to the chapter's source at the end."""
    nb = json.loads(executed.read_text(encoding="utf-8"))
    for key in VOLATILE_METADATA:
        nb["metadata"].pop(key, None)
    for cell in nb["cells"]:
        for key in VOLATILE_METADATA:
            cell.get("metadata", {}).pop(key, None)
        if cell["cell_type"] == "code":
            tags = cell["metadata"].setdefault("tags", [])
            if {"parameters", "injected-parameters"} & set(tags):
                tags.append("remove-cell")
            elif not any(tag in HIDDEN_TAGS for tag in tags):
                tags.append("remove-input")
    if slug:
        nb["cells"].append(computed_link(slug))
    return (json.dumps(nb, indent=1, sort_keys=True, ensure_ascii=False) + "\n").encode()


def print_toc(toc: dict) -> dict:
    """The table of contents without the web-only pages."""

    def keep(entries: list) -> list:
        kept = []
        for entry in entries:
            if entry.get("file", "").removesuffix(".md") in WEB_ONLY_PAGES:
                continue
            kept.append(
                {
                    key: keep(value) if key in ("parts", "chapters", "sections") else value
                    for key, value in entry.items()
                }
            )
        return kept

    return {key: keep(value) if key in ("parts", "chapters") else value for key, value in toc.items()}


def launch(conf: dict, repository: str) -> None:
    """Launch buttons only with a repository to launch from: `repository.url`, else `repository` (the publishing
    workflow's); without one, no launch links (the theme cannot build them)."""
    if repository and not conf.get("repository", {}).get("url"):
        conf.setdefault("repository", {})["url"] = repository
    if not conf.get("repository", {}).get("url"):
        conf.pop("launch_buttons", None)


def config(root: Path, edition: Edition, front_matter: str = "") -> bytes:
    """The root _config.yml with the edition (commit and date) and the launch settings filled in, and
    `front_matter` (LaTeX) put before the PDF's contents."""
    conf = load_yaml(read_text(root / "_config.yml", root), "_config.yml") or {}
    launch(conf, os.environ.get(REPOSITORY_ENV, ""))
    sphinx = conf.setdefault("sphinx", {}).setdefault("config", {})
    if front_matter:
        elements = sphinx.setdefault("latex_elements", {})
        elements["tableofcontents"] = front_matter + elements.get("tableofcontents", r"\sphinxtableofcontents")
    sphinx["release"] = edition.label
    sphinx["version"] = edition.date
    sphinx["today"] = edition.date
    conf.setdefault("html", {})["extra_footer"] = (
        conf.get("html", {}).get("extra_footer", "") + f" Edition of {edition.label}."
    ).strip()
    return yaml.safe_dump(conf, sort_keys=True, allow_unicode=True).encode()


STEP = stamp.Step("stage", ("build/stage.py",))  # staging's code: part of the key of every value it keeps


def stage(
    root: Path,
    build: Path,
    target: Path,
    edition: Edition,
    vega_bundle: bytes,
    variant: dict | None = None,
    force: bool = False,
) -> int:
    """Fill `target` with everything the book build needs (`variant`: a `-p` build's parameters); returns how
    many files changed. Values made from files alone (the data page, the citations, the reference downloads) are
    kept between builds while those files and staging's code are unchanged (`warm.by_content`); `force` makes
    them again."""
    store = build / "cache" / "staged"
    if force:
        shutil.rmtree(store, ignore_errors=True)
    with warm.stored_in(store, STEP.environment(root)):
        return _stage(root, build, target, edition, vega_bundle, variant)


def _stage(root: Path, build: Path, target: Path, edition: Edition, vega_bundle: bytes, variant: dict | None) -> int:
    """`stage`'s work."""
    from carebook.build import bibexport, changes, downloads, generated  # here: `carebook --help` needs none

    executed = build / "executed"
    edits = changes.compare(root, executed, variant)  # what changed since the earlier edition (or: a variant)
    toc = load_yaml(read_text(root / "_toc.yml", root), "_toc.yml")
    wanted: dict[Path, bytes] = {
        target / "_config.yml": config(root, edition, changes.latex(edits, edition.date)),
        target / "_toc.yml": (root / "_toc.yml").read_bytes(),
        target / PRINT_TOC: yaml.safe_dump(print_toc(toc), sort_keys=False, allow_unicode=True).encode(),
        target / "references.bib": (root / "references.bib").read_bytes(),
        target / "_static" / "vega-bundle.js": vega_bundle,
    }
    for path in sorted([*(root / "_static").rglob("*"), *(root / "latex").rglob("*")]):  # latex/: print only
        if path.is_file():
            wanted[target / path.relative_to(root)] = path.read_bytes()
    cited = warm.by_content("citations", [root / "data" / "sources.csv"], lambda: downloads.labels(root / "data"))
    for path in downloads.listed(root / "data"):
        if path.is_file():
            content = downloads.reader_csv(path, cited) if path.suffix == ".csv" else path.read_bytes()
            wanted[target / "_static" / "data" / path.relative_to(root / "data")] = content
    if (root / "CITATION.cff").is_file():  # the chapters' "Cite this chapter" lines
        wanted[target / "CITATION.cff"] = (root / "CITATION.cff").read_bytes()
    bib = root / "references.bib"
    for path, content in warm.by_content("bib", [bib], lambda: bibexport.downloads(bib)).items():  # .bib, .ris, CSL
        wanted[target / path] = content
    for page in pages(root):
        if page.is_notebook:
            notebook = executed / f"{page.slug}.ipynb"
            wanted[target / f"{page.name}.ipynb"] = warm.by_content(
                f"reader:{page.slug}", [notebook], functools.partial(reader_notebook, notebook, page.slug)
            )
            source = read_text(page.path, root)
            heading = title(source)
            wanted[target / CODE_DIR / f"{page.slug}.md"] = page.path.read_bytes()  # the download
            wanted[target / CODE_DIR / f"{page.slug}.html"] = source_page(source, heading, page.slug, page.name)
            wanted[target / bundles.BUNDLE_DIR / f"{page.slug}.zip"] = bundles.bundle(root, build, page.slug, heading)
        else:
            text = read_text(page.path, root)
            wanted[target / page.path.relative_to(root)] = generated.fill(text, root, executed, edition, edits).encode()
    changed = sum(write_if_changed(path, content) for path, content in wanted.items())
    for path in sorted(target.rglob("*"), reverse=True):
        if "_build" in path.relative_to(target).parts:
            continue
        if path.is_file() and path not in wanted:
            path.unlink()
            changed += 1
        elif path.is_dir() and not any(path.iterdir()):
            path.rmdir()
    return changed
