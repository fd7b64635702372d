"""Shims for third-party code, each applied only to the versions that need it, each saying why."""

from __future__ import annotations

import functools
import json
import os
from importlib.metadata import version
from pathlib import Path


def _major_minor(package: str) -> tuple[int, int]:
    """The installed version of `package` as (major, minor)."""
    parts = [int(part) if part.isdigit() else 0 for part in version(package).split(".")[:2]]
    return (parts + [0, 0])[0], (parts + [0, 0])[1]


def memoize_pybtex_plugins() -> None:
    """Look up each pybtex plugin's entry point once per process, not once per citation (pybtex up to 0.26).

    pybtex scans every installed distribution's entry points on each lookup (about 13 ms here), and
    sphinxcontrib-bibtex looks one up for every citation it resolves: some 400 times a build, several
    seconds of the Sphinx step. Installed plugins cannot change during a build. No upstream issue is
    filed yet; the guard keeps the shim to the versions measured (the lock pins 0.26).
    """
    if _major_minor("pybtex") > (0, 26):
        return
    import pybtex.plugin

    if not hasattr(pybtex.plugin.entry_points, "cache_info"):
        pybtex.plugin.entry_points = functools.cache(pybtex.plugin.entry_points)


def mystnb_stylesheet(filename: str) -> bool:
    """True for myst-nb's own stylesheet (myst-nb 1.x), which the EPUB leaves out.

    myst-nb copies `mystnb.<hash>.css` at build-finished, its workaround for
    https://github.com/sphinx-doc/sphinx/issues/1379, which is after the EPUB builder has packed the
    book: every page would link a stylesheet the EPUB lacks (and epubcheck's CSS parser rejects it).
    """
    return _major_minor("myst-nb")[0] == 1 and filename.startswith("mystnb.") and filename.endswith(".css")


def before_incremental_html(outdir: Path, srcdir: Path) -> None:
    """Make an incremental Sphinx HTML build write what a clean one writes (Sphinx 7, myst-nb 1).

    - myst-nb copies its stylesheet at build-finished, so a clean build links it without Sphinx's `?v=`
      checksum but a rebuild, finding last build's copy, links it with one: drop the copy first.
    - Sphinx 7 loses the index entries of pages it does not write again
      (https://github.com/sphinx-doc/sphinx/issues/12599): mark the pages that had some as changed.
    """
    if _major_minor("myst-nb")[0] == 1:
        for path in (outdir / "_static").glob("mystnb.*.css"):
            if mystnb_stylesheet(path.name):
                path.unlink()
    if _major_minor("sphinx")[0] == 7:
        for name in _pages_with_index_entries(outdir / "searchindex.js"):
            if (srcdir / name).is_file():
                os.utime(srcdir / name)


def after_incremental_html(outdir: Path) -> None:
    """Sphinx 7 keeps a word that is no longer on any page in the search index, found in no page (`"word": []`)
    after a rebuild; a clean build has no such words: drop them."""
    if _major_minor("sphinx")[0] != 7:
        return
    path = outdir / "searchindex.js"
    index = _search_index(path)
    if not index:
        return
    for key in ("terms", "titleterms"):
        index[key] = {word: docs for word, docs in index.get(key, {}).items() if docs != []}
    path.write_text(f"Search.setIndex({json.dumps(index, sort_keys=True)})", encoding="utf-8")  # as Sphinx writes it


def _search_index(path: Path) -> dict:
    """A built searchindex.js as data ({} if missing or unreadable)."""
    try:
        text = path.read_text(encoding="utf-8")
        return json.loads(text[text.index("(") + 1 : text.rindex(")")])
    except (OSError, ValueError):
        return {}


def _pages_with_index_entries(searchindex: Path) -> list[str]:
    """The source files (relative to the source folder) of the pages with index entries in a built search index."""
    index = _search_index(searchindex)
    if not index:
        return []
    docs = {doc for entries in index.get("indexentries", {}).values() for doc, *_ in entries}
    return [index["filenames"][doc] for doc in sorted(docs)]
