"""The lower bound and where our clean build's time goes, measured by the probes in benchmarks/probes/."""

from __future__ import annotations

import json
import math
import subprocess
from pathlib import Path

from benchmarks.harness import PYTHON, Run, scratch_env

PROBES = Path(__file__).resolve().parent / "probes"


def probe(name: str, *args: str, cwd: Path) -> dict:
    """Run probes/<name>.py in a fresh interpreter with `cwd`'s carebook importable; its JSON, or the error."""
    command = [PYTHON, str(PROBES / f"{name}.py"), *args]
    done = subprocess.run(command, cwd=cwd, env=scratch_env(cwd), capture_output=True, text=True)
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


def floor(kernel: dict, cells: dict[str, float], html: float, workers: int) -> dict:
    """The floor of a clean build on `workers`: ceil(chapters / workers) x (slowest chapter + kernel start) + html,
    with the start of a kernel as the build starts them (forked from the warm template)."""
    probe = kernel.get("forked", kernel["trivial"])
    start = probe["wall"] - probe["cell"]
    slowest = max(cells.values()) + start
    return {
        "kernel_start": start,
        "html": html,
        "slowest_chapter": slowest,
        "floor": math.ceil(len(cells) / workers) * slowest + html,
        "floor_formula": f"ceil({len(cells)} / {workers}) x {slowest:.1f} s + html {html:.1f} s",
    }


def floor_and_profile(root: Path, clean: Run, workers: int) -> dict:
    """The lower bound and the profile of our clean build, from the last clean build in `root`."""
    print("measuring the floor and profiling...", flush=True)
    executed = root / "_build" / "executed"
    result = {
        "kernel": probe("probe_kernel", "3", str(root), cwd=root),
        "cells": cell_seconds(executed),
        "sphinx_profile": probe("probe_sphinx", str(root), cwd=root),
        "chapter_wall": clean.chapter_seconds,
    }
    if "error" not in result["kernel"] and result["cells"]:
        result.update(floor(result["kernel"], result["cells"], clean.steps.get("html", 0.0), workers))
    return result
