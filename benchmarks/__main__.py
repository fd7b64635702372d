"""Time `carebook build` against stock `jupyter-book build`, on scratch copies of this repository.

Run with `make bench` (or `.venv/bin/python -m benchmarks --help`). Each case is timed N times for each
system, the two systems alternating, each in its own scratch copy (benchmarks/cases.py); then a scaling run
on generated books, on the local pool and on Dask (scaling.py), the lower bound and a profile of our clean
build (profiling.py, probes/). Figures are printed and written to results.md and results.json; nothing is
asserted.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

from benchmarks import cases, profiling, results, scaling
from benchmarks.harness import COPY_IGNORE, REPO, vega_bundle


def arguments(argv: list[str] | None) -> argparse.Namespace:
    """The command line."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__.split("\n\n")[0])
    parser.add_argument("-n", "--repeats", type=int, default=3, help="repeats of each case (default 3)")
    parser.add_argument("--scale-sizes", type=int, nargs="*", default=[10, 20, 40], help="synthetic book sizes")
    parser.add_argument("--scale-repeats", type=int, default=1, help="repeats per size (default 1)")
    parser.add_argument("--no-pdf", action="store_true", help="skip the PDF case")
    parser.add_argument("--no-serve", action="store_true", help="skip the preview case (serve-edit-prose)")
    parser.add_argument("--out", type=Path, default=results.HERE, help="where results.md and results.json go")
    parser.add_argument("--source", type=Path, default=REPO, help="the book to copy (default: this repository)")
    parser.add_argument("--keep", action="store_true", help="keep the scratch folder (its logs/ has every build)")
    parser.add_argument("--render", type=Path, help="measure nothing: write the results again from this results.json")
    return parser.parse_args(argv)


def machine(load_start: tuple, runs: list, pdf: bool, weight: dict) -> dict:
    """The machine and its load, as results.json records them."""
    cores = os.cpu_count() or 1
    return {
        "cores": cores,
        "workers": cores,
        "load_start": load_start,
        "load_end": os.getloadavg(),
        "mean_load": statistics.mean(r.load for r in runs),
        "python": platform.python_version(),
        "platform": platform.platform(terse=True),
        "date": time.strftime("%Y-%m-%d %H:%M"),
        "pdf": pdf,
        "page_weight": weight,
    }


def measure(args: argparse.Namespace) -> dict:
    """Every measurement, in a scratch folder (kept with --keep); results.json's content."""
    load_start = os.getloadavg()
    print(f"{os.cpu_count()} cores, load average {' '.join(f'{x:.2f}' for x in load_start)}", flush=True)
    pdf = not args.no_pdf and shutil.which("latexmk") is not None and shutil.which("xelatex") is not None
    work = Path(tempfile.mkdtemp(prefix="carebook-bench-"))
    print(f"scratch folder: {work}", flush=True)
    try:
        # One snapshot for the whole run: others may be editing the working tree meanwhile.
        source = Path(shutil.copytree(args.source.resolve(), work / "source", ignore=COPY_IGNORE))
        bundle = vega_bundle()
        runs, facts = cases.compare(args.repeats, work, source, bundle, pdf, not args.no_serve)
        last = work / f"carebook-{args.repeats - 1}"
        clean = next((r for r in reversed(runs) if r.system == "carebook" and r.case == "clean" and r.ok), None)
        floor = profiling.floor_and_profile(last, clean, os.cpu_count() or 1) if clean else {}
        weight = results.page_weight(last / "_build" / "html") if clean else None
        scale_runs = scaling.scaling(args.scale_sizes, args.scale_repeats, work, source, bundle)
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    settings = {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items() if k != "render"}
    return results.collect(
        runs, facts, scale_runs, floor, machine(load_start, runs + scale_runs, pdf, weight), settings
    )


def main(argv: list[str] | None = None) -> int:
    """Measure (or, with --render, only render a saved run); print the Markdown and write the results."""
    args = arguments(argv)
    text = results.rerender(args.render, args.out) if args.render else results.write(measure(args), args.out)
    print("\n" + text + f"\nwrote {args.out / 'results.md'} and {args.out / 'results.json'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
