"""Generated parts of plain pages: the data tables' documentation and the edition details.

A page asks for a part with a marker line, e.g. `<!-- carebook:data-tables -->`.
"""

from __future__ import annotations

import csv
import json
from collections import defaultdict
from pathlib import Path

from carebook.build import changes, warm
from carebook.build.changes import Changes
from carebook.build.edition import Edition
from carebook.markup import markdown_text, whole_or_cut

DATA_MARKER = "<!-- carebook:data-tables -->"
EDITION_MARKER = "<!-- carebook:edition -->"
CITATION_MARKER = "<!-- carebook:citation -->"
CHANGES_MARKER = "<!-- carebook:changes -->"  # what changed since the earlier edition (build/changes.py)


def _cell(text: object) -> str:
    """Text made safe for a Markdown table cell."""
    return str(text).replace("|", "\\|").replace("\n", " ")


def _schema(data_dir: Path, resource: dict) -> dict:
    """A resource's schema, read from its file when given as a path."""
    schema = resource["schema"]
    return json.loads((data_dir / schema).read_text(encoding="utf-8")) if isinstance(schema, str) else schema


GLUE_PREFIX = "application/papermill.record/"


def figure_uses(root: Path, executed: Path) -> dict[str, list[tuple[str, str]]]:
    """Where the chapters show each data row: {'table:id' (or 'table:' for a count of its rows): [(chapter page,
    glue name), ...]}, read from the provenance records glued in the executed chapters."""
    from carebook.build.toc import pages
    from carebook.provenance import MIME

    uses: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for page in pages(root):
        notebook = executed / f"{page.slug}.ipynb"
        if not page.is_notebook or not notebook.exists():
            continue
        for cell in json.loads(notebook.read_text(encoding="utf-8"))["cells"]:
            for output in cell.get("outputs", []):
                found = output.get("data", {})
                record = found.get(GLUE_PREFIX + MIME) or found.get(MIME)
                if not record:
                    continue
                keys = [row["key"] for row in record.get("rows", [])]
                if record["kind"] == "count":
                    keys.append(f"{record['count']['table']}:")
                for key in dict.fromkeys(keys):
                    uses[key].append((page.name, record["name"]))
    return uses


# The meaning of the fields every table has, in a reader's words (the schemas speak to the book's authors).
READER_MEANINGS = {
    "id": "The row's short name, the same in the download; each figure in the chapters links to its row.",
    "source_id": "The source of the row, as listed in the bibliography (in the download: its citation).",
    "locator": "Where in the source the fact stands: a page, paragraph or section, or the source's own words.",
    "note": "Caveats, other names or readings (left out of the download).",
}


# Fields whose names in words would read as half-words ('Id', 'Url').
READER_LABELS = {"id": "Short name", "url": "Web address", "source_id": "Source"}


def field_label(name: str) -> str:
    """A field's name as a reader reads it: 'short_title' -> 'Short title', 'url' -> 'Web address'."""
    if name in READER_LABELS:
        return READER_LABELS[name]
    words = name.replace("_", " ").strip()
    return words[:1].upper() + words[1:]


def table_title(resource: dict) -> str:
    """A table's heading on the data page: its title in the data package, else its name in words."""
    return resource.get("title") or field_label(resource["name"])


def _used_in(uses: list[tuple[str, str]]) -> str:
    """'{doc}`/book/funding` (3 figures); …': the chapters whose figures use a row, and how many figures."""
    by_page: dict[str, int] = defaultdict(int)
    for page, _name in uses:
        by_page[page] += 1
    return "; ".join(f"{{doc}}`/{page}` ({count} figure{'s' if count > 1 else ''})" for page, count in by_page.items())


def _shown(row) -> str:
    """A row's figure as the book prints it: its amount, value or count in its unit, or its date."""
    import pandas as pd

    from carebook import prose
    from carebook.data import VALUE_COLUMNS

    if any(c in row.index and not pd.isna(row[c]) for c in VALUE_COLUMNS):
        return prose.fmt_row(row)
    for column, precision in (("date", "precision"), ("announced", "precision"), ("start", "start_precision")):
        if column in row.index and not pd.isna(row[column]):
            return prose.date(row[column], str(row.get(precision) or "day"))
    return ""


LISTED_ROWS = 500  # rows of one table listed on the data page (figures' rows beyond them too)


LOCATOR_CHARS = 90  # the data page's locators: whole, or cut at a word (the download holds them whole)


def _source(row) -> str:
    """A row's source as cited, with its locator whole or cut at a word."""
    import pandas as pd

    from carebook import prose

    locator = row.get("locator")
    if locator is None or pd.isna(locator) or not str(locator).strip():
        return prose.cite(str(row["source_id"]))
    return f"{prose.cite(str(row['source_id']))}, {whole_or_cut(str(locator), LOCATOR_CHARS)}"


def rows_listing(table: str, uses: dict[str, list[tuple[str, str]]]) -> list[str]:
    """Markdown listing a table's rows, each with an anchor (figures link to it), what it states, its figure,
    its source as cited and where the chapters use it. Every cell from data is escaped: it shows as written."""
    from carebook import data, prose
    from carebook.provenance import anchor, describe, row_id_of, table_anchor

    # Web only: figures link here; in print each chapter ends with the sources of its figures instead.
    lines = [
        "",
        "::::{only} html",
        f'<span class="carebook-row-anchor" id="{table_anchor(table)}"></span>Its rows, each with its source '
        "and the chapters whose figures use it:",
    ]
    if uses.get(f"{table}:"):
        lines += ["", "Counts of its rows appear in: " + _used_in(uses[f"{table}:"]) + "."]
    lines += ["", ":::{container} carebook-rows", ""]
    lines += ["| What it states | Figure | Source | Used in |", "| --- | --- | --- | --- |"]
    frame = data.load(table)
    for number, (_, row) in enumerate(frame.iterrows()):
        row_id = row_id_of(row)
        if number >= LISTED_ROWS and not uses.get(f"{table}:{row_id}"):
            continue  # a large table: the first rows and every row a figure links to; the download has all
        what = prose.cite(row_id) if table == "sources" else describe(row)  # never a source key or a row id
        cells = [
            f'<span class="carebook-row-anchor" id="{anchor(table, row_id)}"></span>' + markdown_text(what),
            markdown_text(_shown(row)),
            markdown_text(prose.cite(row_id) if table == "sources" else _source(row)),
            _used_in(uses.get(f"{table}:{row_id}", [])),
        ]
        lines.append("| " + " | ".join(cells) + " |")
    lines += ["", ":::"]
    if len(frame) > LISTED_ROWS:
        lines += ["", f"The table has {len(frame):,} rows: the first {LISTED_ROWS:,} and those figures use are listed."]
    return [*lines, "::::"]


def data_tables(root: Path, executed: Path | None = None) -> str:
    """Markdown documenting each table: what it holds, its fields, its sources, a download link, and its rows
    with where the chapters (executed in `executed`) use them."""
    from carebook import data

    data_dir = root / "data"
    uses = figure_uses(root, executed) if executed else {}
    package = json.loads((data_dir / "datapackage.json").read_text(encoding="utf-8"))
    parts = []
    for res in package["resources"]:
        path = data_dir / res["path"]
        rows = list(csv.DictReader(path.open(encoding="utf-8"))) if path.exists() else []
        fields = _schema(data_dir, res)["fields"]
        lines = [
            f"({res['name']}-table)=",
            f"## {markdown_text(table_title(res))}",  # what it holds; the download link keeps the file's name
            "",
            markdown_text(res.get("description", "")),  # shown as written, never as markup
            "",
            "````{only} html",
            f'<a href="../_static/data/{res["path"]}" download>Download {res["path"]}</a> '
            f"(also in the repository's `data/` folder; schema in `data/{res['schema']}`). In the download "
            "each source is named by its citation, as in the bibliography, and the working notes are left out.",
            "",
            "```{dropdown} What each field means",  # closed: the rows come first, on a phone above all
            ":class-container: carebook-fields",  # a block a field on a phone (provenance.css)
            "| Field | Type | Meaning | Allowed values |",
            "| --- | --- | --- | --- |",
        ]
        for field in fields:
            allowed = ", ".join(field.get("constraints", {}).get("enum", []))
            meaning = READER_MEANINGS.get(field["name"], field.get("description", ""))
            lines.append(
                f"| {field_label(field['name'])} (`{field['name']}`) | {field['type']} | {_cell(meaning)} "
                f"| {_cell(allowed)} |"
            )
        # Print: the fields by name only (the web edition documents each one).
        names = ", ".join(f"`{field['name']}`" for field in fields)
        lines += ["```", "````", "", "````{only} carebook_print", f"{len(rows)} rows. Fields: {names}.", "````"]
        keys = sorted({row["source_id"] for row in rows if row.get("source_id")})
        if keys:
            cited = "; ".join(f"{{cite:t}}`{key}`" for key in keys)
            lines += ["", "````{only} html", f"Sources of its rows: {cited}.", "````"]  # print: the bibliography
        if path.exists():  # the sources too: a publication date can be a figure's row
            with data.reading(data_dir):
                lines += rows_listing(res["name"], uses)
        parts.append("\n".join(lines))
    return "\n\n".join(parts)


def edition_details(executed: Path, edition: Edition) -> str:
    """Markdown with the edition, the environment and what was executed (no timings: editions are reproducible)."""
    lines = [f"- **Edition date:** {edition.date}", f"- **Built from commit:** `{edition.commit}`", ""]
    notebooks = sorted(executed.glob("*.ipynb"))
    versions: dict[str, str] = {}
    table = ["| Chapter | Executed with | Code cells | Outputs | Status |", "| --- | --- | --- | --- | --- |"]
    for path in notebooks:
        nb = json.loads(path.read_text(encoding="utf-8"))
        versions = versions or nb["metadata"].get("carebook", {}).get("versions", {})
        code = [c for c in nb["cells"] if c["cell_type"] == "code"]
        outputs = sum(len(c.get("outputs", [])) for c in code)
        failed = any(o.get("output_type") == "error" for c in code for o in c.get("outputs", []))
        table.append(f"| {path.stem} | papermill | {len(code)} | {outputs} | {'failed' if failed else 'ok'} |")
    lines += ["### Environment", "", "| Package | Version |", "| --- | --- |"]
    lines += [f"| {name} | {version} |" for name, version in versions.items()]
    lines += ["", "### Execution", "", *table]
    return "\n".join(lines)


def citation(root: Path, edition: Edition) -> str:
    """The suggested citation of this edition, from the book's title and author in _config.yml."""
    import yaml

    conf = yaml.safe_load((root / "_config.yml").read_text(encoding="utf-8"))
    year = edition.date[:4]
    return (
        f"> {conf['author']} ({year}). *{conf['title']}.* Executable book, edition of {edition.date}, "
        f"commit `{edition.commit}`."
    )


def fill(text: str, root: Path, executed: Path, edition: Edition, changed: Changes | None = None) -> str:
    """`text` with each marker replaced by its generated Markdown (`changed`: what changed in this edition)."""
    if CHANGES_MARKER in text:
        text = text.replace(CHANGES_MARKER, changes.markdown(changed or changes.compare(root, executed), edition.date))
    if DATA_MARKER in text:
        uses = json.dumps(figure_uses(root, executed), sort_keys=True)  # with the data, all the listing reads
        listing = warm.by_content("data page", [root / "data"], lambda: data_tables(root, executed), uses)
        text = text.replace(DATA_MARKER, listing)
    if CITATION_MARKER in text:
        text = text.replace(CITATION_MARKER, citation(root, edition))
    if EDITION_MARKER in text:
        text = text.replace(EDITION_MARKER, edition_details(executed, edition))
    return text
