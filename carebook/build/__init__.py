"""Build the book: validate data, execute chapters, stage, run jupyter-book, publish atomically."""

from __future__ import annotations

import contextlib
import functools
import importlib
import json
import os
import shutil
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from carebook.build import cache, edition, run, sphinx, stage, validate
from carebook.errors import DataInvalid

PDF_NAME = "joined-up"


@dataclass
class Report:
    """What a build did: each chapter's outcome, each step's status and time; written to _build/report.json."""

    executor: str = "local"
    outcomes: list[run.Outcome] = field(default_factory=list)
    steps: dict[str, dict] = field(default_factory=dict)
    status: str = "running"
    error: str = ""

    def count(self, status: str) -> int:
        """How many chapters ended with `status`."""
        return sum(o.status == status for o in self.outcomes)

    def summary(self) -> str:
        """One line: chapters executed, cached and failed, and time per step."""
        steps = ", ".join(f"{name} {step['seconds']:.1f} s" for name, step in self.steps.items())
        counts = f"{self.count('executed')} executed, {self.count('cached')} cached, {self.count('failed')} failed"
        return f"{counts}; {steps}"

    def to_json(self) -> dict:
        """The report as tests and the benchmark read it."""
        return {
            "status": self.status,
            "error": self.error,
            "executor": self.executor,
            "chapters": {
                o.slug: {"status": o.status, "seconds": round(o.seconds, 2), "reads": o.reads} for o in self.outcomes
            },
            "steps": {name: {**step, "seconds": round(step["seconds"], 2)} for name, step in self.steps.items()},
        }

    def write(self, build: Path) -> Path:
        """Write _build/report.json (after every build, good or failed)."""
        path = build / "report.json"
        with contextlib.suppress(OSError):  # an unwritable build folder is reported by the build itself
            path.write_text(json.dumps(self.to_json(), indent=1) + "\n", encoding="utf-8")
        return path


class Timer:
    """Records the wall time and status (built, unchanged, failed) of a named step into a report."""

    def __init__(self, report: Report, name: str):
        self.report, self.name = report, name
        self.status = "built"

    def __enter__(self):
        self.start = time.monotonic()
        print(f"{self.name}...", flush=True)
        return self

    def __exit__(self, kind, *exc):
        status = "failed" if kind else self.status
        self.report.steps[self.name] = {"status": status, "seconds": time.monotonic() - self.start}


@contextlib.contextmanager
def lock(build_dir: Path):
    """Hold an exclusive lock on the build folder, so two builds (or a build and `serve`) never write it at once."""
    import fcntl
    import sys

    build_dir.mkdir(parents=True, exist_ok=True)
    with open(build_dir / ".lock", "w") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            print(f"waiting for another build of {build_dir} to finish...", file=sys.stderr, flush=True)
            fcntl.flock(handle, fcntl.LOCK_EX)
        yield


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
        import signal

        signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to report
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
    root: Path,
    build: Path,
    parameters: dict[str, dict],
    force: bool,
    workers: int | None,
    report: Report,
    scheduler: str | None = None,
) -> Path:
    """Validate, execute and stage; returns the staged tree."""
    bundle = _BackgroundBundle(build)  # forked first, while this process has no other thread
    try:
        with Timer(report, "validate"):
            problems = validate.validate(root / "data", memo=None if force else build / "cache" / "validate.stamp")
        if problems:
            raise DataInvalid("\n".join(problems))
        with Timer(report, "execute"):
            report.outcomes = run.run_chapters(
                root,
                build,
                parameters,
                force=force,
                workers=workers,
                executor=report.executor,
                scheduler=scheduler,
                meanwhile=_import_sphinx_meanwhile,
            )
        target = build / "stage"
        with Timer(report, "stage"):
            stage.stage(root, build, target, edition.edition(root), bundle.result())
    finally:
        bundle.abandon()
    _memoize_bibtex_plugins()
    return target


def build(
    root: Path,
    build_dir: Path,
    parameters: dict[str, dict] | None = None,
    *,
    formats: tuple[str, ...] = ("html",),
    force: bool = False,
    workers: int | None = None,
    executor: str = "local",
    scheduler: str | None = None,
) -> Report:
    """Prepare once, then build each format; _build/report.json records what happened, good or not."""
    report = Report(executor=executor)
    try:
        target = prepare(root, build_dir, parameters or {}, force, workers, report, scheduler)
        for name in formats:
            OUTPUTS[name](root, build_dir, target, report, force)
        report.status = "ok"
    except BaseException as exc:
        report.status, report.error = "failed", str(exc) or type(exc).__name__
        report.outcomes = getattr(exc, "outcomes", None) or report.outcomes
        raise
    finally:
        report.write(build_dir)
    return report


def html_fingerprint(target: Path) -> str:
    """The HTML step's stamp: the staged tree (pages, config, static files) and the Sphinx-side code."""
    return cache.digest(stage.fingerprint(target), cache.code_hash(cache.HTML_CODE))


def output_html(root: Path, build: Path, target: Path, report: Report, force: bool) -> None:
    """Build `build/html` from the staged tree; the previous HTML stays until the new one is complete."""
    stamp = cache.Stamp(build / "cache" / "html.stamp")
    fingerprint = html_fingerprint(target)
    if not force and stamp.matches(fingerprint, build / "html" / "index.html"):
        print("html... unchanged", flush=True)
        report.steps["html"] = {"status": "unchanged", "seconds": 0.0}
        return
    stamp.clear()
    work = build / ".work"
    with Timer(report, "html"):
        if not incremental_ok(target, build, force):
            # Anything but a page's body changed (navigation, titles, glossary, config, code): Sphinx would keep
            # stale sidebars and pages, so build from nothing, as a clean build does.
            shutil.rmtree(work / "html", ignore_errors=True)
            shutil.rmtree(work / "doctrees-html", ignore_errors=True)
        sphinx.build(target, work / "html", work / "doctrees-html", root, "html")
        publish(work / "html", build / "html")
        stamp.write(fingerprint)
        record_pages(target, build)


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
    changed = [name for name in now if now[name] != before[name]]
    for name in changed:
        if now[name]["title"] is None or now[name]["title"] != before[name]["title"] or "glossary" in name:
            return False
        if now[name]["title"] == "":
            return False
    return True


def record_pages(target: Path, build: Path) -> None:
    """Remember the staged tree the HTML was built from (for the next build's `incremental_ok`)."""
    (build / "cache" / PAGES_RECORD).write_text(json.dumps(staged_pages(target), indent=0), encoding="utf-8")


def output_pdf(root: Path, build: Path, target: Path, report: Report, force: bool) -> None:
    """Build `build/pdf/joined-up.pdf` from the same executed chapters; a failure leaves the old PDF.

    Sphinx's LaTeX builder writes `.work/latex/joined-up.tex` (code cells left out, tables and the
    bibliography arranged for print by carebook.sphinxext.latex); latexmk runs XeLaTeX on it. Any Sphinx
    warning, LaTeX error, unresolved reference or missing glyph raises SphinxFailed before the
    published PDF is touched. Nothing is rebuilt when the staged pages and the print code are unchanged.
    """
    from carebook.sphinxext import latex

    out = build / "pdf" / f"{PDF_NAME}.pdf"
    stamp = cache.Stamp(build / "cache" / "pdf.stamp")
    fingerprint = cache.digest(stage.fingerprint(target), cache.code_hash(cache.PDF_CODE))
    if not force and stamp.matches(fingerprint, out):
        print("pdf... unchanged", flush=True)
        latex.publish_pdf(out, build / "html")
        report.steps["pdf"] = {"status": "unchanged", "seconds": 0.0}
        return
    stamp.clear()
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
        stamp.write(fingerprint)
        latex.publish_pdf(out, build / "html")  # the web pages link it


OUTPUTS = {"html": output_html, "pdf": output_pdf}


def build_html(root: Path, build_dir: Path, parameters: dict[str, dict] | None = None, **options) -> Report:
    """Build the HTML book."""
    return build(root, build_dir, parameters, formats=("html",), **options)


def build_pdf(root: Path, build_dir: Path, parameters: dict[str, dict] | None = None, **options) -> Report:
    """Build the PDF edition."""
    return build(root, build_dir, parameters, formats=("pdf",), **options)
