"""The output record: re-execute every chapter and compare normalised outputs with book/outputs.lock."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from carebook.build import run
from carebook.build.toc import chapters
from carebook.errors import NonDeterministic

RECORD = Path("book") / "outputs.lock"
HEADER = (
    "# The expected outputs of every chapter, one line per output: chapter, code cell, output, kind, value.\n"
    "# Glued values are shown as text; other outputs as a digest. `carebook check` compares a fresh run\n"
    "# with this file; after an intended change to data or code, `carebook lock` rewrites it.\n"
)
TEXT_KINDS = ("text/markdown", "text/plain")
GLUE_PREFIX = "application/papermill.record/"
PROVENANCE = "application/vnd.carebook.provenance+json"  # carebook.provenance.MIME (not imported: kernel side)
ROWS_KIND = "rows"  # a figure's rows in words, kept in the record so a later edition can say what changed


def rows_in_words(record: dict) -> list[list[str]]:
    """A figure's rows as readers are told them, [what it states, source as cited]; a count names its table."""
    if record.get("kind") == "count":
        return [[f"a count of the rows in the table “{record['count']['label']}”", ""]]
    return [[row["what"], row["source"]] for row in record.get("rows", [])]


def _digest(value: str | list) -> str:
    """A short, stable digest of an output's content."""
    text = "".join(value) if isinstance(value, list) else str(value)
    return "sha256:" + hashlib.sha256(text.encode()).hexdigest()[:16]


def _entries(output: dict) -> list[tuple[str, str]]:
    """(kind, value) pairs for one output, with volatile fields (counts, timings, metadata) left out."""
    kind = output["output_type"]
    if kind == "stream":
        return [(f"stream/{output['name']}", json.dumps("".join(output["text"]), ensure_ascii=False))]
    if kind == "error":
        return [("error", json.dumps(f"{output['ename']}: {output['evalue']}", ensure_ascii=False))]
    glue = output.get("metadata", {}).get("scrapbook", {}).get("name")
    entries = []
    for mime, value in sorted(output.get("data", {}).items()):
        plain = mime.removeprefix(GLUE_PREFIX)
        label = f"glue {glue} {plain}" if glue else plain
        text = "".join(value) if isinstance(value, list) else str(value)
        entries.append(
            (label, json.dumps(text, ensure_ascii=False) if plain in TEXT_KINDS and len(text) < 300 else _digest(value))
        )
        if glue and plain == PROVENANCE and value.get("kind") in ("row", "computed", "count"):
            entries.append((f"glue {glue} {ROWS_KIND}", json.dumps(rows_in_words(value), ensure_ascii=False)))
    return entries


def record(executed: Path) -> list[str]:
    """The record lines of one executed notebook."""
    nb = json.loads(executed.read_text(encoding="utf-8"))
    lines = []
    code = [
        cell
        for cell in nb["cells"]
        if cell["cell_type"] == "code" and "injected-parameters" not in cell["metadata"].get("tags", [])
    ]
    for number, cell in enumerate(code, 1):
        for index, output in enumerate(cell.get("outputs", []), 1):
            for kind, value in _entries(output):
                lines.append(f"{executed.stem} | cell {number} | output {index} | {kind} | {value}")
    return lines


def fresh_record(root: Path, build: Path, workers: int | None = None) -> list[str]:
    """Execute every chapter afresh (no cache, fresh kernels, in parallel) and return its record."""
    folder = build / "check"
    run.run_chapters(root, folder, force=True, workers=workers)
    return [line for page in chapters(root) for line in record(folder / "executed" / f"{page.slug}.ipynb")]


def _keyed(lines: list[str]) -> dict[str, str]:
    """Record lines keyed by everything but the value."""
    return {line.rsplit(" | ", 1)[0]: line.rsplit(" | ", 1)[1] for line in lines if not line.startswith("#")}


def compare(expected: list[str], actual: list[str], root: Path) -> list[str]:
    """A readable line for every output that differs: chapter, cell, source line, before and after."""
    before, after = _keyed(expected), _keyed(actual)
    sources = {page.slug: page for page in chapters(root)}
    problems = []
    for key in sorted(set(before) | set(after), key=lambda k: (k.split(" | ")[0], _cell_number(k), k)):
        if before.get(key) == after.get(key):
            continue
        chapter, cell = key.split(" | ")[:2]
        where = f"{chapter}, {cell}"
        page = sources.get(chapter)
        if page:
            where = f"{run.relative(page.path, root)} ({where})"
        was, now = before.get(key, "(absent)"), after.get(key, "(absent)")
        problems.append(f"{where}: {key.split(' | ', 2)[2]}: was {was}, now {now}")
    return problems


def _cell_number(key: str) -> int:
    """The cell number in a record key, for sorting."""
    return int(key.split(" | ")[1].removeprefix("cell "))


def read(root: Path) -> list[str]:
    """The committed record's lines (empty if there is none)."""
    path = root / RECORD
    return path.read_text(encoding="utf-8").splitlines() if path.exists() else []


def check(root: Path, build: Path, workers: int | None = None) -> list[str]:
    """Differences between a fresh run and the committed record (empty when they match)."""
    expected = read(root)
    if not expected:
        return [f"no {RECORD}: run `carebook lock` to create it"]
    return compare(expected, fresh_record(root, build, workers), root)


def lock(root: Path, build: Path, workers: int | None = None) -> Path:
    """Run every chapter twice; refuse if the runs differ (non-determinism); else write the record."""
    first = fresh_record(root, build, workers)
    second = fresh_record(root, build, workers)
    unstable = compare(first, second, root)
    if unstable:
        raise NonDeterministic("outputs differ between two runs of the same code and data:\n" + "\n".join(unstable))
    path = root / RECORD
    path.write_text(HEADER + "\n".join(first) + "\n", encoding="utf-8")
    return path
