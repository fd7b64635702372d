"""Run one chapter: a pure function of its job (text, parameters, data folder in; executed notebook and the
files it read out). It changes no environment variable, file descriptor or module state of its caller, so it
is safe in a process pool, on threads and on a remote Dask worker."""

from __future__ import annotations

import contextlib
import copy
import functools
import json
import multiprocessing.util
import os
import re
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from carebook import _compat
from carebook.build import kernelfork
from carebook.build.chapter import ChapterJob, ChapterResult, line_in_cell, place, read_chapter, reporter, versions

IPC_PATH_MAX = 96  # a kernel's socket is named <folder>/kernel-<n>: Unix socket paths end at 108 bytes
SLOW_CELL = 30  # seconds after which the build says which cell is still running
ERROR_BANNER = "papermill-error-cell-tag"
READY_SECONDS = 60  # how long a kernel started before its chapter is waited for


@dataclass
class Spare:
    """A kernel started ahead in a worker, idle until the same thread's next chapter (which alone uses it)."""

    manager: object
    folder: tempfile.TemporaryDirectory
    cwd: str


_worker = threading.local()  # per worker thread: at most one spare kernel
_FIRST_IMPORTS = threading.Lock()


def _import_kernel_machinery() -> None:
    """Import what starting a kernel imports, one thread at a time: two threads of one process (the threads
    executor, a Dask worker) importing IPython for the first time at once can fail with KeyError('IPython')."""
    with _FIRST_IMPORTS:
        import IPython.paths  # noqa: F401
        import jupyter_client.kernelspec  # noqa: F401


def _kernel_env(job: ChapterJob, folder: Path) -> dict[str, str]:
    """The kernel's environment, given explicitly: where to note reads, the data and the root on the path."""
    from carebook.reads import DATA_ENV, DEPS_ENV, ROOT_ENV, SCRATCH_ENV  # not carebook.data: it imports pandas

    env = dict(os.environ)
    env.update(
        {
            DEPS_ENV: str(folder / "reads.tsv"),
            ROOT_ENV: job.root,
            DATA_ENV: job.data_dir,
            SCRATCH_ENV: str(folder / "scratch"),  # the one folder the chapter may write in (carebook/reads.py)
            "TMPDIR": str(folder / "scratch"),
            "TZ": "UTC",  # a chapter's dates (pandas, datetime) must not depend on the builder's time zone
            "PYTHONPATH": os.pathsep.join(filter(None, [job.root, os.environ.get("PYTHONPATH")])),
            "PYDEVD_DISABLE_FILE_VALIDATION": "1",
        }
    )
    return env


def _start_kernel(job: ChapterJob, cwd: str) -> Spare:
    """A fresh kernel in `cwd` with its own folder (reads, stderr log), recording the reads under the root."""
    from jupyter_core.utils import run_sync

    _import_kernel_machinery()
    folder = tempfile.TemporaryDirectory(prefix=f"carebook-{job.slug}-")
    (Path(folder.name) / "scratch").mkdir()
    # Unix sockets in the kernel's own folder, not TCP ports: two kernels starting at once can never pick the
    # same port (jupyter_client finds free ports, then the kernel binds them later: a race under load). A socket's
    # path must stay under the system's limit (108 bytes); a very long TMPDIR falls back to TCP.
    sockets = str(Path(folder.name) / "kernel")
    transport = {"transport": "ipc", "ip": sockets} if len(sockets) < IPC_PATH_MAX else {}
    manager = _compat.kernel_manager_class()(kernel_name="python3", **transport)
    env = _kernel_env(job, Path(folder.name))
    manager.launcher = kernelfork.launcher(job.root, job.preload, env, cwd)  # forked from a warm template if it can
    with open(Path(folder.name) / "kernel.log", "w", encoding="utf-8") as log:
        run_sync(manager.start_kernel)(
            extra_arguments=[
                "--HistoryManager.hist_file=:memory:",
                *(f"--IPKernelApp.exec_lines={line}" for line in _start_lines(job.preload)),
            ],
            cwd=cwd,
            env=env,
            stderr=log,
            stdout=log,
        )
    return Spare(manager, folder, cwd)


def share_template(job: ChapterJob) -> object | None:
    """Start, in this process, the template from which the workers it forks next fork their kernels (one template
    for every worker: its imports are paid once); None when `job` preloads nothing. `kernelfork.close` ends it."""
    cwd = str(Path(job.root) / Path(job.source).parent)
    env = _kernel_env(job, Path(tempfile.gettempdir()))  # each kernel's own folders are not the template's
    return kernelfork.share(job.root, job.preload, env, cwd)


def _start_lines(preload: tuple[str, ...]) -> list[str]:
    """The kernel's first lines: keep the chapter within its boundary, then import `preload` (an expression whose
    value is None, so that nothing is shown and no name is bound in the chapter's namespace)."""
    lines = ["__import__('carebook.reads').reads.install()"]
    lines += [f"__import__('importlib').import_module({name!r}) and None" for name in preload]
    return lines


def _stop(spare: Spare) -> None:
    """Close a kernel's clients and stop it at once."""
    from jupyter_core.utils import run_sync

    _compat.stop_clients(spare.manager)
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


def start_ahead(job: ChapterJob) -> None:
    """Start this worker's kernel before any chapter is handed out (see run.kernels_ahead), and wait until it
    answers (its first chapter would wait as long), so that each worker takes one of these calls; its first
    chapter takes the kernel, as a chapter takes one started ahead while the last ran."""
    from jupyter_core.utils import run_sync

    if getattr(_worker, "spare", None) is not None:
        return
    spare = _worker.spare = _start_kernel(job, str(Path(job.root) / Path(job.source).parent))
    _drop_spare_at_exit()
    client = spare.manager.client()
    client.start_channels()
    with contextlib.suppress(Exception):  # not answering: its chapter finds out, and starts a fresh kernel
        run_sync(client.wait_for_ready)(timeout=READY_SECONDS)
    client.stop_channels()


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
                return f"{place(job, cells, index, line_in_cell(output.get('traceback', [])))}: {ename}: {evalue}"
        if size > job.output_limit:
            return (
                f"{place(job, cells, index)}: produced {size:,} bytes of output, over the limit of "
                f"{job.output_limit:,} bytes (CAREBOOK_OUTPUT_LIMIT sets it)"
            )
    return ""


STARTS = 2  # a kernel that never answers at start (jupyter_client's port race) gets one fresh try


def _run_once(job: ChapterJob, notebook, cwd: str, report) -> tuple:
    """One execution in one kernel: (text, reads, changed, log, error, whether the kernel started)."""
    import papermill

    kernel = _kernel_for(job, cwd)
    folder = Path(kernel.folder.name)
    if job.ahead:
        _worker.spare = _start_kernel(job, cwd)
        _drop_spare_at_exit()
    output = folder / "executed.ipynb"
    watch = CellWatch(job, report, notebook.cells)
    watch.thread.start()
    error, started = "", True
    try:
        papermill.execute_notebook(
            notebook,
            _compat.papermill_output(output),
            parameters=job.parameters,
            # no cwd=: papermill would chdir the whole process (see _compat.papermill_output); the kernel starts there
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
        started = not (isinstance(exc, RuntimeError) and "didn't respond" in str(exc))
        error = _describe(job, exc, output, watch)
    finally:
        watch.done.set()
        _stop(kernel)
        reads, changed = _reads(folder / "reads.tsv")
        log = (folder / "kernel.log").read_text(encoding="utf-8", errors="replace")
        text = output.read_text(encoding="utf-8") if output.exists() else None
        kernel.folder.cleanup()
    return text, reads, changed, log, error, started


def execute_chapter(job: ChapterJob) -> ChapterResult:
    """Run one chapter in a fresh kernel and return its executed notebook and the files it read.

    A pure function of the job: no environment variable, file descriptor or module state of the caller is
    changed, so it is safe in a process pool, on threads and on a remote Dask worker.
    """
    import nbformat

    report = reporter(job)
    notebook = read_chapter(job.text)
    notebook.metadata["carebook"] = {"versions": versions(), "parameters": job.parameters}
    cwd = str(Path(job.root) / Path(job.source).parent)
    report("running")
    start = time.monotonic()
    for attempt in range(STARTS):
        text, reads, changed, log, error, started = _run_once(job, copy.deepcopy(notebook), cwd, report)
        if started or attempt == STARTS - 1:
            break
        report("retrying", "the kernel did not answer at start; a fresh one")
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
        where = place(job, cells, index, line_in_cell(exc.traceback))
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
