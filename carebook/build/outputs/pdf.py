"""The PDF edition: Sphinx's LaTeX builder with the print transforms (carebook.sphinxext.latex), then
latexmk (XeLaTeX); any LaTeX error, unresolved reference or dropped glyph fails the build."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

from carebook.build import reproducible, sphinx, stage
from carebook.build.outputs import Output
from carebook.build.publish import publish_file
from carebook.errors import SphinxFailed

PDF_NAME = "joined-up"
LATEX_TIMEOUT = 1800  # seconds for the whole latexmk run (a guard against a hung run: a tagged pass takes 1-3 CPU
# minutes, and several times that on a loaded machine)


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
        if re.fullmatch(r"pdf\.(?:lnk|obj)\d+", target):  # objects of the tagged PDF's own structure, not link targets
            continue
        problems.append(f"a link to a target that does not exist: {target}")
    return list(dict.fromkeys(problems))


UNTAGGED_PASSES = 4  # at most, before the tagged ones


def settle_untagged(latex_dir: Path, name: str, env: dict[str, str]) -> int:
    """Run XeLaTeX on `name`.tex without its \\DocumentMetadata (no tagging) until its .aux, .toc and .lof stop
    changing; return the passes run. A tagged pass costs ten to twenty plain ones and moves no page reference
    (measured), so latexmk then starts from settled pages and runs three tagged passes (the first records on
    which page each piece of marked content lands, the second numbers them by it, the third finds nothing
    changed) instead of four or more. A failed pass stops here and leaves latexmk, starting afresh, to report
    the error."""
    command = ["xelatex", "--no-pdf", "-interaction=batchmode", "-halt-on-error"]
    command.append(f"\\def\\DocumentMetadata#1{{}}\\input{{{name}.tex}}")  # the job keeps the name `name`
    written = [latex_dir / f"{name}{suffix}" for suffix in (".aux", ".toc", ".lof")]
    before = None
    for passes in range(1, UNTAGGED_PASSES + 1):
        try:
            done = subprocess.run(command, cwd=latex_dir, capture_output=True, env=env, timeout=LATEX_TIMEOUT)
        except (FileNotFoundError, subprocess.TimeoutExpired):
            done = None
        if done is None or done.returncode:
            for path in written:
                path.unlink(missing_ok=True)
            return passes
        after = [path.read_bytes() if path.exists() else b"" for path in written]
        if after == before:
            return passes
        before = after
    return UNTAGGED_PASSES


def latex_to_pdf(latex_dir: Path, name: str, epoch: int = 0) -> Path:
    """Run latexmk (XeLaTeX) on the LaTeX build, after settle_untagged; raise SphinxFailed with the LaTeX errors
    or problems."""
    tex, pdf, log_file = (latex_dir / f"{name}{suffix}" for suffix in (".tex", ".pdf", ".log"))
    if not tex.exists():
        raise SphinxFailed(f"LaTeX failed: the LaTeX build wrote no {tex.name}")
    command = ["latexmk", "-xelatex", "-interaction=nonstopmode", "-halt-on-error", "-file-line-error", tex.name]
    # Unwrapped log lines, so messages and file names are read whole.
    env = {**os.environ, "max_print_line": "100000", "error_line": "254", "half_error_line": "238"}
    env.update(reproducible.tex_environment(epoch))  # the PDF's dates and /ID from the edition, not the clock
    settle_untagged(latex_dir, name, env)
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


def make(root: Path, build: Path, target: Path, force: bool) -> Path:
    """Write .work/latex/joined-up.tex (code cells left out) and run XeLaTeX on it."""
    from carebook.sphinxext import latex

    work = build / ".work"
    latex_dir = work / "latex"
    for stale in latex_dir.glob(f"{PDF_NAME}.*"):  # a .tex or .aux left by a failed run breaks latexmk
        stale.unlink()
    overrides = {
        **sphinx.OUTPUTS_ONLY,
        "external_toc_path": str(target / stage.PRINT_TOC),  # web-only pages left out
        **latex.latex_overrides(target),
    }
    sphinx.build(target, latex_dir, work / "doctrees-latex", root, "latex", overrides)
    return latex_to_pdf(latex_dir, PDF_NAME, reproducible.edition_epoch(target))


OUTPUT = Output(
    name="pdf",
    product=f"pdf/{PDF_NAME}.pdf",
    help="the PDF edition (XeLaTeX)",
    entries=("build/outputs/pdf.py", "sphinxext/latex.py", "sphinxext/vector.py"),
    make=make,
    publish=publish_file,
    ignore=("_static/*.js", "_static/*.css"),  # web assets
    link="Download the PDF edition of this book",
)
