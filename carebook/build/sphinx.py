"""Run jupyter-book's Sphinx build on the staged tree (execution off), warnings as errors."""

from __future__ import annotations

import contextlib
import io
import json
import re
import shutil
from pathlib import Path

from carebook import _compat
from carebook.build import progress, warm
from carebook.errors import SphinxFailed  # re-exported for carebook.sphinxext.latex

# What every edition that shows no code takes (the PDF, the EPUB, the single page).
OUTPUTS_ONLY = {
    "nb_remove_code_source": True,  # readers see outputs only
    "nb_render_markdown_format": "gfm",  # tables from charts.table are GitHub-flavoured Markdown
}
WARNING = re.compile(r"(WARNING|ERROR|CRITICAL):")
CELL_STRIDE = 10000  # myst-nb reports a notebook position as cell number × 10000 + line
REFERENCE_CACHE = "carebook.sphinxext.refcache"  # carebook's builds keep formatted references between builds

__all__ = ["SphinxFailed", "build"]

_compat.defer_mystnb_executing_clients()  # the book's Sphinx runs never execute
_compat.numref_targets_unpickled_once()


def _chapter_line(stage: Path, root: Path, name: str, encoded: int) -> int | None:
    """The line of book/<name>.md behind myst-nb's position (cell number × 10000 + line in cell, from 1)."""
    cell_number, within = divmod(encoded, CELL_STRIDE)
    try:
        cells = json.loads((stage / f"{name}.ipynb").read_text(encoding="utf-8"))["cells"]
        source = "".join(cells[cell_number - 1]["source"])
        text = (root / f"{name}.md").read_text(encoding="utf-8")
    except (OSError, IndexError, ValueError):
        return None
    first = next((line for line in source.splitlines() if line.strip()), "")
    at = text.find(first) if first else -1
    # myst-nb counts lines in a cell from the cell's first line + 1; Sphinx names a paragraph by its first line.
    return text.count("\n", 0, at) + within - 1 if at >= 0 else None


def _source_names(text: str, stage: Path, root: Path) -> str:
    """Point warnings at the author's files and lines (book/x.md:29) rather than the staged copies."""
    text = re.sub(r"\x1b\[[0-9;]*m", "", text).replace(f"{stage}/", "")

    def chapter(match: re.Match) -> str:
        name, encoded = match.group(1), int(match.group(2))
        if not (root / f"{name}.md").exists():
            return match.group(0)
        line = _chapter_line(stage, root, name, encoded)
        return f"{name}.md:{line}" if line else f"{name}.md"

    return re.sub(r"(?m)^([\w/.-]+)\.ipynb:(\d+)", chapter, text)


class Progress(io.TextIOBase):
    """Turns Sphinx's status output into one line per page read or written."""

    STEP = re.compile(r"(reading sources|writing output)\.\.\. \[\s*\d+%\] (\S+)")
    WORDS = {"reading sources": "reading", "writing output": "writing"}

    def __init__(self) -> None:
        self.pending = ""

    def write(self, text: str) -> int:
        self.pending += re.sub(r"\x1b\[[0-9;]*m", "", text)
        *lines, self.pending = self.pending.split("\n")
        for line in lines:
            for step, page in self.STEP.findall(line):
                progress.page(self.WORDS[step], page)
        return len(text)


def final_config(stage: Path) -> dict:
    """The Sphinx configuration jupyter-book derives from the staged book's _config.yml."""
    from jupyter_book.config import get_final_config

    with contextlib.redirect_stdout(io.StringIO()):
        config, _ = get_final_config(
            user_yaml=stage / "_config.yml", cli_config={"latex_individualpages": False}, sourcedir=stage
        )
    return config


def configured_extensions(stage: Path) -> list[str]:
    """The extensions the staged _config.yml adds to jupyter-book's (the book's own among them)."""
    import yaml

    config = yaml.safe_load((stage / "_config.yml").read_text(encoding="utf-8")) or {}
    return list(config.get("sphinx", {}).get("extra_extensions") or [])


def extensions_with(stage: Path, extension: str) -> list[str]:
    """jupyter-book's list of Sphinx extensions for the staged book, plus one loaded for a single edition."""
    return [*final_config(stage)["extensions"], extension]


def jupyter_book_build(stage: Path, out: Path, doctrees: Path, builder: str, overrides: dict) -> object:
    """jupyter-book's Sphinx build (a new application), warnings as errors; Sphinx's status, or the exception."""
    from jupyter_book.sphinx import build_sphinx

    return build_sphinx(
        stage,
        out,
        noconfig=True,
        path_config=str(stage / "_config.yml"),
        confoverrides=overrides,
        doctreedir=doctrees,
        builder=builder,
        warningiserror=True,
        keep_going=True,
    )


def build(
    stage: Path, out: Path, doctrees: Path, root: Path, builder: str = "html", overrides: dict | None = None
) -> None:
    """Build `stage` with `builder` into `out`; raise SphinxFailed with every warning."""
    log = io.StringIO()
    overrides = {
        "external_toc_path": str(stage / "_toc.yml"),
        "latex_individualpages": False,
        **_compat.fresh_config_lists(),
        **(overrides or {}),
    }
    extensions = overrides.get("extensions") or final_config(stage)["extensions"]
    overrides["extensions"] = list(dict.fromkeys([*extensions, REFERENCE_CACHE]))
    with contextlib.redirect_stdout(Progress()), contextlib.redirect_stderr(log):
        if warm.enabled(builder):  # `carebook serve`: the application of the last build, when it still fits
            result, text = warm.run(stage, out, doctrees, builder, overrides, jupyter_book_build)
            log.write(text)
        else:
            result = jupyter_book_build(stage, out, doctrees, builder, overrides)
    messages = [line for line in _source_names(log.getvalue(), stage, root).splitlines() if WARNING.search(line)]
    if result or messages:
        # Sphinx would not re-read unchanged pages next time, and so would not repeat their warnings.
        shutil.rmtree(doctrees, ignore_errors=True)
        warm.forget()
        detail = "\n".join(messages) or _source_names(log.getvalue(), stage, root).strip()[-2000:] or f"exit {result}"
        raise SphinxFailed(f"the {builder} build failed:\n{detail}")
    if builder == "html":
        _compat.copy_static_files(stage / "_static", out / "_static")
