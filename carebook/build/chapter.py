"""A chapter and its job: reading its MyST text, where its cells are in the file, and what a run returns."""

from __future__ import annotations

import contextlib
import json
import os
import re
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path

from carebook.build import progress
from carebook.errors import load_yaml

CELL_TIMEOUT = 600  # seconds a code cell may run before the chapter fails (CAREBOOK_CELL_TIMEOUT overrides)
OUTPUT_LIMIT = 1_000_000  # bytes of output a code cell may produce (CAREBOOK_OUTPUT_LIMIT overrides)
KEY_PACKAGES = ("pandas", "altair", "vl-convert-python", "papermill", "myst-nb", "jupyter-book", "sphinx")
INJECTED = "injected-parameters"
PROGRESS_TOPIC = "carebook-progress"


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
    preload: tuple[str, ...] = ()  # modules its kernel imports at start, before the chapter (executors.PRELOAD)


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


def versions() -> dict[str, str]:
    """Python and the key package versions, recorded in every executed notebook."""
    found = {"python": sys.version.split()[0]}
    for name in KEY_PACKAGES:
        with contextlib.suppress(metadata.PackageNotFoundError):
            found[name] = metadata.version(name)
    return found


def reporter(job: ChapterJob) -> Callable[[str, str], None]:
    """Where this job's progress lines go: the terminal, or the Dask client that submitted it."""
    if job.progress == "dask":
        from distributed import get_worker

        worker = get_worker()
        return lambda status, detail="": worker.log_event(PROGRESS_TOPIC, [job.slug, status, detail])
    return lambda status, detail="": progress.chapter(job.slug, status, detail)


def relative(path: Path, root: Path) -> str:
    """`path` relative to `root` when inside it, else as it is."""
    return os.path.relpath(path, root) if Path(path).is_relative_to(root) else str(path)


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


def line_in_cell(traceback: list[str] | str) -> int:
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
