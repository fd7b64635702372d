"""The pages of the book, in `_toc.yml` order, and which of them are executable chapters."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from carebook.errors import ConfigInvalid, Place, load_yaml, read_text

SUFFIXES = (".md", ".ipynb")


@dataclass(frozen=True)
class Page:
    """One page of the table of contents."""

    name: str  # the toc entry, e.g. "book/history"
    path: Path  # its source file

    @property
    def slug(self) -> str:
        """The short name used on the command line and in the cache: 'history'."""
        return Path(self.name).name

    @property
    def is_notebook(self) -> bool:
        """True for executable chapters (MyST notebooks with a kernelspec, or .ipynb)."""
        if self.path.suffix == ".ipynb":
            return True
        head = read_text(self.path, self.path.parents[len(Path(self.name).parts) - 1])[:2000]
        return head.startswith("---") and "kernelspec:" in head.split("\n---", 1)[0]


def title(text: str) -> str:
    """A page's title: its first level-one heading ('' if it has none)."""
    found = re.search(r"^# (.+)$", text, re.M)
    return found.group(1).strip() if found else ""


def _files(entries: list[dict]) -> list[str]:
    """Every `file:` in a toc subtree, depth first."""
    found = []
    for entry in entries or []:
        if "file" in entry:
            found.append(entry["file"])
        for key in ("chapters", "sections", "parts"):
            found += _files(entry.get(key, []))
    return found


def pages(root: Path) -> list[Page]:
    """All pages listed in `root/_toc.yml`, root page first."""
    toc = load_yaml(read_text(root / "_toc.yml", root), "_toc.yml")
    if not isinstance(toc, dict) or "root" not in toc:
        found = ", ".join(toc) if isinstance(toc, dict) else "none"
        raise ConfigInvalid(
            f"no 'root:' entry (the book's first page, e.g. `root: book/index`); keys found: {found}",
            Place(file="_toc.yml"),
        )
    names = [toc["root"], *_files(toc.get("parts", []) + toc.get("chapters", []))]
    result = []
    for name in names:
        stem = name.removesuffix(".md").removesuffix(".ipynb")
        candidates = [root / f"{stem}{suffix}" for suffix in SUFFIXES]
        path = next((p for p in candidates if p.exists()), None)
        if path is None:
            raise ConfigInvalid(f"lists {name!r} but neither {stem}.md nor {stem}.ipynb exists", Place(file="_toc.yml"))
        if path.suffix == ".ipynb":
            raise ConfigInvalid(
                f"lists {name!r}, whose file is {stem}.ipynb: chapters are MyST Markdown notebooks; convert it "
                f"with `jupytext --to myst {stem}.ipynb` and remove the .ipynb",
                Place(file="_toc.yml"),
            )
        result.append(Page(stem, path))
    _one_name_each(result)
    return result


def _one_name_each(found: list[Page]) -> None:
    """Refuse two pages with one file name in different folders: the cache and executed notebooks go by name."""
    seen: dict[str, str] = {}
    for page in found:
        if page.slug in seen:
            raise ConfigInvalid(
                f"lists {seen[page.slug]!r} and {page.name!r}, two pages named {page.slug!r}: give one another name",
                Place(file="_toc.yml"),
            )
        seen[page.slug] = page.name


def chapters(root: Path) -> list[Page]:
    """The executable chapters, in toc order."""
    return [page for page in pages(root) if page.is_notebook]
