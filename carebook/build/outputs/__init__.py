"""The book's editions, one entry each: how the staged tree becomes the edition, what its stamp covers, and
where it is published. Adding a format is one module here and one line in OUTPUTS."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from carebook.build import cache, progress, stage
from carebook.build.report import Report, Timer


@dataclass(frozen=True)
class Output:
    """One edition: `make` builds it from the staged tree in `.work`, `publish` puts it in place."""

    name: str
    product: str  # what readers get, relative to the build folder
    code: tuple[str, ...]  # the Sphinx-side code it runs, relative to carebook/ (part of its stamp)
    make: Callable[[Path, Path, Path, bool], Path]  # (root, build, stage, force) -> the edition made in .work
    publish: Callable[[Path, Path], None]  # (made, product)
    beside_site: Callable[[Path, Path], None] | None = None  # (product, published html): link it from the web


def fingerprint(output: Output, target: Path) -> str:
    """The one stamping rule: the staged tree (pages, config, static files) and the output's own code."""
    return cache.digest(stage.fingerprint(target), cache.code_hash(output.code))


def render(output: Output, root: Path, build: Path, target: Path, report: Report, force: bool) -> None:
    """Build one edition unless its stamp matches; a failure leaves the last good edition in place."""
    product = build / output.product
    stamp = cache.Stamp(build / "cache" / f"{output.name}.stamp")
    wanted = fingerprint(output, target)
    if not force and stamp.matches(wanted, product):
        progress.step(output.name, "unchanged")
        report.steps[output.name] = {"status": "unchanged", "seconds": 0.0}
    else:
        stamp.clear()
        with Timer(report, output.name):
            output.publish(output.make(root, build, target, force), product)
            stamp.write(wanted)
    if output.beside_site:
        output.beside_site(product, build / "html")


def clear_work(path: Path) -> Path:
    """An empty work folder for one Sphinx run (a file left by a failed run must not be published)."""
    shutil.rmtree(path, ignore_errors=True)
    return path


def outputs() -> dict[str, Output]:
    """Every format `build(formats=...)` can make, by name."""
    from carebook.build.outputs import epub, html, pdf

    return {o.name: o for o in (html.OUTPUT, pdf.OUTPUT, epub.OUTPUT)}
