"""Run jupyter-book's Sphinx build on the staged tree (execution off), warnings as errors."""

from __future__ import annotations

import contextlib
import io
import re
import subprocess
from pathlib import Path

WARNING = re.compile(r"(WARNING|ERROR|CRITICAL):")


class SphinxFailed(Exception):
    """The Sphinx or LaTeX step failed; the message lists the warnings with their places."""


def _source_names(text: str, stage: Path, root: Path) -> str:
    """Point warnings at the author's files (book/x.md) rather than the staged copies."""
    text = re.sub(r"\x1b\[[0-9;]*m", "", text)
    text = text.replace(f"{stage}/", "")
    for executed in re.findall(r"(?m)^([\w/.-]+)\.ipynb", text):
        source = root / f"{executed}.md"
        if source.exists():
            text = text.replace(f"{executed}.ipynb", f"{executed}.md (executed)")
    return text


def build(
    stage: Path, out: Path, doctrees: Path, root: Path, builder: str = "html", overrides: dict | None = None
) -> None:
    """Build `stage` with `builder` into `out`; raise SphinxFailed with every warning."""
    from jupyter_book.sphinx import build_sphinx

    log = io.StringIO()
    overrides = {"external_toc_path": str(stage / "_toc.yml"), "latex_individualpages": False, **(overrides or {})}
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(log):
        result = build_sphinx(
            stage,
            out,
            noconfig=True,
            path_config=str(stage / "_config.yml"),
            confoverrides=overrides,
            doctreedir=doctrees,
            builder=builder,
            warningiserror=True,
            keep_going=True,
            quiet=True,
        )
    messages = [line for line in _source_names(log.getvalue(), stage, root).splitlines() if WARNING.search(line)]
    if result or messages:
        detail = "\n".join(messages) or _source_names(log.getvalue(), stage, root).strip()[-2000:] or f"exit {result}"
        raise SphinxFailed(f"the {builder} build failed:\n{detail}")


def latex_to_pdf(latex_dir: Path, name: str) -> Path:
    """Run latexmk (XeLaTeX) on the LaTeX build; raise SphinxFailed with the LaTeX error."""
    done = subprocess.run(
        ["latexmk", "-xelatex", "-interaction=nonstopmode", "-halt-on-error", "-file-line-error", f"{name}.tex"],
        cwd=latex_dir,
        capture_output=True,
        text=True,
    )
    pdf = latex_dir / f"{name}.pdf"
    if done.returncode or not pdf.exists():
        errors = [
            line for line in done.stdout.splitlines() if line.startswith("!") or ":" in line and "error" in line.lower()
        ]
        raise SphinxFailed("LaTeX failed:\n" + "\n".join(errors[-15:] or done.stdout.splitlines()[-15:]))
    return pdf
