"""Kernel start and imports through papermill: a trivial cell, and one importing pandas and altair, in a kernel
started afresh; and a trivial cell in a kernel forked from carebook's warm template, as the build starts them.

Run in a fresh interpreter by the benchmark: `python probe_kernel.py SAMPLES BOOK_ROOT`; prints one line of JSON.
"""

from __future__ import annotations

import json
import statistics
import sys
import time
from pathlib import Path

import papermill
from nbformat.v4 import new_code_cell, new_notebook

KERNELSPEC = {"name": "python3", "display_name": "Python 3", "language": "python"}


def once(source: str) -> tuple[float, float]:
    """Wall seconds of one papermill run of a one-cell notebook, and the cell's own seconds."""
    notebook = new_notebook(cells=[new_code_cell(source)], metadata={"kernelspec": KERNELSPEC})
    start = time.perf_counter()
    out = papermill.execute_notebook(
        notebook, None, kernel_name="python3", progress_bar=False, request_save_on_cell_execute=False
    )
    return time.perf_counter() - start, out.cells[0].metadata.papermill.duration


def forked(root: Path) -> tuple[float, float]:
    """Wall seconds of one trivial cell in a kernel forked from the template (started before), and the cell's."""
    from carebook.build import job
    from carebook.build.chapter import ChapterJob
    from carebook.build.executors import PRELOAD

    chapter = ChapterJob("probe", "book/index.md", "", {}, str(root), str(root / "data"), preload=PRELOAD)
    notebook = new_notebook(cells=[new_code_cell("1")], metadata={"kernelspec": KERNELSPEC})
    start = time.perf_counter()
    kernel = job._start_kernel(chapter, str(root / "book"))
    try:
        out = papermill.execute_notebook(
            notebook,
            None,
            kernel_name="python3",
            progress_bar=False,
            request_save_on_cell_execute=False,
            km=kernel.manager,
        )
    finally:
        job._stop(kernel)
        kernel.folder.cleanup()
    return time.perf_counter() - start, out.cells[0].metadata.papermill.duration


def main(samples: int, root: Path) -> dict:
    """Median wall and cell seconds of each probe."""
    result = {}
    for name, source in (("trivial", "1"), ("imports", "import pandas, altair")):
        runs = [once(source) for _ in range(samples)]
        result[name] = {"wall": statistics.median(r[0] for r in runs), "cell": statistics.median(r[1] for r in runs)}
    forked(root)  # the first one waits for the template's imports
    runs = [forked(root) for _ in range(samples)]
    result["forked"] = {"wall": statistics.median(r[0] for r in runs), "cell": statistics.median(r[1] for r in runs)}
    return result


if __name__ == "__main__":
    print(json.dumps(main(int(sys.argv[1]), Path(sys.argv[2]).resolve())))
