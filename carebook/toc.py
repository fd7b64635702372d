"""The pages of the book, in `_toc.yml` order, and which of them are executable chapters."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import yaml

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
        head = self.path.read_text(encoding="utf-8")[:2000]
        return head.startswith("---") and "kernelspec:" in head.split("\n---", 1)[0]


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
    toc = yaml.safe_load((root / "_toc.yml").read_text(encoding="utf-8"))
    names = [toc["root"], *_files(toc.get("parts", []) + toc.get("chapters", []))]
    result = []
    for name in names:
        stem = name.removesuffix(".md").removesuffix(".ipynb")
        candidates = [root / f"{stem}{suffix}" for suffix in SUFFIXES]
        path = next((p for p in candidates if p.exists()), None)
        if path is None:
            raise FileNotFoundError(f"_toc.yml lists {name!r} but neither {stem}.md nor {stem}.ipynb exists")
        result.append(Page(stem, path))
    return result


def chapters(root: Path) -> list[Page]:
    """The executable chapters, in toc order."""
    return [page for page in pages(root) if page.is_notebook]
