"""Build the book: validate data, execute chapters, stage, run jupyter-book, publish atomically."""

from __future__ import annotations

import contextlib
import functools
import importlib
import os
import shutil
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from carebook import latex, run, sphinx, stage, validate
from carebook.edition import edition

PDF_NAME = "joined-up"


class DataInvalid(Exception):
    """The data package failed validation; the message has one line per problem."""


@dataclass
class Report:
    """What a build did, for the summary line and the benchmark."""

    outcomes: list[run.Outcome] = field(default_factory=list)
    steps: dict[str, float] = field(default_factory=dict)
    html_built: bool = False

    def count(self, status: str) -> int:
        """How many chapters ended with `status`."""
        return sum(o.status == status for o in self.outcomes)

    def summary(self) -> str:
        """One line: chapters executed, cached and failed, and time per step."""
        steps = ", ".join(f"{name} {seconds:.1f} s" for name, seconds in self.steps.items())
        return f"{self.count('done')} executed, {self.count('cached')} cached, {self.count('failed')} failed; {steps}"


class Timer:
    """Records the wall time of a named step into a report."""

    def __init__(self, report: Report, name: str):
        self.report, self.name = report, name

    def __enter__(self):
        self.start = time.monotonic()
        print(f"{self.name}...", flush=True)

    def __exit__(self, *exc):
        self.report.steps[self.name] = time.monotonic() - self.start


def vega_bundle(build: Path) -> bytes:
    """vega, vega-lite and vega-embed in one script, from the pinned vl-convert, matching Altair's Vega-Lite."""
    import altair as alt
    import vl_convert

    vl_version = ".".join(alt.SCHEMA_VERSION.lstrip("v").split(".")[:2])
    version = f"vega-{vl_convert.get_vega_version()}-lite-{vl_version}-embed-{vl_convert.get_vega_embed_version()}"
    cached = build / "cache" / f"{version}.js"
    if not cached.exists():
        cached.parent.mkdir(parents=True, exist_ok=True)
        bundle = vl_convert.javascript_bundle(vl_version=vl_version)
        # The closure keeps the bundle's globals (such as `_`) from clashing with Sphinx's own scripts.
        cached.write_text(
            f"/* {version}, bundled by vl-convert */\n(function(){{\n{bundle}\n}})();\n", encoding="utf-8"
        )
    return cached.read_bytes()


def publish(source: Path, target: Path) -> None:
    """Replace `target` with a copy of `source` in one rename, so readers never see half a build."""
    fresh = target.with_name(f".{target.name}.new")
    old = target.with_name(f".{target.name}.old")
    shutil.rmtree(fresh, ignore_errors=True)
    shutil.copytree(source, fresh)
    shutil.rmtree(old, ignore_errors=True)
    if target.exists():
        target.rename(old)
    fresh.rename(target)
    shutil.rmtree(old, ignore_errors=True)


class _BackgroundBundle:
    """`vega_bundle(build)` computed in a forked child while the parent validates and executes.

    vl-convert holds the GIL for the seconds it takes to bundle (on a clean build), so a thread would
    not overlap it with anything; a child process does. The parent also never imports altair and
    vl-convert, which a no-op build would otherwise pay for.
    """

    def __init__(self, build: Path):
        import multiprocessing

        self.build = build
        context = multiprocessing.get_context("fork")
        self.receive, send = context.Pipe(duplex=False)
        self.process = context.Process(target=self._child, args=(send,), name="vega-bundle")
        self.process.start()
        send.close()

    def _child(self, send) -> None:
        os.nice(10)  # the chapters come first: the bundle takes the cores they leave idle
        self.receive.close()  # else this copy of the reading end keeps a send to a parent that gave up blocked
        data = vega_bundle(self.build)  # writes the cache file before anything is sent
        with contextlib.suppress(OSError):  # the parent gave up (a failed build): nothing to deliver
            send.send_bytes(data)

    def result(self) -> bytes:
        """The bundle; if the child failed, bundle here so that its error is raised in this process."""
        try:
            return self.receive.recv_bytes()
        except EOFError:
            return vega_bundle(self.build)
        finally:
            self.abandon()
            self.process.join()

    def abandon(self) -> None:
        """Stop listening; the child still finishes its cache file (the interpreter waits for it at exit)."""
        self.receive.close()


def _memoize_bibtex_plugins() -> None:
    """Look up each pybtex plugin's entry point once per process, not once per citation.

    pybtex scans every installed distribution's entry points on each lookup (about 13 ms here),
    and sphinxcontrib-bibtex looks one up for every citation it resolves: some 400 times a build,
    several seconds of the Sphinx step. Installed plugins cannot change during a build.
    """
    import pybtex.plugin

    if not hasattr(pybtex.plugin.entry_points, "cache_info"):
        pybtex.plugin.entry_points = functools.cache(pybtex.plugin.entry_points)


SPHINX_MODULES = (
    "jupyter_book.sphinx",
    "sphinx.builders.html",
    "myst_nb.sphinx_ext",
    "sphinx_book_theme",
    "sphinxcontrib.bibtex",
)


def _import_sphinx_meanwhile() -> None:
    """Import Sphinx and the book's extensions in a thread while chapters run (about a second saved).

    Chapters only run when a page will change, so the Sphinx step follows; a failed import here is
    ignored, and raised again where the Sphinx step imports the module itself.
    """

    def load() -> None:
        for name in SPHINX_MODULES:
            with contextlib.suppress(Exception):
                importlib.import_module(name)

    threading.Thread(target=load, name="import-sphinx", daemon=True).start()


def prepare(
    root: Path, build: Path, parameters: dict[str, dict], force: bool, workers: int | None, report: Report
) -> Path:
    """Validate, execute and stage; returns the staged tree."""
    bundle = _BackgroundBundle(build)  # forked first, while this process has no other thread
    try:
        with Timer(report, "validate"):
            problems = validate.validate(root / "data", memo=build / "cache" / "validate.stamp")
        if problems:
            raise DataInvalid("\n".join(problems))
        with Timer(report, "execute"):
            report.outcomes = run.run_chapters(
                root, build, parameters, force=force, workers=workers, meanwhile=_import_sphinx_meanwhile
            )
        target = build / "stage"
        with Timer(report, "stage"):
            stage.stage(root, build, target, edition(root), bundle.result())
    finally:
        bundle.abandon()
    _memoize_bibtex_plugins()
    return target


def up_to_date(output: Path, stamp: Path, fingerprint: str) -> bool:
    """True when `output` exists and was built from inputs with this fingerprint."""
    return output.exists() and stamp.exists() and stamp.read_text() == fingerprint


def build_html(
    root: Path,
    build: Path,
    parameters: dict[str, dict] | None = None,
    *,
    force: bool = False,
    workers: int | None = None,
) -> Report:
    """Build `build/html`; the previous HTML stays until the new one is complete."""
    report = Report()
    target = prepare(root, build, parameters or {}, force, workers, report)
    stamp = build / "cache" / "html.stamp"
    print_ = stage.fingerprint(target)
    if up_to_date(build / "html" / "index.html", stamp, print_):
        print("html... unchanged", flush=True)
        return report
    work = build / ".work"
    with Timer(report, "html"):
        sphinx.build(target, work / "html", work / "doctrees-html", root, "html")
        publish(work / "html", build / "html")
        stamp.write_text(print_)
    report.html_built = True
    return report


def build_pdf(
    root: Path,
    build: Path,
    parameters: dict[str, dict] | None = None,
    *,
    force: bool = False,
    workers: int | None = None,
) -> Report:
    """Build `build/pdf/joined-up.pdf` from the same executed chapters; a failure leaves the old PDF.

    Sphinx's LaTeX builder writes `.work/latex/joined-up.tex` (code cells left out, tables and the
    bibliography arranged for print by carebook.latex); latexmk runs XeLaTeX on it. Any Sphinx
    warning, LaTeX error, unresolved reference or missing glyph raises SphinxFailed before the
    published PDF is touched. Nothing is rebuilt when the staged pages and the print code are unchanged.
    """
    import hashlib

    report = Report()
    target = prepare(root, build, parameters or {}, force, workers, report)
    out = build / "pdf" / f"{PDF_NAME}.pdf"
    stamp = build / "cache" / "pdf.stamp"
    print_code = "".join(Path(module.__file__).read_text(encoding="utf-8") for module in (sphinx, latex))
    print_ = hashlib.sha256((stage.fingerprint(target) + print_code).encode()).hexdigest()
    if up_to_date(out, stamp, print_):
        print("pdf... unchanged", flush=True)
        latex.publish_pdf(out, build / "html")
        return report
    stamp.unlink(missing_ok=True)
    work = build / ".work"
    latex_dir = work / "latex"
    with Timer(report, "latex"):
        for stale in latex_dir.glob(f"{PDF_NAME}.*"):  # a .tex or .aux left by a failed run breaks latexmk
            stale.unlink()
        overrides = {
            "nb_remove_code_source": True,  # print shows outputs only
            "nb_render_markdown_format": "gfm",  # tables from charts.table are GitHub-flavoured Markdown
            **latex.latex_overrides(target),
        }
        sphinx.build(target, latex_dir, work / "doctrees-latex", root, "latex", overrides)
    with Timer(report, "pdf"):
        pdf = latex.latex_to_pdf(latex_dir, PDF_NAME)
        out.parent.mkdir(parents=True, exist_ok=True)
        fresh = out.with_name(f".{out.name}.new")
        shutil.copyfile(pdf, fresh)
        fresh.replace(out)
        stamp.write_text(print_)
        latex.publish_pdf(out, build / "html")  # the web pages link it
    return report
