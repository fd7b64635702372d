"""Assemble the tree jupyter-book builds: config, pages, executed chapters, static files, data.

Files are written only when their content changes, so Sphinx re-reads only what changed.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import yaml

from carebook.build import downloads, generated
from carebook.build.atomic import write_atomic
from carebook.build.edition import Edition
from carebook.build.toc import pages
from carebook.errors import load_yaml, read_text

HIDDEN_TAGS = ("remove-cell", "remove-input", "hide-input", "hide-cell", "show-input")
VOLATILE_METADATA = ("papermill", "execution")
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
        "```{only} html\n"
        f'<p class="carebook-computed"><a href="../{CODE_DIR}/{slug}.md">How this page was computed</a>: '
        "the chapter's notebook, with the code that reads the book's data tables and computes every figure "
        "and number on this page.</p>\n"
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


def config(root: Path, edition: Edition) -> bytes:
    """The root _config.yml with the edition (commit and date) filled in."""
    conf = load_yaml(read_text(root / "_config.yml", root), "_config.yml") or {}
    sphinx = conf.setdefault("sphinx", {}).setdefault("config", {})
    sphinx["release"] = edition.label
    sphinx["version"] = edition.date
    sphinx["today"] = edition.date
    conf.setdefault("html", {})["extra_footer"] = (
        conf.get("html", {}).get("extra_footer", "") + f" Edition of {edition.label}."
    ).strip()
    return yaml.safe_dump(conf, sort_keys=True, allow_unicode=True).encode()


def stage(root: Path, build: Path, target: Path, edition: Edition, vega_bundle: bytes) -> int:
    """Fill `target` with everything the book build needs; returns how many files changed."""
    wanted: dict[Path, bytes] = {
        target / "_config.yml": config(root, edition),
        target / "_toc.yml": (root / "_toc.yml").read_bytes(),
        target / "references.bib": (root / "references.bib").read_bytes(),
        target / "_static" / "vega-bundle.js": vega_bundle,
    }
    for path in sorted([*(root / "_static").rglob("*"), *(root / "latex").rglob("*")]):  # latex/: print only
        if path.is_file():
            wanted[target / path.relative_to(root)] = path.read_bytes()
    cited = downloads.labels(root / "data")
    for path in downloads.listed(root / "data"):
        if path.is_file():
            content = downloads.reader_csv(path, cited) if path.suffix == ".csv" else path.read_bytes()
            wanted[target / "_static" / "data" / path.relative_to(root / "data")] = content
    executed = build / "executed"
    for page in pages(root):
        if page.is_notebook:
            wanted[target / f"{page.name}.ipynb"] = reader_notebook(executed / f"{page.slug}.ipynb", page.slug)
            wanted[target / CODE_DIR / f"{page.slug}.md"] = page.path.read_bytes()
        else:
            text = read_text(page.path, root)
            wanted[target / page.path.relative_to(root)] = generated.fill(text, root, executed, edition).encode()
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


def fingerprint(target: Path) -> str:
    """One hash of the staged tree (paths and contents), to skip a Sphinx run when nothing changed."""
    digest = hashlib.sha256()
    for path in sorted(target.rglob("*")):
        if path.is_file() and "_build" not in path.relative_to(target).parts:
            digest.update(str(path.relative_to(target)).encode())
            digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()
