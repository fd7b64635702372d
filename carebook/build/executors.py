"""The executor seam: where chapter jobs run. `local` (a fork pool, each worker starting its next kernel ahead),
`threads` (one process), or `dask` (a dask.distributed cluster: a LocalCluster, or a scheduler's address)."""

from __future__ import annotations

import concurrent.futures
import contextlib
import dataclasses
import multiprocessing
import os
import signal
from collections.abc import Callable, Iterator

from carebook.errors import UsageError

INTERRUPTED = 130
# What every chapter imports first (the chapters' API, with pandas and Altair): a kernel started ahead of its
# chapter imports it while the worker's current chapter runs. Importing binds no name in the chapter's namespace.
PRELOAD = ("carebook.charts", "carebook.prose")


class Pool:
    """A concurrent.futures executor and how jobs are prepared for it."""

    def __init__(self, executor: concurrent.futures.Executor, workers: int, ahead: bool, progress: str):
        self.executor, self.workers, self.ahead, self.progress = executor, workers, ahead, progress
        self.template = None  # the kernel template the workers share (carebook.build.kernelfork), once started

    def prepare(self, jobs: list) -> list:
        """The jobs as this executor runs them: whether to start a kernel ahead (with the chapters' API imported
        in it), where progress goes."""
        return [
            dataclasses.replace(
                job,
                ahead=self.ahead and n + self.workers < len(jobs),
                progress=self.progress,
                preload=PRELOAD if self.ahead else (),
            )
            for n, job in enumerate(jobs)
        ]

    def start_kernels(self, job, count: int) -> None:
        """Have up to `count` workers start a kernel now for their first chapter (only where kernels start ahead);
        `job` stands for the chapters: each kernel's root, data and folder are theirs."""
        from carebook.build.job import share_template, start_ahead

        if self.ahead:
            (first,) = self.prepare([job])
            self.template = self.template or share_template(first)  # before the first submit forks the workers
            for _ in range(min(count, self.workers)):
                self.executor.submit(start_ahead, first)

    def submit(self, fn, job) -> concurrent.futures.Future:
        """Run `fn(job)` on a worker."""
        return self.executor.submit(fn, job)

    @staticmethod
    def as_completed(futures) -> Iterator[concurrent.futures.Future]:
        """The futures as they finish."""
        return concurrent.futures.as_completed(futures)


@contextlib.contextmanager
def _local(workers: int, scheduler: str | None) -> Iterator[Pool]:
    """A fork pool of `workers` processes, each starting its next chapter's kernel while the current one runs."""
    from carebook.build import kernelfork

    context = multiprocessing.get_context("fork")
    pool = concurrent.futures.ProcessPoolExecutor(workers, mp_context=context, initializer=_quiet_on_interrupt)
    opened = Pool(pool, workers, ahead=True, progress="print")
    try:
        yield opened
    except BaseException:  # Ctrl-C or a failure here: drop the queued chapters rather than wait for them
        pool.shutdown(wait=False, cancel_futures=True)
        kernelfork.close(opened.template)
        raise
    pool.shutdown(wait=True)
    kernelfork.close(opened.template)  # the next build's kernels import the chapters' API afresh


@contextlib.contextmanager
def _threads(workers: int, scheduler: str | None) -> Iterator[Pool]:
    """`workers` threads of this process (a job changes no process-wide state, so they do not interfere)."""
    with concurrent.futures.ThreadPoolExecutor(workers) as pool:
        yield Pool(pool, workers, ahead=False, progress="print")


@contextlib.contextmanager
def _dask(workers: int, scheduler: str | None) -> Iterator[Pool]:
    """A dask.distributed cluster: the scheduler at `scheduler`, or a LocalCluster."""
    with _dask_client(scheduler, workers) as client:
        yield Pool(client.get_executor(), workers, ahead=False, progress="dask")


# The executors by name (`--executor`): each opens a Pool of `workers` and closes it on exit.
EXECUTORS: dict[str, Callable[[int, str | None], contextlib.AbstractContextManager[Pool]]] = {
    "local": _local,
    "threads": _threads,
    "dask": _dask,
}
KINDS = tuple(EXECUTORS)


def open_executor(kind: str, workers: int, scheduler: str | None, jobs: int) -> contextlib.AbstractContextManager[Pool]:
    """A pool of `kind` for `jobs` chapter jobs, closed (and its workers stopped) on exit."""
    if kind not in EXECUTORS:
        raise UsageError(f"unknown executor {kind!r} (choose one of: {', '.join(KINDS)})")
    return EXECUTORS[kind](max(1, min(workers, jobs)), scheduler)


def _quiet_on_interrupt() -> None:
    """In a pool worker: Ctrl-C ends the worker at once, without a traceback (the build reports the interruption).

    Its kernel notices that its parent has gone and stops too.
    """
    signal.signal(signal.SIGINT, lambda *_: os._exit(INTERRUPTED))


@contextlib.contextmanager
def _dask_client(scheduler: str | None, workers: int):
    """A dask.distributed client: to `scheduler`, or to a LocalCluster of one worker with `workers` threads.

    Progress lines that workers log as events are told here, as the local pool's are.
    """
    try:
        from distributed import Client, LocalCluster
    except ImportError as exc:
        raise UsageError("--executor dask needs dask.distributed: pip install dask distributed") from exc
    from carebook.build import progress
    from carebook.build.chapter import PROGRESS_TOPIC

    with contextlib.ExitStack() as stack:
        if scheduler:
            client = stack.enter_context(Client(scheduler, set_as_default=False))
        else:
            cluster = stack.enter_context(
                LocalCluster(n_workers=1, threads_per_worker=workers, dashboard_address=None, processes=True)
            )
            client = stack.enter_context(Client(cluster, set_as_default=False))
        client.subscribe_topic(PROGRESS_TOPIC, lambda event: progress.chapter(*event[1]))
        yield client
