"""The Sphinx HTML step on a built book's staged tree: cProfile by phase and hot spot, and the pybtex memo's effect.

Run in a fresh interpreter by the benchmark, with the book's carebook importable:
`python probe_sphinx.py BOOK_ROOT`; prints one line of JSON.
"""

from __future__ import annotations

import cProfile
import importlib.metadata
import json
import pstats
import sys
import tempfile
import time
from pathlib import Path

import pybtex.plugin

from carebook import build
from carebook.build import sphinx

PHASES = {
    "start Sphinx (extensions, configuration, bibliography file)": ("sphinx/application.py", "__init__"),
    "read and parse the pages": ("sphinx/builders/__init__.py", "read"),
    "resolve references and write the pages": ("sphinx/builders/__init__.py", "write"),
    "finish (static files, search index, inventory)": ("sphinx/builders/html/__init__.py", "finish"),
}
HOTSPOTS = {
    "bibliography: format entries (pybtex)": ("sphinxcontrib/bibtex/domain.py", "get_formatted_entries"),
    "bibliography: resolve citations": ("sphinxcontrib/bibtex/domain.py", "resolve_xref"),
    "search index: stem every word": ("sphinx/search/__init__.py", "feed"),
    "syntax highlighting of code cells": ("sphinx/highlighting.py", "highlight_block"),
    "unpickle doctrees": ("sphinx/environment/__init__.py", "get_doctree"),
    "HTML templates (jinja2)": ("sphinx/builders/html/__init__.py", "handle_page"),
    "entry-point scans (importlib.metadata)": ("importlib/metadata/__init__.py", "entry_points"),
}


def html_step(target: Path, root: Path) -> float:
    """Seconds of one Sphinx HTML build of `target` into a fresh folder."""
    with tempfile.TemporaryDirectory() as out:
        start = time.perf_counter()
        sphinx.build(target, Path(out) / "html", Path(out) / "doctrees", root, "html")
        return time.perf_counter() - start


def profiled(target: Path, root: Path) -> tuple[float, dict]:
    """One HTML build under cProfile: its wall seconds and the raw statistics."""
    with tempfile.TemporaryDirectory() as out:
        profile = cProfile.Profile()
        start = time.perf_counter()
        profile.runcall(sphinx.build, target, Path(out) / "html", Path(out) / "doctrees", root, "html")
        wall = time.perf_counter() - start
    return wall, pstats.Stats(profile).stats  # (file, line, function) -> (calls, primitive, self, cumulative, callers)


def cumulative(stats: dict, path: str, function: str) -> float:
    """Cumulative seconds of every function named `function` in a file ending with `path`."""
    return sum(v[3] for (f, _, name), v in stats.items() if f.endswith(path) and name == function)


def main(root: Path) -> dict:
    """Profile the step, then time it unprofiled without and with carebook's memo of pybtex's plugin look-ups."""
    # Every chapter is cached in the built book: this validates (memo) and stages only, then memoises pybtex.
    target = build.prepare(root, root / "_build", {}, force=False, workers=None, report=build.Report())
    wall, stats = profiled(target, root)
    memo = pybtex.plugin.entry_points
    unprofiled = {}
    for name, lookup in (("without", importlib.metadata.entry_points), ("with", memo)):
        pybtex.plugin.entry_points = lookup
        unprofiled[name] = html_step(target, root)
    return {
        "wall_profiled": wall,
        "phases": {name: cumulative(stats, *where) for name, where in PHASES.items()},
        "hotspots": {name: cumulative(stats, *where) for name, where in HOTSPOTS.items()},
        "memo": unprofiled,
    }


if __name__ == "__main__":
    print(json.dumps(main(Path(sys.argv[1]))))
