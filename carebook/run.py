"""Execute chapters with papermill, one fresh kernel each, in parallel, reusing cached results."""

from __future__ import annotations

import contextlib
import functools
import multiprocessing
import multiprocessing.util
import os
import re
import sys
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path

from carebook import cache
from carebook.toc import Page, chapters

CELL_TIMEOUT = 600
KEY_PACKAGES = ("pandas", "altair", "vl-convert-python", "papermill", "myst-nb", "jupyter-book", "sphinx")


@dataclass
class Job:
    """A chapter to execute: where it comes from, with what parameters, where its output goes."""

    page: Page
    parameters: dict
    output: Path
    log: Path
    key: str
    ahead: bool = False  # more chapters follow: start this worker's next kernel while this chapter runs


@dataclass
class Outcome:
    """What happened to one chapter."""

    slug: str
    status: str  # done, cached or failed
    seconds: float = 0.0
    error: str = ""
    deps: list[Path] = field(default_factory=list)


class ExecutionFailed(Exception):
    """One or more chapters raised; the message has one line per failure."""


def environment_hash(root: Path) -> str:
    """What every chapter depends on besides itself: the lock file and the carebook package."""
    return cache.file_hash(root / "requirements.lock") + cache.tree_hash(Path(__file__).parent)


def versions() -> dict[str, str]:
    """Python and the key package versions, recorded in every executed notebook."""
    found = {"python": sys.version.split()[0]}
    for name in KEY_PACKAGES:
        with contextlib.suppress(metadata.PackageNotFoundError):
            found[name] = metadata.version(name)
    return found


def say(slug: str, status: str, detail: str = "") -> None:
    """One progress line per chapter event."""
    print(f"  {status:<8} {slug}{'  ' + detail if detail else ''}", flush=True)


def _source_line(page: Page, source: str) -> int:
    """The line of `page` where a code cell with `source` starts (0 if not found)."""
    text = page.path.read_text(encoding="utf-8")
    first = next((line for line in source.splitlines() if line.strip()), "")
    at = text.find(first) if first else -1
    return text.count("\n", 0, at) + 1 if at >= 0 else 0


def _line_in_cell(exc: Exception) -> int:
    """The 1-based line within the failing cell, from IPython's 'Cell In[n], line k' (1 if absent)."""
    text = "\n".join(getattr(exc, "traceback", None) or [str(exc)])
    found = re.search(r"Cell In\[\d+\], line (\d+)", re.sub(r"\x1b\[[0-9;]*m", "", text))
    return int(found.group(1)) if found else 1


def describe_failure(page: Page, root: Path, exc: Exception, code_sources: list[str]) -> str:
    """One line naming the file and line, the chapter, the code cell and the exception."""
    source = getattr(exc, "source", "") or ""
    number = next((i for i, s in enumerate(code_sources, 1) if s.strip() and s.strip() == source.strip()), 0)
    start = _source_line(page, source) if source else 0
    offset = _line_in_cell(exc) - 1 - (len(source) - len(source.lstrip("\n"))) if source else 0
    ename = getattr(exc, "ename", type(exc).__name__)
    evalue = str(getattr(exc, "evalue", exc)).strip().splitlines()
    where = f"{relative(page.path, root)}:{start + max(offset, 0)}" if start else relative(page.path, root)
    cell = f", code cell {number}" if number else ""
    return f"{where}: chapter '{page.slug}'{cell}: {ename}: {evalue[0] if evalue else ''}"


def relative(path: Path, root: Path) -> str:
    """`path` relative to `root` when inside it, else as it is."""
    return os.path.relpath(path, root) if path.is_relative_to(root) else str(path)


@dataclass
class Spare:
    """A kernel started ahead in a worker process, idle until the worker's next chapter (which alone uses it)."""

    manager: object  # a jupyter_client AsyncKernelManager that remembers its clients (see _manager_class)
    deps: Path  # the file in which that chapter notes what it reads: fixed in the kernel's environment
    cwd: Path


_spares: list[Spare] = []  # in a worker process: at most one


def _deps_file() -> Path:
    """A new empty file for a chapter to note the files it reads in."""
    with tempfile.NamedTemporaryFile("r", suffix=".deps", delete=False) as deps_file:
        return Path(deps_file.name)


@functools.cache
def _manager_class() -> type:
    """jupyter_client's AsyncKernelManager, remembering the clients it makes.

    papermill leaves a kernel it did not start running, with its client connected; whoever started it
    stops both (see `_stop`).
    """
    from jupyter_client.manager import AsyncKernelManager

    class ChapterKernelManager(AsyncKernelManager):
        def client(self, **kwargs):
            made = super().client(**kwargs)
            self.__dict__.setdefault("carebook_clients", []).append(made)
            return made

    return ChapterKernelManager


def _start_spare(cwd: Path) -> None:
    """Start the kernel for this worker's next chapter now, so that it is ready when the chapter begins.

    Starting a kernel takes most of a second, much of it waiting; overlapped with the running chapter,
    it mostly disappears. The kernel gets the environment papermill's would, with its own file of reads.
    """
    from jupyter_core.utils import run_sync

    from carebook.data import DEPS_ENV

    deps = _deps_file()
    manager = _manager_class()(kernel_name="python3")
    env = {**os.environ, DEPS_ENV: str(deps)}
    # nbclient gives the kernels it starts an in-memory history; so does this
    run_sync(manager.start_kernel)(extra_arguments=["--HistoryManager.hist_file=:memory:"], cwd=str(cwd), env=env)
    _spares.append(Spare(manager, deps, cwd))
    _drop_spares_at_exit()


@functools.cache
def _drop_spares_at_exit() -> None:
    """Once per worker: stop an unused spare kernel when the worker exits."""
    multiprocessing.util.Finalize(None, _drop_spares, exitpriority=10)


def _stop(manager) -> None:
    """Close the clients of a kernel and stop it at once."""
    from jupyter_core.utils import run_sync

    for client in manager.__dict__.get("carebook_clients", []):
        client.stop_channels()
    with contextlib.suppress(Exception):  # already gone
        run_sync(manager.shutdown_kernel)(now=True)


def _drop_spares() -> None:
    """Stop a kernel started ahead for a chapter that never came (when the worker exits)."""
    while _spares:
        spare = _spares.pop()
        _stop(spare.manager)
        spare.deps.unlink(missing_ok=True)


def _take_spare(cwd: Path) -> Spare | None:
    """The kernel started ahead for this chapter, if there is one, alive, in the chapter's folder."""
    from jupyter_core.utils import run_sync

    spare = _spares.pop() if _spares else None
    if spare and (spare.cwd != cwd or not run_sync(spare.manager.is_alive)()):
        _spares.append(spare)
        _drop_spares()
        return None
    return spare


def execute(job: Job, root: Path) -> Outcome:
    """Run one chapter in a fresh kernel (called in a worker process)."""
    import jupytext
    import papermill

    from carebook.data import DATA_ENV, DEPS_ENV  # here, not at the top: it loads pandas, which a no-op never needs

    job.output.parent.mkdir(parents=True, exist_ok=True)
    job.output.unlink(missing_ok=True)  # a failed run must never leave an older notebook looking like its own
    job.log.parent.mkdir(parents=True, exist_ok=True)
    with open(job.log, "w", encoding="utf-8") as log:
        os.dup2(log.fileno(), 2)  # kernel chatter goes to the log, not the terminal
    cwd = job.page.path.parent
    spare = _take_spare(cwd)
    deps_path = spare.deps if spare else _deps_file()
    os.environ[DEPS_ENV] = str(deps_path)
    os.environ[DATA_ENV] = str(root / "data")
    os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [str(root), os.environ.get("PYTHONPATH")]))
    os.environ.setdefault("PYDEVD_DISABLE_FILE_VALIDATION", "1")
    notebook = jupytext.read(job.page.path)
    for number, cell in enumerate(notebook.cells, 1):
        cell["id"] = f"cell-{number}"  # jupytext's ids are random; stable ones keep builds byte-identical
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    notebook.metadata["carebook"] = {"versions": versions(), "parameters": job.parameters}
    code_sources = [cell.source for cell in notebook.cells if cell.cell_type == "code"]
    say(job.page.slug, "running")
    start = time.monotonic()
    if job.ahead:
        _start_spare(cwd)
    try:
        papermill.execute_notebook(
            notebook,
            str(job.output),
            parameters=job.parameters,
            cwd=str(cwd),
            kernel_name="python3",
            progress_bar=False,
            log_output=False,
            execution_timeout=CELL_TIMEOUT,
            # papermill would otherwise rewrite (and re-validate) the whole notebook before and after every cell;
            # it still writes it once at the end, and with the error marked when a cell raises.
            request_save_on_cell_execute=False,
            # Once the last cell's outputs are in, the kernel has nothing left to give: stopping it at once saves
            # the half second a graceful shutdown waits for it, in every chapter.
            shutdown_kernel="immediate",
            **({"km": spare.manager} if spare else {}),
        )
    except Exception as exc:  # papermill's PapermillExecutionError, or a kernel that died
        return Outcome(
            job.page.slug, "failed", time.monotonic() - start, describe_failure(job.page, root, exc, code_sources)
        )
    finally:
        if spare:
            _stop(spare.manager)
        deps = [Path(p) for p in deps_path.read_text(encoding="utf-8").split()]
        deps_path.unlink(missing_ok=True)
    return Outcome(job.page.slug, "done", time.monotonic() - start, deps=deps)


def plan(root: Path, build: Path, parameters: dict[str, dict], force: bool = False, only: set[str] | None = None):
    """Split the chapters into those to run and those whose cached output is still good."""
    env = environment_hash(root)
    to_run, cached = [], []
    for page in chapters(root):
        if only and page.slug not in only:
            continue
        params = parameters.get(page.slug, {})
        job = Job(
            page,
            params,
            build / "executed" / f"{page.slug}.ipynb",
            build / "logs" / f"{page.slug}.log",
            cache.key(page.path, params, env),
        )
        fresh = cache.Manifest(build / "cache", page.slug).is_fresh(job.key, job.output)
        (cached if fresh and not force else to_run).append(job)
    return longest_first(to_run, build), cached


def longest_first(jobs: list[Job], build: Path) -> list[Job]:
    """The jobs, longest expected first, so that the last to start are short and the workers finish together.

    The expected time is the chapter's last recorded run when every job has one, else its source's size.
    """
    recorded = [(cache.Manifest(build / "cache", job.page.slug).read() or {}).get("seconds") for job in jobs]
    if all(seconds is not None for seconds in recorded):
        return [job for _, job in sorted(zip(recorded, jobs, strict=True), key=lambda pair: -pair[0])]
    return sorted(jobs, key=lambda job: -job.page.path.stat().st_size)


def run_chapters(
    root: Path,
    build: Path,
    parameters: dict[str, dict] | None = None,
    *,
    force: bool = False,
    workers: int | None = None,
    only: set[str] | None = None,
    meanwhile: Callable[[], None] | None = None,
) -> list[Outcome]:
    """Execute every chapter that needs it; raise ExecutionFailed naming each failure.

    `meanwhile` is called once all chapters are handed to the workers (already forked, so it may start a
    thread), to do other work while they run; it is not called when no chapter needs running.
    """
    to_run, cached = plan(root, build, parameters or {}, force, only)
    outcomes = [Outcome(job.page.slug, "cached") for job in cached]
    for outcome in outcomes:
        say(outcome.slug, "cached")
    for job in to_run:
        say(job.page.slug, "queued")
    if to_run:
        workers = workers or os.cpu_count() or 1
        workers = min(workers, len(to_run))
        for number, job in enumerate(to_run):
            job.ahead = number + workers < len(to_run)  # a worker's next chapter is about `workers` places on
        context = multiprocessing.get_context("fork")
        with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
            futures = {pool.submit(execute, job, root): job for job in to_run}
            if meanwhile:
                meanwhile()
            for future in as_completed(futures):
                job = futures[future]
                outcome = future.result()
                manifest = cache.Manifest(build / "cache", job.page.slug)
                if outcome.status == "done":
                    manifest.write(job.key, outcome.deps, outcome.seconds)
                    say(outcome.slug, "done", f"in {outcome.seconds:.1f} s")
                else:
                    manifest.clear()
                    kept = job.output.exists()
                    detail = f"notebook kept at {relative(job.output, root)}" if kept else "no notebook written"
                    say(outcome.slug, "failed", f"({detail})")
                outcomes.append(outcome)
    failures = [o.error for o in outcomes if o.status == "failed"]
    if failures:
        raise ExecutionFailed("\n".join(failures))
    order = {page.slug: i for i, page in enumerate(chapters(root))}
    return sorted(outcomes, key=lambda o: order.get(o.slug, 0))
