"""Run jupyter-book's Sphinx build on the staged tree (execution off), warnings as errors."""

from __future__ import annotations

import contextlib
import io
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

WARNING = re.compile(r"(WARNING|ERROR|CRITICAL):")
CELL_STRIDE = 10000  # myst-nb reports a notebook position as cell number × 10000 + line
LATEX_TIMEOUT = 900  # seconds for the whole latexmk run
BIBLIOGRAPHY_MARKER = "carebook_bibliography"  # attribute of the markers of the print build's transforms


class SphinxFailed(Exception):
    """The Sphinx or LaTeX step failed; the message lists the warnings with their places."""


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
                print(f"  {self.WORDS[step]:<8} {page}", file=sys.__stdout__, flush=True)
        return len(text)


def build(
    stage: Path, out: Path, doctrees: Path, root: Path, builder: str = "html", overrides: dict | None = None
) -> None:
    """Build `stage` with `builder` into `out`; raise SphinxFailed with every warning."""
    from jupyter_book.sphinx import build_sphinx

    log = io.StringIO()
    overrides = {"external_toc_path": str(stage / "_toc.yml"), "latex_individualpages": False, **(overrides or {})}
    with contextlib.redirect_stdout(Progress()), contextlib.redirect_stderr(log):
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
        )
    messages = [line for line in _source_names(log.getvalue(), stage, root).splitlines() if WARNING.search(line)]
    if result or messages:
        # Sphinx would not re-read unchanged pages next time, and so would not repeat their warnings.
        shutil.rmtree(doctrees, ignore_errors=True)
        detail = "\n".join(messages) or _source_names(log.getvalue(), stage, root).strip()[-2000:] or f"exit {result}"
        raise SphinxFailed(f"the {builder} build failed:\n{detail}")


def _chapter_at(tex_lines: list[str], line: int) -> str:
    """The source page (book/x) that a line of the generated .tex belongs to, for error messages."""
    for text in reversed(tex_lines[: max(line, 0)]):
        found = re.search(r"\\label\{\\detokenize\{([^}:]+)::doc\}\}", text)
        if found:
            return found.group(1)
    return ""


def _latex_errors(log: str, tex: Path) -> list[str]:
    """The errors of a failed LaTeX run: each message, its .tex line with context, and the page it came from."""
    tex_lines = tex.read_text(encoding="utf-8", errors="replace").splitlines() if tex.exists() else []
    lines = log.splitlines()
    errors = []
    for i, line in enumerate(lines):
        found = re.match(r"^(?:\./)?([^:\s]+\.(?:tex|sty|cls)):(\d+): (.*)$", line) or re.match(r"^! (.*)$", line)
        if not found:
            continue
        message = found.group(found.lastindex)
        where = ""
        if found.lastindex == 3:
            where = f"{found.group(1)}:{found.group(2)}: "
            chapter = _chapter_at(tex_lines, int(found.group(2))) if found.group(1) == tex.name else ""
            if chapter:
                where = f"{where}(in {chapter}) "
        context = next((c.strip() for c in lines[i + 1 : i + 8] if re.match(r"^l\.\d+ ", c)), "")
        errors.append(f"{where}{message}" + (f"\n    {context}" if context else ""))
    return list(dict.fromkeys(errors))


def latex_problems(log: str, output: str = "") -> list[str]:
    """What a LaTeX run that "succeeded" still got wrong: unresolved references, dropped characters,
    links to nowhere. Each one fails the build, as Sphinx warnings do."""
    problems = []
    for line in log.splitlines():
        if re.match(r"^LaTeX Warning: (Reference|Citation|Hyper reference) .* undefined", line):
            problems.append(f"unresolved reference: {line.removeprefix('LaTeX Warning: ')}")
        elif line.startswith("Missing character: "):
            problems.append(f"a character the fonts lack, dropped from the PDF: {line}")
    for target in sorted(set(re.findall(r"Object @(\S+) used, but not defined", output))):
        problems.append(f"a link to a target that does not exist: {target}")
    return list(dict.fromkeys(problems))


def latex_to_pdf(latex_dir: Path, name: str) -> Path:
    """Run latexmk (XeLaTeX) on the LaTeX build; raise SphinxFailed with the LaTeX errors or problems."""
    tex, pdf, log_file = (latex_dir / f"{name}{suffix}" for suffix in (".tex", ".pdf", ".log"))
    if not tex.exists():
        raise SphinxFailed(f"LaTeX failed: the LaTeX build wrote no {tex.name}")
    command = ["latexmk", "-xelatex", "-interaction=nonstopmode", "-halt-on-error", "-file-line-error", tex.name]
    # Unwrapped log lines, so messages and file names are read whole.
    env = {**os.environ, "max_print_line": "100000", "error_line": "254", "half_error_line": "238"}
    try:
        done = subprocess.run(
            command, cwd=latex_dir, capture_output=True, text=True, errors="replace", env=env, timeout=LATEX_TIMEOUT
        )
    except FileNotFoundError as exc:
        raise SphinxFailed("LaTeX failed: latexmk is not installed; run `scripts/system-deps pdf`") from exc
    except subprocess.TimeoutExpired as exc:
        raise SphinxFailed(f"LaTeX failed: latexmk did not finish in {LATEX_TIMEOUT} s") from exc
    log = log_file.read_text(encoding="utf-8", errors="replace") if log_file.exists() else ""
    output = done.stdout + done.stderr
    if done.returncode or not pdf.exists():
        errors = _latex_errors(log, tex) or [
            line for line in output.splitlines() if line.startswith("!") or "rror" in line
        ]
        detail = "\n".join(errors[:10] or output.splitlines()[-15:])
        raise SphinxFailed(f"LaTeX failed (full log: {log_file}):\n{detail}")
    problems = latex_problems(log, output)
    if problems:
        raise SphinxFailed(f"LaTeX problems (full log: {log_file}):\n" + "\n".join(problems[:20]))
    return pdf


# --- Sphinx extension for the LaTeX build -----------------------------------------------
# `carebook.sphinx` is also a Sphinx extension, loaded for the LaTeX build only (see
# `latex_overrides`). Sphinx's LaTeX writer gathers every citation of the book into one list at
# its very end, so each chapter's "References" would be empty and the end list would repeat a
# source once per chapter citing it. These transforms put each bibliography back where its
# directive stands, as in the HTML: every chapter ends with its references, and the Bibliography
# chapter lists them all.


def latex_overrides(stage: Path) -> dict:
    """Sphinx settings for the print build: this module as an extension, on top of jupyter-book's own list."""
    from jupyter_book.config import get_final_config

    with contextlib.redirect_stdout(io.StringIO()):
        config, _ = get_final_config(
            user_yaml=stage / "_config.yml", cli_config={"latex_individualpages": False}, sourcedir=stage
        )
    return {"extensions": [*config["extensions"], __name__]}


def _post_transforms() -> tuple[type, ...]:
    """The post-transforms of the print build (defined in here so Sphinx is imported only when used)."""
    from docutils import nodes
    from sphinx.builders.latex.nodes import thebibliography
    from sphinx.transforms.post_transforms import SphinxPostTransform
    from sphinxcontrib.bibtex.nodes import bibliography

    def markers(document) -> list:
        return [node for node in document.findall(nodes.comment) if node.get(BIBLIOGRAPHY_MARKER) is not None]

    class MarkBibliographies(SphinxPostTransform):
        """Leave a marker after each {bibliography} before sphinxcontrib-bibtex fills it (priority 5)."""

        default_priority = 4
        formats = ("latex",)

        def run(self, **kwargs) -> None:
            for node in list(self.document.findall(bibliography)):
                marker = nodes.comment("", "bibliography")
                marker[BIBLIOGRAPHY_MARKER] = []
                node.parent.insert(node.parent.index(node) + 1, marker)

    class NoteCitations(SphinxPostTransform):
        """Record on each marker the citations its bibliography holds, before Sphinx gathers them (750)."""

        default_priority = 749
        formats = ("latex",)

        def run(self, **kwargs) -> None:
            for marker in markers(self.document):
                index = marker.parent.index(marker)
                filled = marker.parent[index - 1] if index else None
                if filled is not None:
                    marker[BIBLIOGRAPHY_MARKER] = [c["ids"][0] for c in filled.findall(nodes.citation) if c["ids"]]

    class BibliographiesInPlace(SphinxPostTransform):
        """Move each bibliography's citations from the end of the book back to its marker."""

        default_priority = 760
        formats = ("latex",)

        def run(self, **kwargs) -> None:
            tail = self.document[-1] if len(self.document) else None
            gathered = {}
            if isinstance(tail, thebibliography):
                gathered = {citation["ids"][0]: citation for citation in tail.children if citation["ids"]}
            for marker in markers(self.document):
                citations = [gathered.pop(id_) for id_ in marker[BIBLIOGRAPHY_MARKER] if id_ in gathered]
                if not citations:
                    marker.parent.remove(marker)
                    continue
                for citation in citations:
                    tail.remove(citation)
                marker.replace_self(thebibliography("", *citations))
            if isinstance(tail, thebibliography) and not len(tail):
                self.document.remove(tail)

    return MarkBibliographies, NoteCitations, BibliographiesInPlace


def setup(app) -> dict:
    """The print build's Sphinx extension: each bibliography where its directive stands."""
    for transform in _post_transforms():
        app.add_post_transform(transform)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
