"""The web edition: Sphinx's HTML builder, incremental only when just the bodies of pages changed."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from carebook.build import cache, sphinx
from carebook.build.outputs import Output
from carebook.build.publish import publish

PAGES_RECORD = "html.pages.json"


def _title(path: Path) -> str:
    """A staged page's first heading (the sidebar shows it on every page)."""
    text = path.read_text(encoding="utf-8", errors="replace")
    if path.suffix == ".ipynb":
        text = "\n".join("".join(c["source"]) for c in json.loads(text)["cells"] if c["cell_type"] == "markdown")
    return next((line for line in text.splitlines() if line.startswith("# ")), "")


def staged_pages(target: Path) -> dict[str, dict]:
    """Every staged file with its hash, and each page's title."""
    found = {}
    for path in sorted(target.rglob("*")):
        rel = path.relative_to(target)
        if path.is_file() and "_build" not in rel.parts:
            page = path.suffix in (".md", ".ipynb") and rel.parts[0] != "_static"
            found[str(rel)] = {"hash": cache.file_hash(path), "title": _title(path) if page else None}
    return found


def incremental_ok(target: Path, build: Path, force: bool) -> bool:
    """True when only the bodies of pages changed since the last HTML build (not titles, files, config or glossary).

    Only then can Sphinx re-read just those pages and still give the clean build's site byte for byte.
    """
    try:
        before = json.loads((build / "cache" / PAGES_RECORD).read_text(encoding="utf-8"))
    except (FileNotFoundError, json.JSONDecodeError):
        return False
    now = staged_pages(target)
    if force or set(before) != set(now):
        return False
    for name in (name for name in now if now[name] != before[name]):
        if not now[name]["title"] or now[name]["title"] != before[name]["title"] or "glossary" in name:
            return False
    return True


def make(root: Path, build: Path, target: Path, force: bool) -> Path:
    """Build the site into .work/html; record the staged tree it was built from (for `incremental_ok`)."""
    work = build / ".work"
    if not incremental_ok(target, build, force):
        # Anything but a page's body changed (navigation, titles, glossary, config, code): Sphinx would keep
        # stale sidebars and pages, so build from nothing, as a clean build does.
        shutil.rmtree(work / "html", ignore_errors=True)
        shutil.rmtree(work / "doctrees-html", ignore_errors=True)
    sphinx.build(target, work / "html", work / "doctrees-html", root, "html")
    (build / "cache").mkdir(parents=True, exist_ok=True)
    (build / "cache" / PAGES_RECORD).write_text(json.dumps(staged_pages(target), indent=0), encoding="utf-8")
    return work / "html"


OUTPUT = Output(
    name="html",
    product="html",
    code=(*cache.SPHINX_CODE, "build/outputs/html.py"),
    make=make,
    publish=publish,
)
