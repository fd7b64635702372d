"""What changed in this edition: the book compared with the latest earlier edition, a git tag `edition-*`.

The earlier edition's figures come from its committed output record (`book/outputs.lock`, which `carebook
check` keeps equal to what its chapters computed), its sources and pages from its `data/sources.csv` and
`_toc.yml`, all read with git: nothing of the old edition is executed. This edition's figures come from the
chapters just executed. Readers are told rows and sources in words, never their ids.
"""

from __future__ import annotations

import json
import tempfile
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import yaml

from carebook.build import check, downloads
from carebook.build.edition import _git
from carebook.build.toc import _files, chapters, pages, title
from carebook.errors import ConfigInvalid, Place
from carebook.markup import markdown_text

TAG_PATTERN = "edition-*"
SHOWN_ROWS = 3  # a figure computed from more rows names the first few and counts the rest


@dataclass(frozen=True)
class Earlier:
    """The edition this one is compared with."""

    tag: str
    commit: str
    date: str  # ISO date of its commit, as its title page gave it


@dataclass(frozen=True)
class Figure:
    """A glued figure as readers saw it: its text and its rows ([what it states, source as cited])."""

    chapter: str
    text: str
    rows: tuple[tuple[str, str], ...] | None  # None in a record written before rows were recorded


@dataclass
class Changes:
    """Everything that differs between the earlier edition and this one."""

    earlier: Earlier | None
    figures: list[tuple[Figure, Figure]] = field(default_factory=list)  # (was, now)
    sources_added: list[str] = field(default_factory=list)
    sources_removed: list[str] = field(default_factory=list)
    pages_added: list[tuple[str, str]] = field(default_factory=list)  # (toc name, title)
    pages_removed: list[str] = field(default_factory=list)  # titles
    titles: dict[str, str] = field(default_factory=dict)  # page slug -> title, this edition
    names: dict[str, str] = field(default_factory=dict)  # page slug -> toc name ('book/funding')
    variant: dict[str, dict] = field(default_factory=dict)  # a `-p` build's parameters: chapter -> values


def earlier_edition(root: Path) -> Earlier | None:
    """The latest `edition-*` tag behind HEAD, other than HEAD itself when the tree is unmodified."""
    head = _git(root, "rev-parse", "HEAD")
    if not head:
        return None
    modified = bool(_git(root, "status", "--porcelain", "--", "."))
    found = []
    for tag in _git(root, "tag", "--merged", "HEAD", "--list", TAG_PATTERN).splitlines():
        commit = _git(root, "rev-parse", f"{tag}^{{commit}}")
        if commit == head and not modified:
            continue
        depth = int(_git(root, "rev-list", "--count", commit) or 0)
        epoch = int(_git(root, "log", "-1", "--format=%ct", commit) or 0)
        found.append((depth, epoch, tag, commit))
    if not found:
        return None
    _, epoch, tag, commit = max(found)
    return Earlier(tag, commit, datetime.fromtimestamp(epoch, UTC).date().isoformat())


def figures(lines: list[str]) -> dict[tuple[str, str], Figure]:
    """The figures of an output record (chapter, glue name) -> Figure; only glues with recorded provenance."""
    texts: dict[tuple[str, str], str] = {}
    rows: dict[tuple[str, str], tuple] = {}
    for line in lines:
        if line.startswith("#") or line.count(" | ") < 4:
            continue
        chapter, _cell, _output, kind, value = line.split(" | ", 4)
        parts = kind.split(" ")
        if len(parts) != 3 or parts[0] != "glue" or value.startswith("sha256:"):
            continue
        if parts[2] == "text/plain":
            texts[(chapter, parts[1])] = json.loads(value)
        elif parts[2] == check.ROWS_KIND:
            rows[(chapter, parts[1])] = tuple(tuple(pair) for pair in json.loads(value))
    has_rows = bool(rows)
    return {
        key: Figure(key[0], text, rows.get(key) if has_rows else None)
        for key, text in texts.items()
        if key in rows or not has_rows
    }


def _sources(data_dir: Path) -> dict[str, str]:
    """Each source as readers see it in a list: 'Author (year), Title'."""
    import csv

    labels = downloads.labels(data_dir)
    with (data_dir / "sources.csv").open(encoding="utf-8") as handle:
        titles = {row["id"]: row.get("title", "") for row in csv.DictReader(handle)}
    return {key: f"{label}, {titles.get(key, '')}".rstrip(", ") for key, label in labels.items()}


def _old_sources(root: Path, commit: str) -> dict[str, str]:
    """The earlier edition's sources, from its data/sources.csv (read with git)."""
    text = _git(root, "show", f"{commit}:data/sources.csv")
    if not text:
        return {}
    with tempfile.TemporaryDirectory() as folder:
        (Path(folder) / "sources.csv").write_text(text + "\n", encoding="utf-8")
        return _sources(Path(folder))


def _old_pages(root: Path, commit: str) -> dict[str, str]:
    """The earlier edition's pages, toc name -> title."""
    toc = yaml.safe_load(_git(root, "show", f"{commit}:_toc.yml") or "{}") or {}
    names = [toc["root"], *_files(toc.get("parts", []) + toc.get("chapters", []))] if "root" in toc else []
    return {name: title(_git(root, "show", f"{commit}:{name}.md")) for name in names}


def compare(root: Path, executed: Path, variant: dict[str, dict] | None = None) -> Changes:
    """This edition (chapters executed into `executed`) against the latest earlier edition. A variant (chapters
    run with `-p` values) is compared with nothing: its figures differ from the edition's by design."""
    book = pages(root)
    changes = Changes(
        None if variant else earlier_edition(root),
        titles={page.slug: title(page.path.read_text(encoding="utf-8")) for page in book},
        names={page.slug: page.name for page in book},
        variant=variant or {},
    )
    earlier = changes.earlier
    if earlier is None:
        return changes
    now = figures(
        [
            line
            for page in chapters(root)
            if (executed / f"{page.slug}.ipynb").exists()
            for line in check.record(executed / f"{page.slug}.ipynb")
        ]
    )
    try:  # the earlier edition's files, as committed
        was = figures(_git(root, "show", f"{earlier.commit}:{check.RECORD.as_posix()}").splitlines())
        old_sources, old_pages = _old_sources(root, earlier.commit), _old_pages(root, earlier.commit)
    except (KeyError, TypeError, ValueError, yaml.YAMLError) as exc:  # JSONDecodeError is a ValueError
        raise ConfigInvalid(
            f"cannot read the earlier edition's record, sources or contents ({type(exc).__name__}: {exc})",
            Place(file=f"tag {earlier.tag}"),
            hint="the page 'What changed in this edition' needs them; the last good build is untouched",
        ) from None
    for key, figure in now.items():
        old = was.get(key)
        if old and (old.text != figure.text or (old.rows is not None and old.rows != figure.rows)):
            changes.figures.append((old, figure))
    new_sources = _sources(root / "data")
    changes.sources_added = sorted(new_sources[k] for k in new_sources.keys() - old_sources.keys())
    changes.sources_removed = sorted(old_sources[k] for k in old_sources.keys() - new_sources.keys())
    changes.pages_added = [(page.name, changes.titles[page.slug]) for page in book if page.name not in old_pages]
    changes.pages_removed = [heading for name, heading in old_pages.items() if name not in {p.name for p in book}]
    return changes


def _page_name(changes: Changes, slug: str) -> str:
    """A chapter's toc name, for a link to it."""
    return changes.names.get(slug, slug)


def rows_text(figure: Figure) -> str:
    """What a figure states, from its rows' descriptions."""
    whats = list(dict.fromkeys(what for what, _ in figure.rows or ()))
    shown = "; ".join(whats[:SHOWN_ROWS])
    return shown + (f"; and {len(whats) - SHOWN_ROWS} more rows" if len(whats) > SHOWN_ROWS else "")


def sources_text(figure: Figure) -> str:
    """A figure's sources as cited, each once."""
    return "; ".join(dict.fromkeys(source for _, source in figure.rows or () if source))


def _source_change(was: Figure, now: Figure) -> str:
    """The figure's sources now, with the earlier ones when they differ."""
    before, after = sources_text(was), sources_text(now)
    return after if was.rows is None or before == after else f"{after} (previously: {before or 'none'})"


def _day(iso: str) -> str:
    """An edition's date as the prose gives dates: '7 December 2026'."""
    import pandas as pd

    from carebook import prose

    return prose.date(pd.Timestamp(iso), "day")


def variant_text(changes: Changes) -> str:
    """What a variant build's chapters were computed with: 'Seventy years of trying with first_year = 1990'."""
    return "; ".join(
        f"{changes.titles.get(slug, slug)} with {', '.join(f'{name} = {value}' for name, value in values.items())}"
        for slug, values in sorted(changes.variant.items())
    )


def intro(changes: Changes, date: str) -> str:
    """The sentence that opens the list, in plain words."""
    if changes.variant:
        return (
            "This is a variant of the book, not an edition: its figures differ from the edition's by design, "
            f"because chapters were computed with other values ({variant_text(changes)}). It is not compared "
            "with an earlier edition."
        )
    if changes.earlier is None:
        return "This is the first edition to list its changes: there is no recorded earlier edition to compare it with."
    return f"This edition, of {_day(date)}, set against the previous edition, of {_day(changes.earlier.date)}."


def markdown(changes: Changes, date: str) -> str:
    """The web page's list of changes (MyST Markdown)."""
    lines = [markdown_text(intro(changes, date))]
    if changes.earlier is None:
        return lines[0]
    lines += ["", "## Figures that changed"]
    chapters_changed = list(dict.fromkeys(now.chapter for _, now in changes.figures))
    for chapter in chapters_changed:  # a list a chapter, not a table: it reads on a phone too
        lines += ["", f"In {{doc}}`/{_page_name(changes, chapter)}`:", ""]
        lines += [
            f"- {markdown_text(rows_text(now))}: was **{markdown_text(was.text)}**, now "
            f"**{markdown_text(now.text)}** ({markdown_text(_source_change(was, now))})."
            for was, now in changes.figures
            if now.chapter == chapter
        ]
    if not changes.figures:
        lines += ["", "No figure changed its value or its source."]
    for heading, items, none in (
        ("Sources added", changes.sources_added, "No source was added."),
        ("Sources removed", changes.sources_removed, "No source was removed."),
    ):
        lines += ["", f"## {heading}", ""]
        lines += [f"- {markdown_text(item)}" for item in items] or [none]
    lines += ["", "## Chapters and pages added", ""]
    lines += [f"- {{doc}}`/{name}`" for name, _ in changes.pages_added] or ["No page was added."]
    if changes.pages_removed:
        lines += ["", "## Chapters and pages removed", ""]
        lines += [f"- {markdown_text(title)}" for title in changes.pages_removed]
    return "\n".join(lines)


def latex(changes: Changes, date: str) -> str:
    """The same list for the PDF's front matter: an unnumbered chapter before the contents."""
    from sphinx.util import texescape

    texescape.init()

    def tex(text: str) -> str:
        return texescape.escape(text, latex_engine="xelatex")

    heading = "What changed in this edition"
    parts = [rf"\chapter*{{{heading}}}\markboth{{{heading}}}{{{heading}}}", tex(intro(changes, date))]
    if changes.earlier is None:
        return "\n".join(parts) + "\n"
    items = [
        rf"\item \emph{{{tex(changes.titles.get(now.chapter, now.chapter))}}}: {tex(rows_text(now))}: "
        rf"was {tex(was.text)}, now {tex(now.text)} ({tex(_source_change(was, now))})."
        for was, now in changes.figures
    ]
    for section, entries, none in (
        ("Figures that changed", items, "No figure changed its value or its source."),
        ("Sources added", [rf"\item {tex(s)}" for s in changes.sources_added], "No source was added."),
        ("Sources removed", [rf"\item {tex(s)}" for s in changes.sources_removed], "No source was removed."),
        ("Chapters and pages added", [rf"\item {tex(t)}" for _, t in changes.pages_added], "No page was added."),
    ):
        parts.append(rf"\section*{{{section}}}")
        parts.append("\\begin{itemize}\n" + "\n".join(entries) + "\n\\end{itemize}" if entries else tex(none))
    return "\n".join(parts) + "\n"
