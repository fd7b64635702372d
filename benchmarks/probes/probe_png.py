"""The chart PNGs of executed chapters rendered again with vl-convert, and vl-convert's start.

Run in a fresh interpreter by the benchmark: `python probe_png.py EXECUTED_FOLDER`; prints one line of JSON.
"""

from __future__ import annotations

import json
import re
import sys
import time
from pathlib import Path

import vl_convert

SPEC = re.compile(r'class="carebook-spec"[^>]*>(.*?)</script>', re.S)


def specs(notebook: Path) -> list[dict]:
    """The Vega-Lite spec of every chart output (one with a PNG) in an executed notebook."""
    found = []
    for cell in json.loads(notebook.read_text(encoding="utf-8"))["cells"]:
        for output in cell.get("outputs", []):
            # Glued outputs are stored as application/papermill.record/<type>: keep the last two parts.
            data = {"/".join(k.rsplit("/", 2)[-2:]): v for k, v in output.get("data", {}).items()}
            if "image/png" not in data:
                continue
            html = data.get("text/html", "")
            html = "".join(html) if isinstance(html, list) else html
            found += [json.loads(spec) for spec in SPEC.findall(html)]  # JSON escapes (\u003c) parse back
    return found


def main(executed: Path) -> dict:
    """Seconds to start vl-convert's engine, and to render every chart's PNG again."""
    start = time.perf_counter()
    vl_convert.vegalite_to_png({"mark": "point", "data": {"values": [{"a": 1}]}, "encoding": {"x": {"field": "a"}}})
    init = time.perf_counter() - start
    charts, seconds = 0, 0.0
    for path in sorted(executed.glob("*.ipynb")):
        for spec in specs(path):
            start = time.perf_counter()
            vl_convert.vegalite_to_png(spec, scale=2)
            seconds += time.perf_counter() - start
            charts += 1
    return {"init": init, "charts": charts, "seconds": seconds}


if __name__ == "__main__":
    print(json.dumps(main(Path(sys.argv[1]))))
