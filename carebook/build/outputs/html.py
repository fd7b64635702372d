"""The web edition: Sphinx's HTML builder, incremental only when just the bodies of pages changed."""

from __future__ import annotations

import html
import json
import shutil
from pathlib import Path

import yaml

from carebook import _compat
from carebook.build import sphinx, stamp
from carebook.build.atomic import write_atomic
from carebook.build.outputs import Output, step
from carebook.build.publish import publish

PAGES_RECORD = "html.pages.json"
REBUILD = "carebook.sphinxext.rebuild"
CHECKSUMMED = (".css", ".js")  # static files every page links as `name?v=<checksum>` (Sphinx 7)
# The edition's label (date and commit) is on every page (the footer, each chapter's citation line, the script
# options): Sphinx builds the site with this word in its place and publishing puts the label in, so that a new
# label on the same date (the first edit after a commit: `+modified`) re-reads and re-writes no page. The date
# alone (the year of the citation lines) stays a Sphinx setting: a new date rebuilds the site. Clean and
# incremental builds both go this way, so they stay equal.
LABEL = "CarebookEditionLabel"
EDITION_RECORD = "html-edition.json"  # beside the built site in .work: the label to put in when publishing
FILLED = (".html", ".js")  # the files that can hold it


def _title(path: Path) -> str:
    """A staged page's first heading (the sidebar shows it on every page)."""
    text = path.read_text(encoding="utf-8", errors="replace")
    if path.suffix == ".ipynb":
        text = "\n".join("".join(c["source"]) for c in json.loads(text)["cells"] if c["cell_type"] == "markdown")
    return next((line for line in text.splitlines() if line.startswith("# ")), "")


def edition(target: Path) -> dict[str, str]:
    """The staged edition's label, by the word Sphinx writes in its place."""
    config = yaml.safe_load((target / "_config.yml").read_text(encoding="utf-8")) or {}
    return {LABEL: str(config.get("sphinx", {}).get("config", {}).get("release", ""))}


def without_edition(text: str, values: dict[str, str]) -> str:
    """`text` with the edition's label replaced by its word."""
    for word, value in values.items():
        text = text.replace(value, word) if value else text
    return text


def edition_overrides(target: Path) -> dict:
    """Sphinx settings that put the word in place of the label: `release` and the footer."""
    footer = sphinx.final_config(target).get("html_theme_options", {}).get("extra_footer", "")
    return {"release": LABEL, "html_theme_options": {"extra_footer": without_edition(footer, edition(target))}}


def staged_pages(target: Path) -> dict[str, dict]:
    """Every staged file the site is built from, with its hash (the config's without the label), and each
    page's title."""
    found = {}
    values = edition(target)
    for path in stamp.tree(target, OUTPUT.ignore):  # not the print styles: they never reach the site
        rel = path.relative_to(target)
        page = path.suffix in (".md", ".ipynb") and rel.parts[0] != "_static"
        if str(rel) == "_config.yml":  # compared as data: YAML folds a long line wherever the label's length puts it
            config = yaml.safe_load(path.read_text(encoding="utf-8"))
            digest = stamp.digest(without_edition(json.dumps(config, sort_keys=True, default=str), values))
        else:
            digest = stamp.file_hash(path)
        found[str(rel)] = {"hash": digest, "title": _title(path) if page else None}
    return found


def code(root: Path, target: Path) -> str:
    """What the HTML step runs: its code (the import closure of its entries), the lock file and its settings."""
    return step(OUTPUT, target).environment(root)


def reread_pages(root: Path, target: Path, build: Path, force: bool) -> set[str] | None:
    """The pages (docnames) Sphinx reads again when only the bodies of pages changed since the last HTML build
    (not titles, files, config, glossary or the Sphinx-side code, which Sphinx itself does not track); None when
    the site must be built from nothing.

    Only then can Sphinx read just those pages again and still give the clean build's site byte for byte.
    """
    try:
        record = json.loads((build / "cache" / PAGES_RECORD).read_text(encoding="utf-8"))
        before = record["files"]
    except (FileNotFoundError, json.JSONDecodeError, KeyError, TypeError):
        return None
    now = staged_pages(target)
    if force or record.get("code") != code(root, target) or set(before) != set(now):
        return None
    changed = [name for name in now if now[name] != before[name]]
    if not all(body_only(name, now[name], before[name]) for name in changed):
        return None
    return {str(Path(name).with_suffix("")) for name in changed if now[name]["title"]}


def body_only(name: str, now: dict, before: dict) -> bool:
    """True if a change to the staged file `name` leaves every other page as it was: a page whose title stayed
    (not the glossary), or a static file pages link without a checksum (a chapter's source, a data download),
    which `_compat.copy_static_files` copies. Sphinx links stylesheets and scripts with a checksum from every page."""
    if Path(name).parts[0] == "_static":
        return Path(name).suffix not in CHECKSUMMED
    return bool(now["title"]) and now["title"] == before["title"] and "glossary" not in name


def _with_rebuild(target: Path, reread: set[str]) -> dict:
    """Sphinx overrides loading `carebook.sphinxext.rebuild`, which reads the pages `reread` (by content) again
    and writes every page when one changed what others show of it (figure numbers, headings); the edition's
    word in place of the edition's label."""
    return {
        "extensions": sphinx.extensions_with(target, REBUILD),
        "carebook_reread": sorted(reread),
        **edition_overrides(target),
    }


def make(root: Path, build: Path, target: Path, force: bool) -> Path:
    """Build the site into .work/html; record the staged tree it was built from (for `reread_pages`)."""
    work = build / ".work"
    reread = reread_pages(root, target, build, force)
    if reread is None:
        # Anything but a page's body changed (navigation, titles, glossary, config, code): Sphinx would keep
        # stale sidebars and pages, so build from nothing, as a clean build does.
        shutil.rmtree(work / "html", ignore_errors=True)
        shutil.rmtree(work / "doctrees-html", ignore_errors=True)
        sphinx.build(target, work / "html", work / "doctrees-html", root, "html", _with_rebuild(target, set()))
    else:
        with _compat.incremental_html(work / "html", reread):
            # The pages to read again go by content, not by Sphinx's modification times (clock skew).
            sphinx.build(target, work / "html", work / "doctrees-html", root, "html", _with_rebuild(target, reread))
    record = {"code": code(root, target), "files": staged_pages(target)}
    write_atomic(build / "cache" / PAGES_RECORD, json.dumps(record, indent=0))
    write_atomic(work / EDITION_RECORD, json.dumps(edition(target)))
    return work / "html"


def publish_site(made: Path, product: Path) -> None:
    """Publish the site built in `made` with the edition's label put in place of its word."""
    values = json.loads(made.with_name(EDITION_RECORD).read_text(encoding="utf-8"))
    words = {word.encode(): html.escape(value).encode() for word, value in values.items()}

    def fill(path: Path) -> bytes | None:
        if path.suffix not in FILLED:
            return None
        content = path.read_bytes()
        if not any(word in content for word in words):
            return None
        for word, value in words.items():
            content = content.replace(word, value)
        return content

    publish(made, product, fill)


OUTPUT = Output(
    name="html",
    product="html",
    help="the web edition",
    entries=("build/outputs/html.py", "sphinxext/rebuild.py"),
    make=make,
    publish=publish_site,
    ignore=("latex/*",),  # print styles
)
