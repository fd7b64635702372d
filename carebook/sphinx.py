"""Run jupyter-book's Sphinx build on the staged tree (execution off), warnings as errors."""

from __future__ import annotations

import contextlib
import io
import os
import re
import subprocess
from pathlib import Path

WARNING = re.compile(r"(WARNING|ERROR|CRITICAL):")
LATEX_TIMEOUT = 900  # seconds for the whole latexmk run
BIBLIOGRAPHY_MARKER = "carebook: the book-wide bibliography goes here"
SILENT = "False"  # the filter given to per-chapter bibliographies in print: they list nothing


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
# `latex_overrides`): in print, every citation points into the one book-wide bibliography.


def latex_overrides(stage: Path) -> dict:
    """Sphinx settings for the print build: this module as an extension, on top of jupyter-book's own list."""
    from jupyter_book.config import get_final_config

    with contextlib.redirect_stdout(io.StringIO()):
        config, _ = get_final_config(
            user_yaml=stage / "_config.yml", cli_config={"latex_individualpages": False}, sourcedir=stage
        )
    return {"extensions": [*config["extensions"], __name__]}


def _names(filter_) -> set[str]:
    """The variable names a bibliography's :filter: expression uses."""
    import ast

    return {node.id for node in ast.walk(filter_) if isinstance(node, ast.Name)}


def _one_bibliography(app, env) -> None:
    """In print, empty the per-chapter bibliographies (`:filter: docname in docnames`) when the book
    has a book-wide one: Sphinx's LaTeX writer gathers every bibliography at the end of the book,
    so each source would otherwise be listed once per chapter citing it."""
    import ast

    if app.builder.format != "latex":
        return
    domain = env.get_domain("cite")
    local = {key for key, bib in domain.bibliographies.items() if "docname" in _names(bib.filter_)}
    if not local or len(local) == len(domain.bibliographies):
        return
    for key in local:
        domain.bibliographies[key] = domain.bibliographies[key]._replace(filter_=ast.parse(SILENT))


def _silenced(bibliography) -> bool:
    import ast

    return ast.dump(bibliography.filter_) == ast.dump(ast.parse(SILENT))


def _post_transforms():
    """The two post-transforms of the print build (defined here so Sphinx is imported only when used)."""
    from docutils import nodes
    from sphinx.builders.latex.nodes import thebibliography
    from sphinx.transforms.post_transforms import SphinxPostTransform
    from sphinxcontrib.bibtex.directives import BibliographyKey
    from sphinxcontrib.bibtex.nodes import bibliography

    class DropChapterBibliographies(SphinxPostTransform):
        """Remove the emptied per-chapter bibliographies, with their "References" headings, and mark where
        the book-wide bibliography stands (before sphinxcontrib-bibtex fills bibliographies, priority 5)."""

        default_priority = 4
        formats = ("latex",)

        def run(self, **kwargs) -> None:
            domain = self.env.get_domain("cite")
            for node in list(self.document.findall(bibliography)):
                key = BibliographyKey(docname=node["docname"], id_=node["ids"][0])
                if key not in domain.bibliographies or not _silenced(domain.bibliographies[key]):
                    node.parent.insert(node.parent.index(node) + 1, nodes.comment("", BIBLIOGRAPHY_MARKER))
                    continue
                section = node.parent
                rest = [child for child in section.children if not isinstance(child, (nodes.title, nodes.target))]
                if isinstance(section, nodes.section) and rest == [node]:
                    section.parent.remove(section)
                else:
                    section.remove(node)

    class BibliographyInPlace(SphinxPostTransform):
        """Move the bibliography Sphinx gathered at the end of the book (priority 750) back to the page
        that asked for it, so the Bibliography chapter holds its entries."""

        default_priority = 760
        formats = ("latex",)

        def run(self, **kwargs) -> None:
            markers = [node for node in self.document.findall(nodes.comment) if node.astext() == BIBLIOGRAPHY_MARKER]
            tail = self.document[-1] if len(self.document) else None
            if markers and isinstance(tail, thebibliography):
                self.document.remove(tail)
                markers[0].replace_self(tail)
                markers = markers[1:]
            for marker in markers:
                marker.parent.remove(marker)

    return DropChapterBibliographies, BibliographyInPlace


def setup(app) -> dict:
    """The print build's Sphinx extension: one bibliography, in its chapter."""
    app.connect("env-updated", _one_bibliography, priority=400)
    for transform in _post_transforms():
        app.add_post_transform(transform)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
