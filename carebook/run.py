"""Execute chapters: a chapter job is a pure function (text, parameters, data folder in; executed notebook and
files read out), run on an executor behind one seam (a local fork pool, threads, or Dask)."""

from __future__ import annotations

import contextlib
import functools
import json
import multiprocessing
import multiprocessing.util
import os
import re
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path

from carebook import cache
from carebook.errors import ExecutionFailed, load_yaml, read_text
from carebook.toc import Page, chapters

CELL_TIMEOUT = 600  # seconds a code cell may run before the chapter fails (CAREBOOK_CELL_TIMEOUT overrides)
OUTPUT_LIMIT = 1_000_000  # bytes of output a code cell may produce (CAREBOOK_OUTPUT_LIMIT overrides)
SLOW_CELL = 30  # seconds after which the build says which cell is still running
KEY_PACKAGES = ("pandas", "altair", "vl-convert-python", "papermill", "myst-nb", "jupyter-book", "sphinx")
INJECTED = "injected-parameters"
ERROR_BANNER = "papermill-error-cell-tag"
PROGRESS_TOPIC = "carebook-progress"

__all__ = ["CELL_TIMEOUT", "ExecutionFailed", "OUTPUT_LIMIT", "run_chapters"]


@dataclass(frozen=True)
class ChapterJob:
    """Everything one chapter's run needs, and nothing shared: picklable, for any worker."""

    slug: str
    source: str  # the chapter's path relative to the root, for messages
    text: str  # the chapter's MyST-markdown
    parameters: dict
    root: str  # the book's root as the worker sees it: reads are recorded relative to it
    data_dir: str
    timeout: int = CELL_TIMEOUT
    output_limit: int = OUTPUT_LIMIT
    ahead: bool = False  # the worker's next chapter follows: start its kernel while this one runs
    progress: str = "print"  # print, or "dask" (an event the client prints)


@dataclass
class ChapterResult:
    """What one chapter's run gave: its executed notebook (JSON text) and the files it read."""

    slug: str
    status: str  # executed or failed
    seconds: float = 0.0
    notebook: str | None = None
    reads: dict[str, str] = field(default_factory=dict)  # path relative to root -> sha256 when read
    error: str = ""
    log: str = ""  # the kernel's own stderr
    changed: list[str] = field(default_factory=list)  # files read more than once with different contents


@dataclass
class Outcome:
    """What happened to one chapter in a build."""

    slug: str
    status: str  # executed, cached or failed
    seconds: float = 0.0
    error: str = ""
    reads: list[str] = field(default_factory=list)


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


def _reporter(job: ChapterJob) -> Callable[[str, str], None]:
    """Where this job's progress lines go: the terminal, or the Dask client that submitted it."""
    if job.progress == "dask":
        from distributed import get_worker

        worker = get_worker()
        return lambda status, detail="": worker.log_event(PROGRESS_TOPIC, [job.slug, status, detail])
    return lambda status, detail="": say(job.slug, status, detail)


def relative(path: Path, root: Path) -> str:
    """`path` relative to `root` when inside it, else as it is."""
    return os.path.relpath(path, root) if Path(path).is_relative_to(root) else str(path)


# ---------------------------------------------------------------- reading a chapter


def read_chapter(text: str):
    """The chapter as a notebook, with stable cell ids (jupytext's are random)."""
    import jupytext

    notebook = jupytext.reads(text, fmt="md:myst")
    for number, cell in enumerate(notebook.cells, 1):
        cell["id"] = f"cell-{number}"
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    return notebook


def check_front_matter(text: str, name: str) -> None:
    """Refuse a chapter whose YAML front matter does not parse, naming the file, line and column."""
    if text.startswith("---\n"):
        block = text[4:].split("\n---", 1)[0]
        load_yaml(block, name, first_line=2)


def code_cells(notebook) -> list[str]:
    """The sources of the code cells (with their tags: a tag such as `parameters` changes the run)."""
    return [
        json.dumps([cell.source, cell.metadata.get("tags", [])]) for cell in notebook.cells if cell.cell_type == "code"
    ]


def line_map(text: str) -> list[int]:
    """For each cell of the chapter, the file line (1-based) of its first source line (MyST-NB's source map)."""
    from myst_nb.core.read import read_myst_markdown_notebook
    from myst_parser.config.main import MdParserConfig

    lines = text.splitlines()
    notebook = read_myst_markdown_notebook(text, MdParserConfig(), add_source_map=True)
    starts = []
    for cell, fence in zip(notebook.cells, notebook.metadata.get("source_map", []), strict=False):
        if cell.cell_type != "code":
            starts.append(fence + 1)
            continue
        at = fence  # the line after the fence, 0-based
        if at < len(lines) and lines[at].strip() == "---":  # a YAML block of options
            at = next((i + 1 for i in range(at + 1, len(lines)) if lines[i].strip() == "---"), at)
        while at < len(lines) and lines[at].startswith(":"):
            at += 1
        first = next((line for line in cell.source.splitlines() if line.strip()), "")
        while at < len(lines) and first and lines[at] != first and not lines[at].startswith("```"):
            at += 1
        starts.append(at + 1)
    return starts


def original_index(cells: list, index: int) -> int:
    """The chapter's own cell index of the executed notebook's cell `index` (papermill adds a parameters cell)."""
    return index - sum(INJECTED in cell.get("metadata", {}).get("tags", []) for cell in cells[:index])


def _line_in_cell(traceback: list[str] | str) -> int:
    """The 1-based line within the failing cell, from IPython's 'Cell In[n], line k' (1 if absent)."""
    text = "\n".join(traceback) if isinstance(traceback, list) else str(traceback)
    found = re.findall(r"Cell In\[\d+\], line (\d+)", re.sub(r"\x1b\[[0-9;]*m", "", text))
    return int(found[-1]) if found else 1


def place(job: ChapterJob, cells: list, index: int, line_in_cell: int = 1) -> str:
    """'book/x.md:42: chapter 'x', code cell 3' for the executed notebook's cell `index`."""
    own = original_index(cells, index)
    chapter_cells = [c for c in cells if INJECTED not in c.get("metadata", {}).get("tags", [])]
    number = sum(c.get("cell_type") == "code" for c in chapter_cells[: own + 1])
    starts = line_map(job.text)
    line = starts[own] + line_in_cell - 1 if own < len(starts) else 0
    where = f"{job.source}:{line}" if line else job.source
    return f"{where}: chapter '{job.slug}', code cell {number}"


# ---------------------------------------------------------------- running one chapter


@dataclass
class Spare:
    """A kernel started ahead in a worker, idle until the same thread's next chapter (which alone uses it)."""

    manager: object
    folder: tempfile.TemporaryDirectory
    cwd: str


_worker = threading.local()  # per worker thread: at most one spare kernel


@functools.cache
def _manager_class() -> type:
    """jupyter_client's AsyncKernelManager, remembering the clients it makes (whoever starts a kernel stops them)."""
    from jupyter_client.manager import AsyncKernelManager

    class ChapterKernelManager(AsyncKernelManager):
        def client(self, **kwargs):
            made = super().client(**kwargs)
            self.__dict__.setdefault("carebook_clients", []).append(made)
            return made

    return ChapterKernelManager


def _kernel_env(job: ChapterJob, folder: Path) -> dict[str, str]:
    """The kernel's environment, given explicitly: where to note reads, the data and the root on the path."""
    from carebook.data import DATA_ENV
    from carebook.reads import DEPS_ENV, ROOT_ENV

    env = dict(os.environ)
    env.update(
        {
            DEPS_ENV: str(folder / "reads.tsv"),
            ROOT_ENV: job.root,
            DATA_ENV: job.data_dir,
            "PYTHONPATH": os.pathsep.join(filter(None, [job.root, os.environ.get("PYTHONPATH")])),
            "PYDEVD_DISABLE_FILE_VALIDATION": "1",
        }
    )
    return env


def _start_kernel(job: ChapterJob, cwd: str) -> Spare:
    """A fresh kernel in `cwd` with its own folder (reads, stderr log), recording the reads under the root."""
    from jupyter_core.utils import run_sync

    folder = tempfile.TemporaryDirectory(prefix=f"carebook-{job.slug}-")
    manager = _manager_class()(kernel_name="python3")
    with open(Path(folder.name) / "kernel.log", "w", encoding="utf-8") as log:
        run_sync(manager.start_kernel)(
            extra_arguments=[
                "--HistoryManager.hist_file=:memory:",
                "--IPKernelApp.exec_lines=__import__('carebook.reads').reads.install()",
            ],
            cwd=cwd,
            env=_kernel_env(job, Path(folder.name)),
            stderr=log,
            stdout=log,
        )
    return Spare(manager, folder, cwd)


def _stop(spare: Spare) -> None:
    """Close a kernel's clients and stop it at once."""
    from jupyter_core.utils import run_sync

    for client in spare.manager.__dict__.get("carebook_clients", []):
        client.stop_channels()
    with contextlib.suppress(Exception):  # already gone
        run_sync(spare.manager.shutdown_kernel)(now=True)


def _kernel_for(job: ChapterJob, cwd: str) -> Spare:
    """The kernel started ahead on this thread for this chapter if it is alive and fits, else a new one."""
    from jupyter_core.utils import run_sync

    spare = getattr(_worker, "spare", None)
    _worker.spare = None
    if spare and spare.cwd == cwd and run_sync(spare.manager.is_alive)():
        return spare  # same root, data and folder: its own file of reads is empty until this chapter reads
    if spare:
        _stop(spare)
        spare.folder.cleanup()
    return _start_kernel(job, cwd)


def _drop_spare() -> None:
    """Stop a kernel started ahead for a chapter that never came (when the worker exits)."""
    spare = getattr(_worker, "spare", None)
    _worker.spare = None
    if spare:
        _stop(spare)
        spare.folder.cleanup()


@functools.cache
def _drop_spare_at_exit() -> None:
    """Once per worker process: stop an unused spare kernel when the worker exits."""
    multiprocessing.util.Finalize(None, _drop_spare, exitpriority=10)


class CellWatch:
    """Follows which cell runs (nbclient's hooks) and says so when one runs for more than SLOW_CELL seconds."""

    def __init__(self, job: ChapterJob, report: Callable, cells: list):
        self.job, self.report, self.cells = job, report, cells
        self.index: int | None = None
        self.started = 0.0
        self.done = threading.Event()
        self.thread = threading.Thread(target=self._watch, daemon=True)

    def start(self, cell, cell_index: int) -> None:
        self.index, self.started = cell_index, time.monotonic()

    def _watch(self) -> None:
        told = None
        while not self.done.wait(5):
            if self.index is not None and self.index != told and time.monotonic() - self.started > SLOW_CELL:
                told = self.index
                seconds = int(time.monotonic() - self.started)
                self.report("slow", f"{place(self.job, self.cells, self.index)} has run for {seconds} s")


def _reads(path: Path) -> tuple[dict[str, str], list[str]]:
    """The files a kernel noted (relative path -> hash) and those it read twice with different contents."""
    found: dict[str, str] = {}
    changed = set()
    if path.exists():
        for line in path.read_text(encoding="utf-8").splitlines():
            name, _, digest = line.partition("\t")
            if found.get(name, digest) != digest:
                changed.add(name)
            found.setdefault(name, digest)
    return found, sorted(changed)


def unclean(job: ChapterJob, cells: list) -> str:
    """The first way an executed chapter is not clean (stderr, a warning, sys.exit, too much output), or ''."""
    for index, cell in enumerate(cells):
        if cell.get("cell_type") != "code":
            continue
        size = 0
        for output in cell.get("outputs", []):
            size += len(json.dumps(output.get("data", output.get("text", ""))))
            if output.get("output_type") == "stream" and output.get("name") == "stderr":
                first = next((ln for ln in "".join(output["text"]).splitlines() if ln.strip()), "").strip()
                warned = re.match(r"^\S*:(\d+): (\w*Warning): (.*)$", first)
                if warned:  # warnings.warn: name the line in the cell, not the kernel's temporary file
                    line, kind, text = int(warned.group(1)), warned.group(2), warned.group(3)
                    return f"{place(job, cells, index, line)}: raised a warning: {kind}: {text[:200]}"
                return f"{place(job, cells, index)}: wrote to stderr: {first[:200]}"
            if output.get("output_type") == "error":
                ename, evalue = output.get("ename", ""), output.get("evalue", "")
                return f"{place(job, cells, index, _line_in_cell(output.get('traceback', [])))}: {ename}: {evalue}"
        if size > job.output_limit:
            return (
                f"{place(job, cells, index)}: produced {size:,} bytes of output, over the limit of "
                f"{job.output_limit:,} bytes (CAREBOOK_OUTPUT_LIMIT sets it)"
            )
    return ""


def execute_chapter(job: ChapterJob) -> ChapterResult:
    """Run one chapter in a fresh kernel and return its executed notebook and the files it read.

    A pure function of the job: no environment variable, file descriptor or module state of the caller is
    changed, so it is safe in a process pool, on threads and on a remote Dask worker.
    """
    import nbformat
    import papermill

    report = _reporter(job)
    notebook = read_chapter(job.text)
    notebook.metadata["carebook"] = {"versions": versions(), "parameters": job.parameters}
    cwd = str(Path(job.root) / Path(job.source).parent)
    report("running")
    start = time.monotonic()
    kernel = _kernel_for(job, cwd)
    folder = Path(kernel.folder.name)
    if job.ahead:
        _worker.spare = _start_kernel(job, cwd)
        _drop_spare_at_exit()
    output = folder / "executed.ipynb"
    watch = CellWatch(job, report, notebook.cells)
    watch.thread.start()
    error = ""
    try:
        papermill.execute_notebook(
            notebook,
            str(output),
            parameters=job.parameters,
            cwd=cwd,
            kernel_name="python3",
            progress_bar=False,
            log_output=False,
            execution_timeout=job.timeout,
            # papermill would otherwise rewrite the whole notebook after every cell; it still writes it at the end.
            request_save_on_cell_execute=False,
            shutdown_kernel="immediate",
            km=kernel.manager,
            on_cell_start=watch.start,
        )
    except Exception as exc:  # papermill's PapermillExecutionError, a timeout or a dead kernel
        error = _describe(job, exc, output, watch)
    finally:
        watch.done.set()
        _stop(kernel)
        reads, changed = _reads(folder / "reads.tsv")
        log = (folder / "kernel.log").read_text(encoding="utf-8", errors="replace")
        text = output.read_text(encoding="utf-8") if output.exists() else None
        kernel.folder.cleanup()
    seconds = time.monotonic() - start
    if not error and text:
        error = unclean(job, nbformat.reads(text, as_version=4).cells)
    status = "failed" if error or not text else "executed"
    return ChapterResult(job.slug, status, seconds, text, reads, error or "", log, changed)


def _describe(job: ChapterJob, exc: Exception, output: Path, watch: CellWatch) -> str:
    """One line naming the file and line, the chapter, the code cell and what went wrong."""
    import nbformat

    cells = nbformat.read(output, as_version=4).cells if output.exists() else watch.cells
    # papermill puts a banner cell at the top of a failed notebook after counting the failing cell's index
    cells = [c for c in cells if ERROR_BANNER not in c.get("metadata", {}).get("tags", [])]
    index = getattr(exc, "cell_index", None)
    if index is not None:
        evalue = str(exc.evalue).strip().splitlines()
        where = place(job, cells, index, _line_in_cell(exc.traceback))
        return f"{where}: {exc.ename}: {evalue[0] if evalue else ''}"
    kind = type(exc).__name__
    if kind == "CellTimeoutError":
        what = f"the cell ran for more than {job.timeout} s, the limit per cell (CAREBOOK_CELL_TIMEOUT sets it)"
    elif kind == "DeadKernelError":
        what = "the kernel died (out of memory, or a crash in compiled code)"
    else:
        what = f"{kind}: {str(exc).strip().splitlines()[0] if str(exc).strip() else ''}"
    if watch.index is None:
        return f"{job.source}: chapter '{job.slug}': {what}"
    return f"{place(job, cells, watch.index)}: {what}"


# ---------------------------------------------------------------- the build's side: plan, merge, run, record


def reads_changed_since(root: Path, result: ChapterResult) -> list[str]:
    """Files the chapter read that differ now from what it read (saved during the run)."""
    return sorted(set(result.changed) | set(cache.changed_reads(root, result.reads)))


def merge_prose(cached: dict, chapter) -> dict:
    """The cached executed notebook with the chapter's current markdown cells (code cells and outputs kept).

    Valid only when the code cells are unchanged (the chapter key says so), as jupyter-cache merges. A markdown
    cell whose text is unchanged is kept as it is, so that an unchanged chapter gives an unchanged notebook.
    """
    queue = [cell for cell in cached["cells"] if cell["cell_type"] == "code"]
    old_prose = [cell for cell in cached["cells"] if cell["cell_type"] != "code"]
    cells = []
    for number, cell in enumerate(chapter.cells, 1):
        if cell.cell_type == "code":
            kept = queue.pop(0)
            kept["id"] = f"cell-{number}"
            cells.append(kept)
            while queue and INJECTED in queue[0]["metadata"].get("tags", []):
                cells.append(queue.pop(0))
            continue
        before = old_prose.pop(0) if old_prose else None
        if before and before["source"] == cell.source and before["cell_type"] == cell.cell_type:
            cells.append({**before, "id": f"cell-{number}"})
        else:
            new = json.loads(json.dumps(cell))
            new["metadata"] = {"tags": [], **new.get("metadata", {})}  # as papermill leaves an executed cell
            cells.append(new)
    return {**cached, "cells": cells}


@dataclass
class Planned:
    """A chapter of this build: its job, where its notebook goes, and its key."""

    page: Page
    job: ChapterJob
    output: Path
    key: str
    notebook: object  # the chapter read as a notebook (for merging prose)


def plan(root: Path, build: Path, parameters: dict[str, dict], force: bool = False):
    """Split the chapters into those to run and those whose cached outputs are still good."""
    lock = root / "requirements.lock"
    data_dir = str(root / "data")
    limit = int(os.environ.get("CAREBOOK_OUTPUT_LIMIT", OUTPUT_LIMIT))
    timeout = int(os.environ.get("CAREBOOK_CELL_TIMEOUT", CELL_TIMEOUT))
    to_run, cached = [], []
    for page in chapters(root):
        text = read_text(page.path, root)
        check_front_matter(text, relative(page.path, root))
        params = parameters.get(page.slug, {})
        notebook = read_chapter(text)
        key = cache.chapter_key(code_cells(notebook), notebook.metadata.get("kernelspec", {}), params, lock)
        job = ChapterJob(page.slug, relative(page.path, root), text, params, str(root), data_dir, timeout, limit)
        item = Planned(page, job, build / "executed" / f"{page.slug}.ipynb", key, notebook)
        fresh = cache.Manifest(build / "cache", page.slug).is_fresh(key, item.output, root)
        (cached if fresh and not force else to_run).append(item)
    return longest_first(to_run, build), cached


def longest_first(items: list[Planned], build: Path) -> list[Planned]:
    """The jobs, longest expected first, so that the workers finish together (last run's time, else size)."""
    recorded = [(cache.Manifest(build / "cache", item.page.slug).read() or {}).get("seconds") for item in items]
    if all(seconds is not None for seconds in recorded):
        return [item for _, item in sorted(zip(recorded, items, strict=True), key=lambda pair: -pair[0])]
    return sorted(items, key=lambda item: -len(item.job.text))


def write_if_changed(path: Path, text: str) -> None:
    """Write `text` to `path` unless it holds it already."""
    if not path.exists() or path.read_text(encoding="utf-8") != text:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")


def reuse(item: Planned) -> None:
    """Bring the cached notebook up to the chapter's current prose (a no-op when the prose is unchanged)."""
    import nbformat

    cached = json.loads(item.output.read_text(encoding="utf-8"))
    merged = merge_prose(cached, item.notebook)
    if merged != cached:
        write_if_changed(item.output, nbformat.writes(nbformat.from_dict(merged)))


def run_chapters(
    root: Path,
    build: Path,
    parameters: dict[str, dict] | None = None,
    *,
    force: bool = False,
    workers: int | None = None,
    executor: str = "local",
    scheduler: str | None = None,
    meanwhile: Callable[[], None] | None = None,
) -> list[Outcome]:
    """Execute every chapter that needs it; raise ExecutionFailed naming each failure.

    `meanwhile` is called once all chapters are handed to the workers, to do other work while they run.
    """
    from carebook import executors

    to_run, cached = plan(root, build, parameters or {}, force)
    outcomes = []
    for item in cached:
        reuse(item)
        reads = sorted((cache.Manifest(build / "cache", item.page.slug).read() or {}).get("reads", {}))
        outcomes.append(Outcome(item.page.slug, "cached", reads=reads))
        say(item.page.slug, "cached")
    for item in to_run:
        say(item.page.slug, "queued")
    if to_run:
        with executors.open_executor(executor, workers or os.cpu_count() or 1, scheduler, len(to_run)) as pool:
            jobs = pool.prepare([item.job for item in to_run])
            futures = {pool.submit(execute_chapter, job): item for job, item in zip(jobs, to_run, strict=True)}
            if meanwhile:
                meanwhile()
            for future in pool.as_completed(futures):
                outcomes.append(record(root, build, futures[future], future.result()))
    failures = [o.error for o in outcomes if o.status == "failed"]
    order = {page.slug: i for i, page in enumerate(chapters(root))}
    outcomes.sort(key=lambda o: order.get(o.slug, 0))
    if failures:
        failed = ExecutionFailed("\n".join(failures))
        failed.outcomes = outcomes
        raise failed
    return outcomes


def record(root: Path, build: Path, item: Planned, result: ChapterResult) -> Outcome:
    """Write a finished chapter's notebook and log, and cache it only if nothing it read changed meanwhile."""
    manifest = cache.Manifest(build / "cache", item.page.slug)
    log = build / "logs" / f"{item.page.slug}.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    log.write_text(result.log, encoding="utf-8")
    item.output.unlink(missing_ok=True)  # a failed run must never leave an older notebook looking like its own
    if result.notebook:
        write_if_changed(item.output, result.notebook)
    outcome = Outcome(item.page.slug, result.status, result.seconds, result.error, sorted(result.reads))
    if result.status != "executed":
        manifest.clear()
        kept = f"notebook kept at {relative(item.output, root)}" if item.output.exists() else "no notebook written"
        say(item.page.slug, "failed", f"({kept})")
        return outcome
    changed = reads_changed_since(root, result)
    if changed:
        manifest.clear()  # the page shows what was read, but the next build runs the chapter again
        say(
            item.page.slug,
            "executed",
            f"in {result.seconds:.1f} s; not cached: {', '.join(changed)} changed while it ran",
        )
    else:
        manifest.write(item.key, result.reads, result.seconds)
        say(item.page.slug, "executed", f"in {result.seconds:.1f} s")
    return outcome
