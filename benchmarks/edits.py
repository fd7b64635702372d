"""The edits the cases make to a scratch copy, and how the benchmark checks that a page shows them."""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path

# The edited chapter (code and prose), and a value that one chart shows.
CODE_EDIT_CHAPTER = "legislation"
DATA_EDIT = {"table": "vanguards", "row": "vanguard-admissions-growth-vanguard", "column": "value", "delta": 1.1}
DATA_EDIT_PAGE = "vanguards"  # its chart fig-vanguards-admissions draws that row's value
BUILD_CODE_EDIT = "carebook/sphinxext/html.py"  # Sphinx-side code: part of the HTML step's stamp


def edit_code_cell(root: Path, chapter: str, repeat: int) -> None:
    """Add a statement at the top of the chapter's last code cell (after its option lines)."""
    path = root / "book" / f"{chapter}.md"
    text = path.read_text(encoding="utf-8")
    start = text.rindex("```{code-cell}")
    lines = text[start:].split("\n")
    body = 1 + next(i for i, line in enumerate(lines[1:]) if not line.startswith(":"))
    lines.insert(body, f"benchmark_edit = {repeat + 1}  # added by the benchmark")
    path.write_text(text[:start] + "\n".join(lines), encoding="utf-8")


def edit_prose(root: Path, chapter: str, repeat: int) -> str:
    """Add a sentence to the end of the chapter's first paragraph of prose after its opening; returns it."""
    path = root / "book" / f"{chapter}.md"
    lines = path.read_text(encoding="utf-8").split("\n")
    sentence = f"The benchmark added this sentence, edit {repeat + 1}."
    fenced, previous = False, ""
    for number, line in enumerate(lines):
        if line.startswith(("```", ":::")):
            fenced = not fenced if line.strip() in ("```", ":::") or not fenced else fenced
        elif not fenced and previous == "" and line[:1].isupper() and number > 10:
            end = next(i for i in range(number, len(lines)) if i + 1 == len(lines) or not lines[i + 1].strip())
            lines[end] = f"{lines[end]} {sentence}"  # after the paragraph's last full stop
            break
        previous = line.strip()
    else:
        raise ValueError(f"{path}: no paragraph of prose found to edit")
    path.write_text("\n".join(lines), encoding="utf-8")
    return sentence


def edit_build_code(root: Path, repeat: int) -> None:
    """Add a comment to the HTML step's own code in the scratch copy."""
    path = root / BUILD_CODE_EDIT
    path.write_text(path.read_text(encoding="utf-8") + f"\n# benchmark edit {repeat + 1}\n", encoding="utf-8")


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


def readers_of(root: Path, table: str) -> list[str]:
    """The chapters whose source loads `table` (read from the sources, not from our cache's records)."""
    pattern = re.compile(rf"data\.(load|fact)\(\s*['\"]{re.escape(table)}['\"]")
    return sorted(p.stem for p in (root / "book").glob("*.md") if pattern.search(p.read_text(encoding="utf-8")))


def value_needle(column: str, value: float) -> str:
    """How the value appears in the chart's Vega-Lite spec embedded in the page."""
    return f'"{column}":{json.dumps(value)}'


def page_shows(root: Path, page: str, needle: str) -> bool:
    """True if the built HTML page exists and contains `needle`."""
    html = root / "_build" / "html" / "book" / f"{page}.html"
    return html.exists() and needle in html.read_text(encoding="utf-8")
