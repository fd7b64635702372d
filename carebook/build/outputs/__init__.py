"""The book's editions, one entry each in TABLE: how the staged tree becomes the edition, which staged files and
code its stamp covers, and where it is published. The CLI, the Makefile and the editions' links come from this
table: adding a format is one module here and one name in TABLE."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from carebook.build import cache, progress, stamp
from carebook.build.report import Report, Timer

TABLE = ("html", "pdf", "epub", "singlehtml")  # each names a module here that defines OUTPUT


@dataclass(frozen=True)
class Output:
    """One edition: `make` builds it from the staged tree in `.work`, `publish` puts it in place."""

    name: str
    product: str  # what readers get, relative to the build folder
    help: str  # one line for the command line
    entries: tuple[str, ...]  # its own modules, relative to carebook/ (with build/sphinx.py and the config's
    # extensions, the entries whose import closure is its code)
    make: Callable[[Path, Path, Path, bool], Path]  # (root, build, stage, force) -> the edition made in .work
    publish: Callable[[Path, Path], None]  # (made, product)
    ignore: tuple[str, ...] = ()  # staged files it never reads (patterns): an edit to them leaves it unchanged
    link: str = ""  # with a link text, it is also published into the web edition, whose pages then link it


def step(output: Output, target: Path) -> stamp.Step:
    """The edition as a step: its own entries, the Sphinx runner and the extensions the staged config loads."""
    from carebook.build import sphinx

    extensions = stamp.extension_entries(sphinx.configured_extensions(target))
    return stamp.Step(output.name, (*stamp.SPHINX_ENTRIES, *output.entries, *extensions))


def fingerprint(output: Output, root: Path, target: Path) -> str:
    """The edition's stamp: its code, the lock, and the staged files it reads (pages, config, its assets)."""
    return step(output, target).key(root, stamp.files_hash(target, stamp.tree(target, output.ignore)))


def render(output: Output, root: Path, build: Path, target: Path, report: Report, force: bool) -> None:
    """Build one edition unless its stamp matches; a failure leaves the last good edition in place."""
    product = build / output.product
    record = cache.Stamp(build / "cache" / f"{output.name}.stamp")
    wanted = fingerprint(output, root, target)
    if not force and record.matches(wanted, product):
        progress.step(output.name, "unchanged")
        report.steps[output.name] = {"status": "unchanged", "seconds": 0.0}
    else:
        record.clear()
        with Timer(report, output.name):
            output.publish(output.make(root, build, target, force), product)
            record.write(wanted)
    if output.link:
        from carebook.build.publish import beside_site

        beside_site(product, build / "html", output.name, output.link)


def outputs() -> dict[str, Output]:
    """Every format `build(formats=...)` can make, by name, in TABLE's order."""
    return {name: importlib.import_module(f"{__name__}.{name}").OUTPUT for name in TABLE}
