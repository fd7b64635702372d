"""Execute the chapters that need it: plan against the cache, merge prose edits into cached outputs, hand the
rest to an executor (carebook.build.executors) as pure jobs (carebook.build.job), and record what each read."""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from carebook.build import cache, progress, stamp
from carebook.build.atomic import write_atomic
from carebook.build.chapter import (
    CELL_TIMEOUT,
    INJECTED,
    OUTPUT_LIMIT,
    ChapterJob,
    ChapterResult,
    check_front_matter,
    code_cells,
    read_chapter,
    relative,
)
from carebook.build.job import execute_chapter
from carebook.build.toc import Page, chapters
from carebook.errors import ExecutionFailed, read_text

__all__ = ["CELL_TIMEOUT", "ExecutionFailed", "OUTPUT_LIMIT", "relative", "run_chapters"]


@dataclass
class Outcome:
    """What happened to one chapter in a build."""

    slug: str
    status: str  # executed, cached or failed
    seconds: float = 0.0
    error: str = ""
    reads: list[str] = field(default_factory=list)


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
    notebook: object  # the chapter read as a notebook (for merging prose); None when its text is unchanged
    text_key: str = ""  # the whole text's stamp: while it matches, the chapter is not even parsed


def plan(root: Path, build: Path, parameters: dict[str, dict], force: bool = False):
    """Split the chapters into those to run and those whose cached outputs are still good."""
    data_dir = str(root / "data")
    limit = int(os.environ.get("CAREBOOK_OUTPUT_LIMIT", OUTPUT_LIMIT))
    timeout = int(os.environ.get("CAREBOOK_CELL_TIMEOUT", CELL_TIMEOUT))
    environment = stamp.CHAPTER.environment(root)  # kernel-side and runner code, lock, CAREBOOK_* settings
    to_run, cached = [], []
    for page in chapters(root):
        text = read_text(page.path, root)
        params = parameters.get(page.slug, {})
        job = ChapterJob(page.slug, relative(page.path, root), text, params, str(root), data_dir, timeout, limit)
        output = build / "executed" / f"{page.slug}.ipynb"
        manifest = cache.Manifest(build / "cache", page.slug)
        record = manifest.read() or {}
        text_key = cache.digest(text, json.dumps(params, sort_keys=True), environment)
        if not force and record.get("text_key") == text_key and manifest.is_fresh(record["key"], output, root):
            cached.append(Planned(page, job, output, record["key"], None, text_key))  # a no-op: nothing to parse
            continue
        check_front_matter(text, job.source)
        notebook = read_chapter(text)
        key = cache.chapter_key(environment, code_cells(notebook), notebook.metadata.get("kernelspec", {}), params)
        item = Planned(page, job, output, key, notebook, text_key)
        (cached if manifest.is_fresh(key, output, root) and not force else to_run).append(item)
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
        write_atomic(path, text)


def reuse(item: Planned, build: Path) -> None:
    """Bring the cached notebook up to the chapter's current prose (nothing to do when its text is unchanged)."""
    import nbformat

    if item.notebook is None:
        return
    cached = json.loads(item.output.read_text(encoding="utf-8"))
    merged = merge_prose(cached, item.notebook)
    if merged != cached:
        write_if_changed(item.output, nbformat.writes(nbformat.from_dict(merged)))
    cache.Manifest(build / "cache", item.page.slug).restamp(item.text_key)


@contextlib.contextmanager
def kernels_ahead(
    root: Path, build: Path, *, force: bool = False, workers: int | None = None, executor: str = "local"
) -> Iterator[object]:
    """A local pool whose workers start their kernels at once when some chapter will surely run (it has no cached
    run: a clean build, a new chapter), so that they start while the data is validated and the chapters are
    read; otherwise None. No chapter runs until `run_chapters` is given the pool."""
    from carebook.build import executors

    pages = chapters(root)
    fresh = [page for page in pages if force or cache.Manifest(build / "cache", page.slug).read() is None]
    if not fresh or executor != "local":
        yield None
        return
    with executors.open_executor(executor, workers or os.cpu_count() or 1, None, len(pages)) as pool:
        first = fresh[0]
        data_dir = str(root / "data")
        pool.start_kernels(ChapterJob(first.slug, relative(first.path, root), "", {}, str(root), data_dir), len(fresh))
        try:
            yield pool
        except BaseException:  # bad data, say: the workers stop their kernels as they leave (job._drop_spare)
            pool.executor.shutdown(wait=True, cancel_futures=True)
            raise


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
    pool: object | None = None,
) -> list[Outcome]:
    """Execute every chapter that needs it; raise ExecutionFailed naming each failure.

    `meanwhile` is called once all chapters are handed to the workers, to do other work while they run; `pool`
    is one from `kernels_ahead` (else one is opened for the chapters that need to run).
    """
    from carebook.build import executors

    to_run, cached = plan(root, build, parameters or {}, force)
    forget_removed(build, {item.page.slug for item in [*to_run, *cached]})
    outcomes = []
    for item in cached:
        reuse(item, build)
        reads = sorted((cache.Manifest(build / "cache", item.page.slug).read() or {}).get("reads", {}))
        outcomes.append(Outcome(item.page.slug, "cached", reads=reads))
        progress.chapter(item.page.slug, "cached")
    for item in to_run:
        progress.chapter(item.page.slug, "queued")
    if to_run:
        opened = executors.open_executor(executor, workers or os.cpu_count() or 1, scheduler, len(to_run))
        with contextlib.nullcontext(pool) if pool else opened as pool:
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


def forget_removed(build: Path, slugs: set[str]) -> None:
    """Delete the executed notebooks of chapters no longer in the book: the About page lists what is there."""
    for path in (build / "executed").glob("*.ipynb"):
        if path.stem not in slugs:
            path.unlink()


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
        progress.chapter(item.page.slug, "failed", f"({kept})")
        return outcome
    changed = reads_changed_since(root, result)
    if changed:
        manifest.clear()  # the page shows what was read, but the next build runs the chapter again
        progress.chapter(
            item.page.slug,
            "executed",
            f"in {result.seconds:.1f} s; not cached: {', '.join(changed)} changed while it ran",
        )
    else:
        manifest.write(item.key, result.reads, result.seconds, item.text_key)
        progress.chapter(item.page.slug, "executed", f"in {result.seconds:.1f} s")
    return outcome
