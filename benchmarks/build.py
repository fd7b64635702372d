"""Time `carebook build` against stock `jupyter-book build`, on scratch copies of this repository.

Run with `make bench` (or `.venv/bin/python benchmarks/build.py --help`). Each case is timed N
times for each system, the two systems alternating, each in its own scratch copy:

1. clean build, everything executed (stock: `execute_notebooks: force`);
2. no-op rebuild, nothing changed (stock: `execute_notebooks: cache`, after one build that fills
   its cache);
3. one chapter's code cell edited;
4. one data CSV edited (a value a chart shows), and whether the built page shows the new value;
5. the PDF after the HTML.

Then a scaling run on generated books of synthetic chapters, the lower bound (kernel start,
imports, the chapters' own cell time) and a profile of where our clean build spends its time.
Figures are printed and written to benchmarks/results.md and results.json; nothing is asserted.
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[1]
HERE = Path(__file__).resolve().parent
PYTHON = sys.executable
JUPYTER_BOOK = str(Path(sys.executable).parent / "jupyter-book")
COPY_IGNORE = shutil.ignore_patterns(".*", "_build", "__pycache__", "benchmarks", "tests")
README_START, README_END = "<!-- results:start -->", "<!-- results:end -->"
CELL_TIMEOUT = 600  # the same per-cell limit for both systems (carebook.build.run.CELL_TIMEOUT)
SOURCE = REPO  # the tree copied into each scratch folder (--source)

# The edits of cases 3 and 4: a code cell of one chapter, and a value one chart shows.
CODE_EDIT_CHAPTER = "legislation"
DATA_EDIT = {"table": "vanguards", "row": "vanguard-admissions-growth-vanguard", "column": "value", "delta": 1.1}
DATA_EDIT_PAGE = "vanguards"  # its chart fig-vanguards-admissions draws that row's value

SYSTEMS = ("carebook", "stock")
CASES = {
    "clean": "Clean build, everything executed",
    "noop": "No-op rebuild (nothing changed)",
    "edit-code": f"One code cell edited ({CODE_EDIT_CHAPTER})",
    "edit-prose": f"A sentence added to a paragraph ({CODE_EDIT_CHAPTER})",
    "edit-build-code": "A comment added to carebook/sphinxext/html.py",
    "edit-data": f"One data CSV edited ({DATA_EDIT['table']}.csv)",
    "pdf": "PDF after HTML",
}


@dataclass
class Run:
    """One timed build."""

    system: str
    case: str
    repeat: int
    seconds: float
    executed: list[str]
    ok: bool
    load: float  # 1-minute load average just before the run
    shows_new_value: bool | None = None
    steps: dict[str, float] = field(default_factory=dict)
    chapter_seconds: dict[str, float] = field(default_factory=dict)
    log: str = ""


# ---------------------------------------------------------------- running the two systems


def strip_ansi(text: str) -> str:
    """Text without terminal colour codes."""
    return re.sub(r"\x1b\[[0-9;]*m", "", text)


def timed(command: list[str], cwd: Path, log: Path) -> tuple[float, bool, str]:
    """Run `command` in `cwd` with the scratch copy's carebook importable; wall seconds, success, output."""
    env = {**os.environ, "PYTHONPATH": str(cwd), "PYDEVD_DISABLE_FILE_VALIDATION": "1"}
    start = time.perf_counter()
    done = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    output = strip_ansi(done.stdout + "\n" + done.stderr)
    log.parent.mkdir(parents=True, exist_ok=True)
    log.write_text(f"$ {' '.join(command)}  (exit {done.returncode}, {seconds:.1f} s)\n{output}", encoding="utf-8")
    return seconds, done.returncode == 0, output


def run_carebook(root: Path, case: str, repeat: int, log_dir: Path, executor: str = "local") -> Run:
    """`carebook build` (or `carebook pdf`); what it executed and each step's time come from _build/report.json."""
    command = [PYTHON, "-m", "carebook.cli", "pdf" if case == "pdf" else "build", "--executor", executor]
    load = os.getloadavg()[0]
    report_path = root / "_build" / "report.json"
    report_path.unlink(missing_ok=True)
    seconds, ok, output = timed(command, root, log_dir / f"carebook-{executor}-{case}-{repeat}.log")
    report = json.loads(report_path.read_text(encoding="utf-8")) if report_path.exists() else {}
    chapters = report.get("chapters", {})
    done = {slug: c["seconds"] for slug, c in chapters.items() if c["status"] == "executed"}
    steps = {name: step["seconds"] for name, step in report.get("steps", {}).items()}
    log = "" if ok else output[-3000:]
    system = "carebook" if executor == "local" else f"carebook-{executor}"
    return Run(system, case, repeat, seconds, list(done), ok, load, steps=steps, chapter_seconds=done, log=log)


def run_stock(root: Path, case: str, repeat: int, log_dir: Path) -> Run:
    """Stock `jupyter-book build .` (pdflatex for the PDF); chapters executed are myst-nb's 'Executing' lines."""
    command = [JUPYTER_BOOK, "build", ".", *(["--builder", "pdflatex"] if case == "pdf" else [])]
    load = os.getloadavg()[0]
    seconds, ok, output = timed(command, root, log_dir / f"stock-{case}-{repeat}.log")
    executed = [Path(p).stem for p in re.findall(r"(?m)^(\S+\.md): Executing notebook", output)]
    finished = re.findall(r"(?m)^(\S+\.md): Executed notebook in ([\d.]+) seconds", output)
    times = {Path(p).stem: float(s) for p, s in finished}
    return Run(
        "stock", case, repeat, seconds, executed, ok, load, chapter_seconds=times, log="" if ok else output[-3000:]
    )


def set_stock_mode(root: Path, mode: str) -> None:
    """Let stock myst-nb execute the chapters itself: `force` or `cache`, with our per-cell time limit."""
    path = root / "_config.yml"
    conf = yaml.safe_load(path.read_text(encoding="utf-8"))
    conf.setdefault("execute", {}).update({"execute_notebooks": mode, "timeout": CELL_TIMEOUT})
    path.write_text(yaml.safe_dump(conf, sort_keys=False, allow_unicode=True), encoding="utf-8")


def scratch_copy(target: Path) -> Path:
    """A copy of the working tree as a build sees it (no _build, .venv, .git, tests or caches)."""
    shutil.copytree(SOURCE, target, ignore=COPY_IGNORE)
    return target


def stock_copy(target: Path, bundle: bytes, mode: str) -> Path:
    """A scratch copy for stock jupyter-book: execution on, and the chart script our build would stage."""
    scratch_copy(target)
    (target / "_static" / "vega-bundle.js").write_bytes(bundle)
    set_stock_mode(target, mode)
    return target


def vega_bundle() -> bytes:
    """The chart script (vega, vega-lite, vega-embed) that stock needs in _static; made once, not timed."""
    from carebook.build import vega_bundle as make

    with tempfile.TemporaryDirectory() as folder:
        return make(Path(folder))


# ---------------------------------------------------------------- the edits of cases 3 and 4


def edit_code_cell(root: Path, chapter: str, repeat: int) -> None:
    """Add a statement at the top of the chapter's last code cell (after its option lines)."""
    path = root / "book" / f"{chapter}.md"
    text = path.read_text(encoding="utf-8")
    start = text.rindex("```{code-cell}")
    lines = text[start:].split("\n")
    body = 1 + next(i for i, line in enumerate(lines[1:]) if not line.startswith(":"))
    lines.insert(body, f"benchmark_edit = {repeat + 1}  # added by benchmarks/build.py")
    path.write_text(text[:start] + "\n".join(lines), encoding="utf-8")


def edit_csv(root: Path, table: str, row: str, column: str, delta: float) -> float:
    """Add `delta` to one cell of data/<table>.csv; returns the new value."""
    path = root / "data" / f"{table}.csv"
    with open(path, encoding="utf-8", newline="") as f:
        rows = list(csv.reader(f))
    col = rows[0].index(column)
    line = next(r for r in rows[1:] if r[0] == row)
    new = round(float(line[col]) + delta, 6)
    line[col] = repr(new)
    with open(path, "w", encoding="utf-8", newline="") as f:
        csv.writer(f, lineterminator="\n").writerows(rows)
    return new


def edit_prose(root: Path, chapter: str, repeat: int) -> str:
    """Add a sentence to the chapter's first paragraph of prose; returns the sentence."""
    path = root / "book" / f"{chapter}.md"
    lines = path.read_text(encoding="utf-8").split("\n")
    sentence = f"The benchmark added this sentence, edit {repeat + 1}."
    fenced, previous = False, ""
    for number, line in enumerate(lines):
        if line.startswith(("```", ":::")):
            fenced = not fenced if line.strip() in ("```", ":::") or not fenced else fenced
        elif not fenced and previous == "" and line[:1].isupper() and number > 10:
            end = next(i for i in range(number, len(lines)) if i + 1 == len(lines) or not lines[i + 1].strip())
            lines[end] = f"{lines[end]} {sentence}"  # at the end of the paragraph, after its last full stop
            break
        previous = line.strip()
    path.write_text("\n".join(lines), encoding="utf-8")
    return sentence


def edit_build_code(root: Path, repeat: int) -> None:
    """Add a comment to the HTML step's own code (the scratch copy's carebook/sphinxext/html.py)."""
    path = root / "carebook" / "sphinxext" / "html.py"
    path.write_text(path.read_text(encoding="utf-8") + f"\n# benchmark edit {repeat + 1}\n", encoding="utf-8")


def readers_of(root: Path, table: str) -> list[str]:
    """The chapters whose source loads `table` (read from the sources, not from our cache's records)."""
    pattern = re.compile(rf"data\.(load|fact)\(\s*['\"]{re.escape(table)}['\"]")
    return sorted(p.stem for p in (root / "book").glob("*.md") if pattern.search(p.read_text(encoding="utf-8")))


def value_needle(column: str, value: float) -> str:
    """How the value appears in the chart's Vega-Lite spec embedded in the page."""
    return f'"{column}":{json.dumps(value)}'


def page_shows(root: Path, page: str, needle: str) -> bool:
    """True if the built HTML page contains `needle`."""
    html = root / "_build" / "html" / "book" / f"{page}.html"
    return html.exists() and needle in html.read_text(encoding="utf-8")


# ---------------------------------------------------------------- the main comparison


def run_case(
    name: str,
    roots: dict[str, Path],
    order: tuple[str, ...],
    repeat: int,
    logs: Path,
    check: str = "",
    page: str = DATA_EDIT_PAGE,
) -> list[Run]:
    """Time case `name` once for each system, in `order`; with `check`, note whether the edited page shows it."""
    runs = []
    for system in order:
        runner = run_carebook if system == "carebook" else run_stock
        run = runner(roots[system], name, repeat, logs)
        if check:
            run.shows_new_value = page_shows(roots[system], page, check)
        runs.append(run)
        report_run(run)
    return runs


def compare(repeats: int, work: Path, bundle: bytes, pdf: bool) -> tuple[list[Run], dict]:
    """Cases 1 to 5, `repeats` times, alternating which system goes first."""
    runs: list[Run] = []
    facts: dict = {"data_edit": {**DATA_EDIT, "page": DATA_EDIT_PAGE}, "code_edit_chapter": CODE_EDIT_CHAPTER}
    logs = work / "logs"
    for repeat in range(repeats):
        roots = {
            "carebook": scratch_copy(work / f"carebook-{repeat}"),
            "stock": stock_copy(work / f"stock-{repeat}", bundle, "force"),
        }
        order = SYSTEMS if repeat % 2 == 0 else SYSTEMS[::-1]
        runs += run_case("clean", roots, order, repeat, logs)
        set_stock_mode(roots["stock"], "cache")  # stock's cache starts empty: one build to fill it
        prime = run_stock(roots["stock"], "prime", repeat, logs)
        report_run(prime)
        runs += [prime, *run_case("noop", roots, order, repeat, logs)]
        for root in roots.values():
            edit_code_cell(root, CODE_EDIT_CHAPTER, repeat)
        runs += run_case("edit-code", roots, order, repeat, logs)
        sentences = {s: edit_prose(r, CODE_EDIT_CHAPTER, repeat) for s, r in roots.items()}
        runs += run_case("edit-prose", roots, order, repeat, logs, check=sentences["carebook"], page=CODE_EDIT_CHAPTER)
        for root in roots.values():
            edit_build_code(root, repeat)
        runs += run_case("edit-build-code", roots, order, repeat, logs)
        built = all(page_shows(r, DATA_EDIT_PAGE, "") for r in roots.values())  # "" is in any page that exists
        new_values = {s: edit_csv(r, **DATA_EDIT) for s, r in roots.items()}
        needle = value_needle(DATA_EDIT["column"], new_values["carebook"])
        facts["data_edit"].update(
            new_value=new_values["carebook"],
            needle=needle,
            readers=readers_of(roots["carebook"], DATA_EDIT["table"]),
            needle_absent_before=built and not any(page_shows(r, DATA_EDIT_PAGE, needle) for r in roots.values()),
        )
        runs += run_case("edit-data", roots, order, repeat, logs, check=needle)
        if pdf:
            runs += run_case("pdf", roots, order, repeat, logs)
        if repeat < repeats - 1:  # the last carebook copy is profiled afterwards
            for root in roots.values():
                shutil.rmtree(root)
    return runs, facts


def report_run(run: Run) -> None:
    """One progress line per timed build."""
    extra = "" if run.shows_new_value is None else f", page shows new value: {run.shows_new_value}"
    status = "" if run.ok else "  FAILED (see the log)"
    print(
        f"  [{run.repeat + 1}] {run.system:<8} {run.case:<9} {run.seconds:6.1f} s, "
        f"{len(run.executed)} executed{extra} (load {run.load:.1f}){status}",
        flush=True,
    )


# ---------------------------------------------------------------- scaling


def chapter_source(number: int) -> str:
    """A synthetic chapter of the real shape: parameters, load a table, compute, glue, one chart."""
    fence = "```"
    return textwrap.dedent(f"""\
        ---
        jupytext:
          text_representation:
            extension: .md
            format_name: myst
        kernelspec:
          display_name: Python 3
          language: python
          name: python3
        ---

        # Synthetic chapter {number}

        {fence}{{code-cell}} ipython3
        :tags: [parameters]
        scale = {number}
        {fence}

        {fence}{{code-cell}} ipython3
        import altair as alt

        from carebook import charts, data, prose

        table = data.load("demand")
        shown = table[["id", "value", "source_id"]].copy()
        shown["scaled"] = shown["value"] * scale
        prose.glue("syn{number}_total", float(shown["scaled"].sum()))
        {fence}

        The scaled total is {{glue:md}}`syn{number}_total`.

        {fence}{{code-cell}} ipython3
        chart = alt.Chart(shown).mark_bar().encode(x=alt.X("scaled:Q", title="Scaled"), y=alt.Y("id:N", title=None))
        charts.figure(
            "fig-syn{number}",
            chart,
            alt="Bars showing each scaled value of the demand table, one bar for each row.",
            sources=sorted(shown["source_id"].unique()),
            table="demand",
        )
        {fence}

        {fence}{{glue:figure}} fig-syn{number}
        :name: fig-syn{number}

        The demand table, each value scaled by the chapter's number.
        {fence}
        """)


def synthetic_book(target: Path, chapters: int) -> Path:
    """A book of `chapters` synthetic chapters with the real configuration, package, data and static files."""
    target.mkdir(parents=True)
    for name in ("_config.yml", "references.bib", "requirements.lock"):
        shutil.copy2(SOURCE / name, target / name)
    for name in ("_static", "latex", "carebook", "data"):
        shutil.copytree(SOURCE / name, target / name, ignore=COPY_IGNORE)
    (target / "book").mkdir()
    (target / "book" / "index.md").write_text(f"# Synthetic book\n\n{chapters} generated chapters.\n")
    names = [f"ch{n:03d}" for n in range(1, chapters + 1)]
    for number, name in enumerate(names, 1):
        (target / "book" / f"{name}.md").write_text(chapter_source(number), encoding="utf-8")
    toc = {"format": "jb-book", "root": "book/index", "chapters": [{"file": f"book/{n}"} for n in names]}
    (target / "_toc.yml").write_text(yaml.safe_dump(toc, sort_keys=False), encoding="utf-8")
    return target


def scaling(sizes: list[int], repeats: int, work: Path, bundle: bytes) -> list[Run]:
    """Clean and no-op builds of synthetic books; stock's clean build fills an empty jupyter-cache."""
    runs = []
    for size in sizes:
        for repeat in range(repeats):
            order = SYSTEMS if (repeat + size) % 2 == 0 else SYSTEMS[::-1]
            for system in order:
                root = synthetic_book(work / f"scale-{size}-{system}-{repeat}", size)
                if system == "stock":
                    (root / "_static" / "vega-bundle.js").write_bytes(bundle)
                    set_stock_mode(root, "cache")
                runner = run_carebook if system == "carebook" else run_stock
                for case in ("clean", "noop"):
                    run = runner(root, case, repeat, work / "logs" / f"scale-{size}")
                    run.case = f"{case}-{size}"
                    runs.append(run)
                    report_run(run)
                if system == "carebook":  # the same book on a Dask LocalCluster, from a clean build folder
                    shutil.rmtree(root / "_build")
                    run = run_carebook(root, "clean", repeat, work / "logs" / f"scale-{size}", executor="dask")
                    run.case = f"clean-{size}"
                    runs.append(run)
                    report_run(run)
                shutil.rmtree(root)
    return runs


# ---------------------------------------------------------------- the floor and where the time goes

FLOOR_SCRIPT = """
import json, statistics, sys, time
import nbformat, papermill
from nbformat.v4 import new_code_cell, new_notebook

def once(source):
    nb = new_notebook(cells=[new_code_cell(source)],
                      metadata={"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}})
    start = time.perf_counter()
    out = papermill.execute_notebook(nb, None, kernel_name="python3", progress_bar=False,
                                     request_save_on_cell_execute=False)
    return time.perf_counter() - start, out.cells[0].metadata.papermill.duration

result = {}
for name, source in (("trivial", "1"), ("imports", "import pandas, altair")):
    samples = [once(source) for _ in range(int(sys.argv[1]))]
    result[name] = {"wall": statistics.median(s[0] for s in samples), "cell": statistics.median(s[1] for s in samples)}
print(json.dumps(result))
"""

PNG_SCRIPT = """
import json, re, sys, time
from pathlib import Path
import vl_convert

start = time.perf_counter()
vl_convert.vegalite_to_png({"mark": "point", "data": {"values": [{"a": 1}]}, "encoding": {"x": {"field": "a"}}})
init = time.perf_counter() - start
charts, seconds = 0, 0.0
for path in sorted(Path(sys.argv[1]).glob("*.ipynb")):
    for cell in json.loads(path.read_text())["cells"]:
        for output in cell.get("outputs", []):
            data = {k.rsplit("/", 2)[-2] + "/" + k.rsplit("/", 1)[-1]: v for k, v in output.get("data", {}).items()}
            if "image/png" not in data:  # glued outputs are stored as application/papermill.record/<type>
                continue
            html = data.get("text/html", "")
            html = "".join(html) if isinstance(html, list) else html
            for spec in re.findall(r'class="carebook-spec"[^>]*>(.*?)</script>', html, re.S):
                spec = json.loads(spec.replace("<\\\\/", "</"))
                start = time.perf_counter()
                vl_convert.vegalite_to_png(spec, scale=2)
                seconds += time.perf_counter() - start
                charts += 1
print(json.dumps({"init": init, "charts": charts, "seconds": seconds}))
"""

SPHINX_PROFILE_SCRIPT = """
import cProfile, json, pstats, sys, tempfile, time
from pathlib import Path
from carebook import build
from carebook.build import sphinx

root = Path(sys.argv[1])
target = build.prepare(root, root / "_build", {}, False, None, build.Report())  # all cached: stages only
with tempfile.TemporaryDirectory() as out:
    profile = cProfile.Profile()
    start = time.perf_counter()
    profile.runcall(sphinx.build, target, Path(out) / "html", Path(out) / "doctrees", root, "html")
    wall = time.perf_counter() - start
stats = pstats.Stats(profile).stats  # (file, line, function) -> (calls, primitive calls, self, cumulative, callers)

def cumulative(path, function):
    return sum(v[3] for (f, _, name), v in stats.items() if f.endswith(path) and name == function)

phases = {
    "start Sphinx (extensions, configuration, bibliography file)": cumulative("sphinx/application.py", "__init__"),
    "read and parse the pages": cumulative("sphinx/builders/__init__.py", "read"),
    "resolve references and write the pages": cumulative("sphinx/builders/__init__.py", "write"),
    "finish (static files, search index, inventory)": cumulative("sphinx/builders/html/__init__.py", "finish"),
}
hotspots = {
    "bibliography: format entries (pybtex)": cumulative("sphinxcontrib/bibtex/domain.py", "get_formatted_entries"),
    "bibliography: resolve citations": cumulative("sphinxcontrib/bibtex/domain.py", "resolve_xref"),
    "search index: stem every word": cumulative("sphinx/search/__init__.py", "feed"),
    "syntax highlighting of code cells": cumulative("sphinx/highlighting.py", "highlight_block"),
    "unpickle doctrees": cumulative("sphinx/environment/__init__.py", "get_doctree"),
    "HTML templates (jinja2)": cumulative("sphinx/builders/html/__init__.py", "handle_page"),
    "entry-point scans (importlib.metadata)": cumulative("importlib/metadata/__init__.py", "entry_points"),
}

# The same step unprofiled, without and then with carebook's memo of pybtex's plugin look-ups.
import importlib.metadata, pybtex.plugin
memo = pybtex.plugin.entry_points
unprofiled = {}
for name, lookup in (("without", importlib.metadata.entry_points), ("with", memo)):
    pybtex.plugin.entry_points = lookup
    with tempfile.TemporaryDirectory() as out:
        start = time.perf_counter()
        sphinx.build(target, Path(out) / "html", Path(out) / "doctrees", root, "html")
        unprofiled[name] = time.perf_counter() - start
print(json.dumps({"wall_profiled": wall, "phases": phases, "hotspots": hotspots, "memo": unprofiled}))
"""


def helper(script: str, *args: str, cwd: Path) -> dict:
    """Run a measuring script in a fresh interpreter, with `cwd`'s carebook importable; its JSON result."""
    env = {**os.environ, "PYTHONPATH": str(cwd), "PYDEVD_DISABLE_FILE_VALIDATION": "1"}
    done = subprocess.run([PYTHON, "-c", script, *args], cwd=cwd, env=env, capture_output=True, text=True)
    if done.returncode:
        return {"error": done.stderr.strip().splitlines()[-1:] or [f"exit {done.returncode}"]}
    return json.loads(done.stdout.strip().splitlines()[-1])


def cell_seconds(executed: Path) -> dict[str, float]:
    """Each chapter's own cell time: the sum of papermill's per-cell durations in the executed notebook."""
    found = {}
    for path in sorted(executed.glob("*.ipynb")):
        cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
        found[path.stem] = sum((c.get("metadata", {}).get("papermill", {}).get("duration") or 0.0) for c in cells)
    return found


def floor_and_profile(root: Path, clean: Run, workers: int) -> dict:
    """The lower bound and where our clean build's time goes, from the last clean build in `root`."""
    print("measuring the floor and profiling...", flush=True)
    kernel = helper(FLOOR_SCRIPT, "3", cwd=root)
    cells = cell_seconds(root / "_build" / "executed")
    png = helper(PNG_SCRIPT, str(root / "_build" / "executed"), cwd=root)
    sphinx = helper(SPHINX_PROFILE_SCRIPT, str(root), cwd=root)
    result = {
        "kernel": kernel,
        "cells": cells,
        "png": png,
        "sphinx_profile": sphinx,
        "chapter_wall": clean.chapter_seconds,
    }
    if "error" not in kernel and cells:
        start = kernel["trivial"]["wall"] - kernel["trivial"]["cell"]
        slowest = max(cells.values()) + start
        html = clean.steps.get("html", 0.0)
        result.update(
            kernel_start=start,
            html=html,
            slowest_chapter=slowest,
            floor=math.ceil(len(cells) / workers) * slowest + html,
            floor_formula=f"ceil({len(cells)} / {workers}) x {slowest:.1f} s + html {html:.1f} s",
        )
    return result


# ---------------------------------------------------------------- summarising


def spread(values: list[float]) -> str:
    """'median (min–max)' in seconds."""
    if not values:
        return "n/a"
    if len(values) == 1:
        return f"{values[0]:.1f}"
    return f"{statistics.median(values):.1f} ({min(values):.1f}–{max(values):.1f})"


def executed_text(runs: list[Run]) -> str:
    """How many notebooks each run executed, e.g. '6' or '1, 1, 2'."""
    counts = sorted({len(r.executed) for r in runs})
    return ", ".join(map(str, counts)) if runs else "n/a"


def select(runs: list[Run], system: str, case: str) -> list[Run]:
    """The successful runs of one system and case."""
    return [r for r in runs if r.system == system and r.case == case and r.ok]


def median(runs: list[Run]) -> float:
    """Median seconds (nan if none)."""
    return statistics.median(r.seconds for r in runs) if runs else math.nan


def paired(runs: list[Run], case: str) -> list[float]:
    """carebook / stock for each repeat of `case`: the two builds ran back to back, under much the same load."""
    ours = {r.repeat: r.seconds for r in select(runs, "carebook", case)}
    stock = {r.repeat: r.seconds for r in select(runs, "stock", case)}
    return [ours[k] / stock[k] for k in sorted(ours.keys() & stock.keys())]


def ratio_text(runs: list[Run], case: str) -> str:
    """'0.76x (per repeat: 0.54, 0.76, 0.63)': the ratio of the medians, then each repeat's own ratio."""
    ours, stock = select(runs, "carebook", case), select(runs, "stock", case)
    each = ", ".join(f"{r:.2f}" for r in paired(runs, case))
    return f"{median(ours) / median(stock):.2f}x (per repeat: {each})"


def targets(runs: list[Run], facts: dict) -> list[tuple[str, bool, str]]:
    """Each target of issue 10: description, met, measured."""
    ours = {c: select(runs, "carebook", c) for c in CASES}
    stock = {c: select(runs, "stock", c) for c in CASES}
    clean = median(ours["clean"]) / median(stock["clean"])
    noop = median(ours["noop"]) / median(stock["noop"])
    noop_own = median(ours["noop"]) / median(ours["clean"])
    readers = facts["data_edit"].get("readers", [])
    data_runs = ours["edit-data"]
    found = [
        ("Clean build at most 0.6x stock (ratio of medians)", clean <= 0.6, ratio_text(runs, "clean")),
        ("No-op rebuild at most 0.5x stock (ratio of medians)", noop <= 0.5, ratio_text(runs, "noop")),
        ("No-op under 10% of our clean build", noop_own < 0.1, f"{100 * noop_own:.1f}%"),
        (
            "Edited chapter: exactly one notebook executed",
            bool(ours["edit-code"]) and all(r.executed == [CODE_EDIT_CHAPTER] for r in ours["edit-code"]),
            "; ".join(",".join(r.executed) or "none" for r in ours["edit-code"]),
        ),
        (
            f"Edited data: exactly its readers executed ({', '.join(readers)}), page shows the new value",
            bool(data_runs) and all(sorted(r.executed) == readers and r.shows_new_value for r in data_runs),
            "; ".join(f"{','.join(sorted(r.executed))} / shows: {r.shows_new_value}" for r in data_runs),
        ),
        (
            "Edited prose: zero executed, the page shows the sentence, at most 0.7x stock",
            bool(ours["edit-prose"])
            and all(not r.executed and r.shows_new_value for r in ours["edit-prose"])
            and median(ours["edit-prose"]) / median(stock["edit-prose"]) <= 0.7,
            f"{ratio_text(runs, 'edit-prose')}; "
            + "; ".join(f"{len(r.executed)} executed / shows: {r.shows_new_value}" for r in ours["edit-prose"]),
        ),
        (
            "Edited html.py: zero executed and the site rebuilt",
            bool(ours["edit-build-code"])
            and all(not r.executed and "html" in r.steps and r.steps["html"] > 0 for r in ours["edit-build-code"]),
            "; ".join(
                f"{len(r.executed)} executed / html {r.steps.get('html', 0):.1f} s" for r in ours["edit-build-code"]
            ),
        ),
        (
            "Stock, edited data: zero executed and a stale page (expected of stock)",
            bool(stock["edit-data"]) and all(not r.executed and not r.shows_new_value for r in stock["edit-data"]),
            "; ".join(f"{len(r.executed)} executed / shows: {r.shows_new_value}" for r in stock["edit-data"]),
        ),
    ]
    return found


def scaling_rows(runs: list[Run], sizes: list[int]) -> list[dict]:
    """Per size: clean and no-op medians for both systems."""
    rows = []
    for size in sizes:
        row = {"chapters": size}
        for system in SYSTEMS:
            for case in ("clean", "noop"):
                row[f"{system}_{case}"] = median(select(runs, system, f"{case}-{size}"))
            row[f"{system}_load"] = statistics.mean(r.load for r in select(runs, system, f"clean-{size}") or [])
        row["dask_clean"] = median(select(runs, "carebook-dask", f"clean-{size}"))
        rows.append(row)
    return rows


def markdown(runs, facts, scale_runs, sizes, floor, machine, args) -> str:
    """The results as Markdown: main table, targets, scaling, floor, where the time goes."""
    out = [
        "# Build benchmark: carebook versus stock jupyter-book",
        "",
        f"Measured {machine['date']} on {machine['cores']} cores ({machine['platform']}, Python {machine['python']}), "
        f"{args.repeats} repeat(s) of each case, the two systems alternating; load average "
        f"{machine['load_start'][0]:.1f} at the start and {machine['load_end'][0]:.1f} at the end "
        f"(mean 1-minute load before each timed build: {machine['mean_load']:.1f}; the machine is shared, "
        "so a load above the core count slows both systems). Seconds are wall time: median (min–max); "
        "the ratio is of the medians, then each repeat's own (its two builds ran back to back).",
        "",
        "| Case | carebook s | executed | stock s | executed | carebook / stock | per repeat |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    for case, title in CASES.items():
        ours, stock = select(runs, "carebook", case), select(runs, "stock", case)
        if not ours and not stock:
            continue
        ratio = median(ours) / median(stock) if ours and stock else math.nan
        note = ""
        if case == "edit-data":
            shows = {s: [r.shows_new_value for r in select(runs, s, case)] for s in SYSTEMS}
            note = " " + "; ".join(
                f"{s} page shows new value: {'yes' if all(v) else 'no' if not any(v) else 'sometimes'}"
                for s, v in shows.items()
            )
            title = f"{title}{note}"
        out.append(
            f"| {title} | {spread([r.seconds for r in ours])} | {executed_text(ours)} | "
            f"{spread([r.seconds for r in stock])} | {executed_text(stock)} | {ratio:.2f} | "
            f"{', '.join(f'{r:.2f}' for r in paired(runs, case))} |"
        )
    prime = select(runs, "stock", "prime")
    failed = [r for r in runs if not r.ok]
    out += [
        "",
        f"Stock's no-op, edit and PDF cases use `execute_notebooks: cache`; filling its empty cache first took "
        f"{spread([r.seconds for r in prime])} s ({executed_text(prime)} executed), not counted above. "
        f"Case 3 adds a statement to the last code cell of `{CODE_EDIT_CHAPTER}`; case 4 adds "
        f"{DATA_EDIT['delta']} to `{DATA_EDIT['column']}` of row `{DATA_EDIT['row']}` in "
        f"`data/{DATA_EDIT['table']}.csv`, which the chart of `{DATA_EDIT_PAGE}` draws, and looks for "
        f"`{facts['data_edit'].get('needle', '?')}` in the built page (absent before the edit: "
        f"{facts['data_edit'].get('needle_absent_before')}). Chapters that read that table, from their sources: "
        f"{', '.join(facts['data_edit'].get('readers', []))}.",
    ]
    if failed:
        out += [
            "",
            "Failed builds (excluded above): " + ", ".join(f"{r.system} {r.case} #{r.repeat + 1}" for r in failed),
        ]
    out += ["", "## Targets", "", "| Target | Met | Measured |", "| --- | --- | --- |"]
    out += [f"| {name} | {'yes' if met else '**no**'} | {measured} |" for name, met, measured in targets(runs, facts)]
    if scale_runs:
        out += [
            "",
            "## Scaling",
            "",
            f"Generated books of synthetic chapters (parameters, load `demand`, compute, glue, one chart), "
            f"{args.scale_repeats} run(s) per size. Stock's clean build here is its first build in `cache` mode "
            "(an empty cache, so everything is executed).",
            "",
            "| Chapters | carebook clean s | stock clean s | ratio | carebook no-op s | stock no-op s | ratio "
            "| load before the clean builds (carebook, stock) | carebook --executor dask clean s | dask / local |",
            "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
        ]
        rows = scaling_rows(scale_runs, sizes)
        for row in rows:
            out.append(
                f"| {row['chapters']} | {row['carebook_clean']:.1f} | {row['stock_clean']:.1f} | "
                f"{row['carebook_clean'] / row['stock_clean']:.2f} | {row['carebook_noop']:.1f} | "
                f"{row['stock_noop']:.1f} | {row['carebook_noop'] / row['stock_noop']:.2f} | "
                f"{row['carebook_load']:.1f}, {row['stock_load']:.1f} | {row['dask_clean']:.1f} | "
                f"{row['dask_clean'] / row['carebook_clean']:.2f} |"
            )
        loads = [row[f"{s}_load"] for row in rows for s in SYSTEMS]
        if loads and max(loads) - min(loads) > 1:
            out += [
                "",
                "The load changed between sizes by more than one core's worth: the growth below mixes the "
                "chapter count with the machine's other work.",
            ]
        if len(rows) > 1:
            first, last = rows[0], rows[-1]
            growth = last["chapters"] / first["chapters"]
            added = last["chapters"] - first["chapters"]
            out += [
                "",
                f"From {first['chapters']} to {last['chapters']} chapters ({growth:.0f}x): carebook's clean build grew "
                f"{last['carebook_clean'] / first['carebook_clean']:.1f}x and its no-op "
                f"{last['carebook_noop'] / first['carebook_noop']:.1f}x; stock's clean build grew "
                f"{last['stock_clean'] / first['stock_clean']:.1f}x and its no-op "
                f"{last['stock_noop'] / first['stock_noop']:.1f}x. Per chapter, carebook's clean build cost "
                f"{(last['carebook_clean'] - first['carebook_clean']) / added:.2f} s "
                f"and stock's {(last['stock_clean'] - first['stock_clean']) / added:.2f} s "
                f"(with {machine['workers']} carebook workers).",
            ]
    out += weight_lines(machine.get("page_weight"))
    out += where_the_time_goes(floor, runs, machine)
    return "\n".join(out) + "\n"


def where_the_time_goes(floor: dict, runs: list[Run], machine: dict) -> list[str]:
    """The lower bound and the profile of our clean build, as Markdown."""
    if not floor:
        return []
    clean = select(runs, "carebook", "clean")
    steps = {k: statistics.median(r.steps.get(k, 0.0) for r in clean) for k in ("validate", "execute", "stage", "html")}
    out = ["", "## Lower bound", ""]
    kernel = floor.get("kernel", {})
    if "trivial" in kernel:
        out += [
            f"- Starting a kernel and running a trivial cell through papermill: {kernel['trivial']['wall']:.2f} s; "
            f"a cell that imports pandas and altair: {kernel['imports']['wall']:.2f} s "
            f"(the import itself {kernel['imports']['cell']:.2f} s).",
            f"- The chapters' own cell time (papermill's per-cell durations, last clean build): "
            f"{sum(floor['cells'].values()):.1f} s in all; "
            + ", ".join(f"{k} {v:.1f}" for k, v in sorted(floor["cells"].items(), key=lambda kv: -kv[1]))
            + ".",
            f"- Floor for a clean build on {machine['workers']} workers: {floor['floor_formula']} = "
            f"**{floor['floor']:.1f} s**, against a measured median of {median(clean):.1f} s "
            f"({median(clean) / floor['floor']:.2f}x the floor).",
        ]
        stock_clean = select(runs, "stock", "clean")
        if stock_clean:
            cells = floor["cells"]
            balanced = (sum(cells.values()) + floor["kernel_start"] * len(cells)) / machine["workers"] + floor["html"]
            out.append(
                f"- With the work shared perfectly instead (every chapter's cells plus a kernel start, divided among "
                f"the workers, plus the HTML step): {balanced:.1f} s. Against stock's median clean build "
                f"({median(stock_clean):.1f} s) the two floors are {floor['floor'] / median(stock_clean):.2f}x and "
                f"{balanced / median(stock_clean):.2f}x."
            )
    out += ["", "## Where the time goes", "", "Our clean build (median of the steps it reports):", ""]
    out += [f"- {name}: {seconds:.1f} s" for name, seconds in steps.items()]
    walls = floor.get("chapter_wall", {})
    if walls and floor.get("cells"):
        overhead = {k: walls[k] - floor["cells"].get(k, 0.0) for k in walls}
        out += [
            "",
            "Per chapter in the last clean build (wall in its worker, of which its own cells; the rest is kernel "
            "start, papermill and waiting for a core):",
            "",
            "| Chapter | wall s | cells s | rest s |",
            "| --- | --- | --- | --- |",
        ]
        out += [f"| {k} | {walls[k]:.1f} | {floor['cells'].get(k, 0.0):.1f} | {overhead[k]:.1f} |" for k in walls]
    png = floor.get("png", {})
    if "charts" in png:
        out += [
            "",
            f"PNG conversion (vl-convert, for the PDF; every chart makes one during execution): {png['charts']} charts "
            f"re-rendered in {png['seconds']:.1f} s, plus {png['init']:.2f} s to start vl-convert's engine, which "
            "every kernel pays once.",
        ]
    prof = floor.get("sphinx_profile", {})
    if "phases" in prof:
        html = steps.get("html") or prof["wall_profiled"]
        scale = html / prof["wall_profiled"]
        out += [
            "",
            f"The Sphinx HTML step, profiled with cProfile on the staged tree ({prof['wall_profiled']:.1f} s under the "
            f"profiler; seconds below are scaled to the unprofiled {html:.1f} s). Phases, then the costliest parts "
            "(which overlap the phases):",
            "",
            "| Part | share | about s |",
            "| --- | --- | --- |",
        ]
        for name, seconds in [*prof["phases"].items(), *prof["hotspots"].items()]:
            out.append(f"| {name} | {100 * seconds / prof['wall_profiled']:.0f}% | {seconds * scale:.1f} |")
        memo = prof.get("memo", {})
        if memo:
            out += [
                "",
                f"The same step unprofiled, once without carebook's memo of pybtex's plugin look-ups (each of which "
                f"scans every installed package's entry points) and once with it: {memo['without']:.1f} s and "
                f"{memo['with']:.1f} s.",
            ]
    stock_clean = select(runs, "stock", "clean")
    if stock_clean:
        executing = statistics.median(sum(r.chapter_seconds.values()) for r in stock_clean)
        out += [
            "",
            f"Stock's clean build: myst-nb reports {executing:.1f} s executing the chapters one after another; "
            f"the rest of its {median(stock_clean):.1f} s is Sphinx.",
        ]
    return out


def update_readme(table: str) -> None:
    """Put the latest results between the markers in benchmarks/README.md."""
    readme = HERE / "README.md"
    if not readme.exists():
        return
    text = readme.read_text(encoding="utf-8")
    if README_START in text and README_END in text:
        head, rest = text.split(README_START, 1)
        _, tail = rest.split(README_END, 1)
        readme.write_text(f"{head}{README_START}\n{table}{README_END}{tail}", encoding="utf-8")


def write_results(runs, facts, scale_runs, floor, machine, args) -> None:
    """Print the Markdown and write results.md, results.json and (for the default folder) the README's copy."""
    text = markdown(runs, facts, scale_runs, args.scale_sizes, floor, machine, args)
    print("\n" + text)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "results.md").write_text(text, encoding="utf-8")
    result = {
        "machine": machine,
        "settings": {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items() if k != "render"},
        "facts": facts,
        "targets": [{"target": t, "met": m, "measured": s} for t, m, s in targets(runs, facts)],
        "scaling": scaling_rows(scale_runs, args.scale_sizes) if scale_runs else [],
        "floor": floor,
        "runs": [asdict(r) for r in runs + scale_runs],
    }
    (args.out / "results.json").write_text(json.dumps(result, indent=1, default=str) + "\n", encoding="utf-8")
    if args.out == HERE:
        update_readme(text.split("\n", 2)[2].replace("\n## ", "\n### "))
    print(f"wrote {args.out / 'results.md'} and {args.out / 'results.json'}")


def page_weight(html: Path) -> dict:
    """Bytes of the largest page, of the whole built site, and of the chart script every page shares."""
    pages = {str(p.relative_to(html)): p.stat().st_size for p in html.rglob("*.html")}
    largest = max(pages, key=pages.get)
    return {
        "largest_page": largest,
        "largest_page_bytes": pages[largest],
        "site_bytes": sum(p.stat().st_size for p in html.rglob("*") if p.is_file()),
        "vega_bundle_bytes": (html / "_static" / "vega-bundle.js").stat().st_size,
    }


def weight_lines(weight: dict | None) -> list[str]:
    """The page-weight section of results.md."""
    if not weight:
        return []
    mib = 1024 * 1024
    return [
        "",
        "## Page weight",
        "",
        f"Largest page: `{weight['largest_page']}`, {weight['largest_page_bytes'] / 1024:.0f} KiB of HTML (its charts' "
        f"specs and data included). Whole site: {weight['site_bytes'] / mib:.1f} MiB, of which the chart script "
        f"every page shares (vega, vega-lite and vega-embed, cached by the browser after the first page) is "
        f"{weight['vega_bundle_bytes'] / mib:.1f} MiB." + (f" ({weight['note']}.)" if weight.get("note") else ""),
    ]


def render(path: Path, args: argparse.Namespace) -> None:
    """Write the results again from a saved results.json (after a change to how they are presented)."""
    saved = json.loads(path.read_text(encoding="utf-8"))
    for key in ("repeats", "scale_sizes", "scale_repeats"):
        setattr(args, key, saved["settings"][key])
    runs = [Run(**r) for r in saved["runs"]]
    if "page_weight" not in saved["machine"] and (REPO / "_build" / "html").exists():
        weight = page_weight(REPO / "_build" / "html")
        saved["machine"]["page_weight"] = {
            **weight,
            "note": "measured when these results were rendered, not in the run",
        }
    scaled = [r for r in runs if r.case.rsplit("-", 1)[-1].isdigit()]
    main_runs = [r for r in runs if r not in scaled]
    write_results(main_runs, saved["facts"], scaled, saved["floor"], saved["machine"], args)


def main(argv: list[str] | None = None) -> int:
    """Run every measurement; print and write the results."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("-n", "--repeats", type=int, default=3, help="repeats of each case (default 3)")
    parser.add_argument("--scale-sizes", type=int, nargs="*", default=[10, 20, 40], help="synthetic book sizes")
    parser.add_argument("--scale-repeats", type=int, default=1, help="repeats per size (default 1)")
    parser.add_argument("--no-pdf", action="store_true", help="skip case 5")
    parser.add_argument("--out", type=Path, default=HERE, help="where results.md and results.json go")
    parser.add_argument("--source", type=Path, default=REPO, help="the book to copy (default: this repository)")
    parser.add_argument(
        "--keep", action="store_true", help="keep the scratch folder (its logs/ has every build's output)"
    )
    parser.add_argument("--render", type=Path, help="measure nothing: write the results again from this results.json")
    args = parser.parse_args(argv)
    if args.render:
        render(args.render, args)
        return 0

    load_start = os.getloadavg()
    cores = os.cpu_count() or 1
    print(f"{cores} cores, load average {load_start[0]:.2f} {load_start[1]:.2f} {load_start[2]:.2f}", flush=True)
    pdf = not args.no_pdf and shutil.which("latexmk") is not None and shutil.which("xelatex") is not None
    work = Path(tempfile.mkdtemp(prefix="carebook-bench-"))
    print(f"scratch folder: {work}", flush=True)
    global SOURCE
    # One snapshot for the whole run: others may be editing the working tree meanwhile.
    SOURCE = Path(shutil.copytree(args.source.resolve(), work / "source", ignore=COPY_IGNORE))
    try:
        bundle = vega_bundle()
        runs, facts = compare(args.repeats, work, bundle, pdf)
        last_clean = next(r for r in reversed(runs) if r.system == "carebook" and r.case == "clean")
        floor = floor_and_profile(work / f"carebook-{args.repeats - 1}", last_clean, cores)
        weight = page_weight(work / f"carebook-{args.repeats - 1}" / "_build" / "html")
        scale_runs = scaling(args.scale_sizes, args.scale_repeats, work, bundle) if args.scale_sizes else []
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    load_end = os.getloadavg()
    machine = {
        "cores": cores,
        "workers": cores,
        "load_start": load_start,
        "load_end": load_end,
        "mean_load": statistics.mean(r.load for r in runs + scale_runs),
        "python": platform.python_version(),
        "platform": platform.platform(terse=True),
        "date": time.strftime("%Y-%m-%d %H:%M"),
        "pdf": pdf,
        "page_weight": weight,
    }
    write_results(runs, facts, scale_runs, floor, machine, args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
