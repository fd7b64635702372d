"""The timing harness: run one build of either system in a scratch folder and record what it did."""

from __future__ import annotations

import json
import os
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[1]
PYTHON = sys.executable
JUPYTER_BOOK = str(Path(sys.executable).parent / "jupyter-book")
COPY_IGNORE = shutil.ignore_patterns(".*", "_build", "__pycache__", "benchmarks", "tests")
CELL_TIMEOUT = 600  # the same per-cell limit for both systems (carebook.build.run.CELL_TIMEOUT)
SYSTEMS = ("carebook", "stock")


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
    step_status: dict[str, str] = field(default_factory=dict)  # built, unchanged or failed (carebook only)
    cpu: float = 0.0  # CPU seconds of the build and every process it started (the machine is shared)


def strip_ansi(text: str) -> str:
    """Text without terminal colour codes."""
    return re.sub(r"\x1b\[[0-9;]*m", "", text)


def scratch_env(cwd: Path) -> dict[str, str]:
    """The environment of a timed build: the scratch copy's carebook importable ahead of the installed one."""
    return {**os.environ, "PYTHONPATH": str(cwd), "PYDEVD_DISABLE_FILE_VALIDATION": "1"}


def children_cpu() -> float:
    """CPU seconds (user and system) of this process's finished children so far, theirs included."""
    used = resource.getrusage(resource.RUSAGE_CHILDREN)
    return used.ru_utime + used.ru_stime


def timed(command: list[str], cwd: Path, log: Path) -> tuple[float, bool, str, float]:
    """Run `command` in `cwd`; wall seconds, success, output (also written to `log`) and CPU seconds."""
    start, cpu = time.perf_counter(), children_cpu()
    done = subprocess.run(command, cwd=cwd, env=scratch_env(cwd), capture_output=True, text=True)
    seconds, cpu = time.perf_counter() - start, children_cpu() - cpu
    output = strip_ansi(done.stdout + "\n" + done.stderr)
    log.parent.mkdir(parents=True, exist_ok=True)
    log.write_text(f"$ {' '.join(command)}  (exit {done.returncode}, {seconds:.1f} s)\n{output}", encoding="utf-8")
    return seconds, done.returncode == 0, output, cpu


def read_report(root: Path) -> dict:
    """The build's own record of what it did (_build/report.json), or {} when the build wrote none."""
    path = root / "_build" / "report.json"
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}


def run_carebook(root: Path, case: str, repeat: int, log_dir: Path, executor: str = "local") -> Run:
    """`carebook build` (or `carebook pdf`); what it executed and each step's time come from _build/report.json."""
    command = [PYTHON, "-m", "carebook.cli", "pdf" if case == "pdf" else "build", "--executor", executor]
    load = os.getloadavg()[0]
    (root / "_build" / "report.json").unlink(missing_ok=True)
    seconds, ok, output, cpu = timed(command, root, log_dir / f"carebook-{executor}-{case}-{repeat}.log")
    report = read_report(root)
    chapters = report.get("chapters", {})
    done = {slug: c["seconds"] for slug, c in chapters.items() if c["status"] == "executed"}
    steps = report.get("steps", {})
    system = "carebook" if executor == "local" else f"carebook-{executor}"
    return Run(
        system,
        case,
        repeat,
        seconds,
        list(done),
        ok,
        load,
        steps={name: step["seconds"] for name, step in steps.items()},
        chapter_seconds=done,
        log="" if ok else output[-3000:],
        step_status={name: step["status"] for name, step in steps.items()},
        cpu=cpu,
    )


def run_stock(root: Path, case: str, repeat: int, log_dir: Path) -> Run:
    """Stock `jupyter-book build .` (pdflatex for the PDF); chapters executed are myst-nb's 'Executing' lines."""
    command = [JUPYTER_BOOK, "build", ".", *(["--builder", "pdflatex"] if case == "pdf" else [])]
    load = os.getloadavg()[0]
    seconds, ok, output, cpu = timed(command, root, log_dir / f"stock-{case}-{repeat}.log")
    executed = [Path(p).stem for p in re.findall(r"(?m)^(\S+\.md): Executing notebook", output)]
    finished = re.findall(r"(?m)^(\S+\.md): Executed notebook in ([\d.]+) seconds", output)
    times = {Path(p).stem: float(s) for p, s in finished}
    log = "" if ok else output[-3000:]
    return Run("stock", case, repeat, seconds, executed, ok, load, chapter_seconds=times, log=log, cpu=cpu)


def runner(system: str):
    """The function that times one build of `system`."""
    return run_carebook if system == "carebook" else run_stock


def set_stock_mode(root: Path, mode: str) -> None:
    """Let stock myst-nb execute the chapters itself: `force` or `cache`, with our per-cell time limit; the launch
    settings as our build stages them (none without a repository: the theme cannot build them)."""
    from carebook.build.stage import launch

    path = root / "_config.yml"
    conf = yaml.safe_load(path.read_text(encoding="utf-8"))
    launch(conf, "")
    conf.setdefault("execute", {}).update({"execute_notebooks": mode, "timeout": CELL_TIMEOUT})
    path.write_text(yaml.safe_dump(conf, sort_keys=False, allow_unicode=True), encoding="utf-8")


def scratch_copy(source: Path, target: Path) -> Path:
    """A copy of the book as a build sees it (no _build, .venv, .git, tests or caches)."""
    shutil.copytree(source, target, ignore=COPY_IGNORE)
    return target


def stock_copy(source: Path, target: Path, bundle: bytes, mode: str) -> Path:
    """A scratch copy for stock jupyter-book: execution on, and the chart script our build would stage."""
    scratch_copy(source, target)
    (target / "_static" / "vega-bundle.js").write_bytes(bundle)
    set_stock_mode(target, mode)
    return target


def vega_bundle() -> bytes:
    """The chart script (vega, vega-lite, vega-embed) that stock needs in _static; made once, not timed."""
    from carebook.build import vega_bundle as make

    with tempfile.TemporaryDirectory() as folder:
        return make(Path(folder))


def report_run(run: Run) -> None:
    """One progress line per timed build."""
    extra = "" if run.shows_new_value is None else f", page shows new value: {run.shows_new_value}"
    status = "" if run.ok else "  FAILED (see the log)"
    print(
        f"  [{run.repeat + 1}] {run.system:<13} {run.case:<15} {run.seconds:6.1f} s ({run.cpu:5.1f} s CPU), "
        f"{len(run.executed)} executed{extra} (load {run.load:.1f}){status}",
        flush=True,
    )
