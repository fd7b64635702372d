"""Build the book (`carebook.build.build`): validate data, execute chapters, stage, run Sphinx, publish atomically."""

from __future__ import annotations

import contextlib
import hashlib
import importlib
import os
import threading
from pathlib import Path

from carebook import _compat
from carebook.build import edition, metadata, progress, run, stage, validate
from carebook.build.atomic import write_atomic
from carebook.build.outputs import outputs, render
from carebook.build.report import Report, Timer

__all__ = ["OUTPUTS", "Report", "build", "build_html", "build_pdf", "lock", "prepare", "vega_bundle"]
from carebook.errors import DataInvalid

OUTPUTS = outputs()  # html, pdf, epub: carebook/build/outputs/


@contextlib.contextmanager
def lock(build_dir: Path):
    """Hold an exclusive lock on the build folder, so two builds (or a build and `serve`) never write it at once."""
    import fcntl

    build_dir.mkdir(parents=True, exist_ok=True)
    with open(build_dir / ".lock", "w") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            progress.waiting(f"waiting for another build of {build_dir} to finish...")
            fcntl.flock(handle, fcntl.LOCK_EX)
        yield


# The closure keeps the bundle's globals (such as `_`) from clashing with Sphinx's own scripts.
# The closure keeps the bundle's globals (such as `_`) from clashing with Sphinx's own scripts; the first line
# records the hash of the body, so a torn or edited cache file is made again, never published.
VEGA_WRAPPER = "(function(){{\n{bundle}\n}})();\n"
VEGA_HEADER = "/* {version}, bundled by vl-convert, sha256 {hash} */\n"


def vega_bundle(build: Path, force: bool = False) -> bytes:
    """vega, vega-lite and vega-embed in one script, from the pinned vl-convert, matching Altair's Vega-Lite.

    Kept in the build's cache and in the user's (`shared_cache`: the bundle depends on the installed packages
    alone, so a clean build of the book need not make it again), under a key of the installed vl-convert and
    Altair and the wrapper written around them; written atomically and checked against the hash in its first
    line when read; `force` bundles again.
    """
    found = None if force else cached_bundle(build)
    if found is not None:
        return found
    import altair as alt
    import vl_convert

    vl_version = ".".join(alt.SCHEMA_VERSION.lstrip("v").split(".")[:2])
    version = f"vega-{vl_convert.get_vega_version()}-lite-{vl_version}-embed-{vl_convert.get_vega_embed_version()}"
    body = VEGA_WRAPPER.format(bundle=vl_convert.javascript_bundle(vl_version=vl_version)).encode()
    content = VEGA_HEADER.format(version=version, hash=hashlib.sha256(body).hexdigest()).encode() + body
    write_atomic(build / "cache" / bundle_name(), content)
    with contextlib.suppress(OSError):  # the user's cache may be read-only: the build's own is enough
        write_atomic(shared_cache() / bundle_name(), content)
    return content


def bundle_name() -> str:
    """The bundle's file name: the installed vl-convert (which fixes vega and vega-embed) and Altair (which fixes
    Vega-Lite's version), read from the packages' metadata without importing them, and the wrapper."""
    from importlib.metadata import version

    from carebook.build import stamp

    packages = f"vl-convert-{version('vl-convert-python')}-altair-{version('altair')}"
    return f"vega-{packages}-{stamp.digest(VEGA_WRAPPER, VEGA_HEADER)[:12]}.js"


def shared_cache() -> Path:
    """The user's cache folder for what depends only on the installed packages ($XDG_CACHE_HOME/carebook)."""
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "carebook"


def cached_bundle(build: Path) -> bytes | None:
    """The bundle from the build's cache or else the user's (copied into the build's), if one holds it whole;
    found without importing Altair or vl-convert."""
    name = bundle_name()
    own, shared = build / "cache" / name, shared_cache() / name
    for place in (own, shared):
        found = place.read_bytes() if place.is_file() else b""
        if _bundle_intact(found):
            if place == shared:
                write_atomic(own, found)
            return found
    return None


def _bundle_intact(content: bytes) -> bool:
    """True when the cached bundle's body has the hash its first line records."""
    first, _, body = content.partition(b"\n")
    recorded = first.rsplit(b"sha256 ", 1)[-1].split(b" ", 1)[0] if b"sha256 " in first else b""
    return bool(recorded) and hashlib.sha256(body).hexdigest().encode() == recorded


class _BackgroundBundle:
    """`vega_bundle(build)` computed in a forked child while the parent validates and executes.

    vl-convert holds the GIL for the seconds it takes to bundle (on a clean build), so a thread would
    not overlap it with anything; a child process does. The parent also never imports altair and
    vl-convert, which a no-op build would otherwise pay for.
    """

    def __init__(self, build: Path, force: bool = False):
        import multiprocessing

        self.build, self.force = build, force
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
        data = vega_bundle(self.build, self.force)  # writes the cache file before anything is sent
        with contextlib.suppress(OSError):  # the parent gave up (a failed build): nothing to deliver
            send.send_bytes(data)

    def result(self) -> bytes:
        """The bundle; if the child failed, bundle here so that its error is raised in this process."""
        try:
            data = self.receive.recv_bytes()
        except EOFError:
            data = vega_bundle(self.build)
        finally:
            self.abandon()
            self.process.join()
        _KNOWN_BUNDLES[self.build] = _Known(data)  # the installed versions, hence the bundle, outlive the build
        return data

    def abandon(self) -> None:
        """Stop listening; the child still finishes its cache file (the interpreter waits for it at exit)."""
        self.receive.close()


class _Known:
    """A bundle this process has already made or read (`carebook serve` builds many times in one process)."""

    def __init__(self, data: bytes):
        self.data = data

    def result(self) -> bytes:
        return self.data

    def abandon(self) -> None:
        pass


_KNOWN_BUNDLES: dict[Path, _Known] = {}


def _known_on_disk(build: Path) -> _Known | None:
    """The bundle a cache already holds whole (nothing to fork for)."""
    found = cached_bundle(build)
    return _Known(found) if found is not None else None


SPHINX_MODULES = (
    "jupyter_book.sphinx",
    "sphinx.builders.html",
    "myst_nb.sphinx_ext",
    "sphinx_book_theme",
    "sphinxcontrib.bibtex",
)
# What staging imports: pandas (the downloads' citations) and its own modules.
STAGE_MODULES = (
    "pandas",
    "carebook.build.bibexport",
    "carebook.build.bundles",
    "carebook.build.changes",
    "carebook.build.downloads",
    "carebook.build.generated",
)


JUPYTER_BOOK_ADDS = ("sphinx_jupyterbook_latex", "sphinx_multitoc_numbering")  # jupyter_book.config adds them


def _sphinx_extensions() -> list[str]:
    """The extensions every Sphinx application of the book loads: Sphinx's own and jupyter-book's."""
    with contextlib.suppress(Exception):
        from jupyter_book.config import get_default_sphinx_config
        from sphinx.application import builtin_extensions

        return [*builtin_extensions, *get_default_sphinx_config()["extensions"], *JUPYTER_BOOK_ADDS]
    return []


def _import_sphinx_meanwhile() -> None:
    """Import what staging and the Sphinx step need in a thread while chapters run (a second or two saved).

    Chapters only run when a page will change, so staging and the Sphinx step follow; a failed import here is
    ignored, and raised again where the step imports the module itself.
    """

    def load() -> None:
        for name in (*STAGE_MODULES, *SPHINX_MODULES, *_sphinx_extensions()):
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
    known = None if force else _KNOWN_BUNDLES.get(build) or _known_on_disk(build)
    bundle = known or _BackgroundBundle(build, force)  # forked first, while this process has no other thread
    try:
        with run.kernels_ahead(root, build, force=force, workers=workers, executor=report.executor) as pool:
            with Timer(report, "validate"):
                problems = validate.validate(root / "data", memo=None if force else build / "cache" / "validate.stamp")
                problems += metadata.problems(root)
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
                    pool=pool,
                )
        target = build / "stage"
        with Timer(report, "stage"):
            stage.stage(root, build, target, edition.edition(root), bundle.result(), parameters, force=force)
    finally:
        bundle.abandon()
    _compat.memoize_pybtex_plugins()
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
            render(OUTPUTS[name], root, build_dir, target, report, force)
        report.status = "ok"
    except BaseException as exc:
        report.status, report.error = "failed", str(exc) or type(exc).__name__
        report.outcomes = getattr(exc, "outcomes", None) or report.outcomes
        raise
    finally:
        report.write(build_dir)
    return report


def build_html(root: Path, build_dir: Path, parameters: dict[str, dict] | None = None, **options) -> Report:
    """Build the HTML book."""
    return build(root, build_dir, parameters, formats=("html",), **options)


def build_pdf(root: Path, build_dir: Path, parameters: dict[str, dict] | None = None, **options) -> Report:
    """Build the PDF edition."""
    return build(root, build_dir, parameters, formats=("pdf",), **options)
