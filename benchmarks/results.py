"""results.json and results.md: what a run measured, written once, and rendered again on demand."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path

from benchmarks.harness import REPO, Run
from benchmarks.render import markdown, split_runs
from benchmarks.summary import scaling_rows, targets

HERE = Path(__file__).resolve().parent
README_START, README_END = "<!-- results:start -->", "<!-- results:end -->"


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


def collect(runs: list[Run], facts: dict, scale_runs: list[Run], floor: dict, machine: dict, settings: dict) -> dict:
    """Everything a run measured, as results.json holds it (the targets and scaling rows for other readers)."""
    rows = scaling_rows(scale_runs, settings["scale_sizes"]) if scale_runs else []
    return {
        "machine": machine,
        "settings": settings,
        "facts": facts,
        "targets": [{"target": t, "met": m, "measured": s} for t, m, s in targets(runs, facts, rows)],
        "scaling": rows,
        "floor": floor,
        "runs": [asdict(r) for r in runs + scale_runs],
    }


def update_readme(table: str, readme: Path = HERE / "README.md") -> None:
    """Put the latest results between the markers in benchmarks/README.md."""
    if not readme.exists():
        return
    text = readme.read_text(encoding="utf-8")
    if README_START in text and README_END in text:
        head, rest = text.split(README_START, 1)
        _, tail = rest.split(README_END, 1)
        readme.write_text(f"{head}{README_START}\n{table}{README_END}{tail}", encoding="utf-8")


def write(saved: dict, out: Path) -> str:
    """Write results.md and results.json into `out` (and, for benchmarks/ itself, the README's copy)."""
    text = markdown(saved)
    out.mkdir(parents=True, exist_ok=True)
    (out / "results.md").write_text(text, encoding="utf-8")
    (out / "results.json").write_text(json.dumps(saved, indent=1, default=str) + "\n", encoding="utf-8")
    if out.resolve() == HERE:
        update_readme(text.split("\n", 2)[2].replace("\n## ", "\n### "))  # without the title, headings one down
    return text


def rerender(path: Path, out: Path) -> str:
    """Write the results again from a saved results.json (after a change to how they are presented)."""
    saved = json.loads(path.read_text(encoding="utf-8"))
    if "page_weight" not in saved["machine"] and (REPO / "_build" / "html").exists():
        note = "measured when these results were rendered, not in the run"
        saved["machine"]["page_weight"] = {**page_weight(REPO / "_build" / "html"), "note": note}
    runs, scale_runs = split_runs(saved)
    rows = scaling_rows(scale_runs, saved["settings"]["scale_sizes"]) if scale_runs else []
    saved["targets"] = [{"target": t, "met": m, "measured": s} for t, m, s in targets(runs, saved["facts"], rows)]
    saved["scaling"] = rows
    return write(saved, out)
