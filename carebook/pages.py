"""Generated parts of plain pages: the data tables' documentation and the edition details.

A page asks for a part with a marker line, e.g. `<!-- carebook:data-tables -->`.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

from carebook.edition import Edition

DATA_MARKER = "<!-- carebook:data-tables -->"
EDITION_MARKER = "<!-- carebook:edition -->"
CITATION_MARKER = "<!-- carebook:citation -->"
PARAMETERS_MARKER = "<!-- carebook:parameters -->"


def _cell(text: object) -> str:
    """Text made safe for a Markdown table cell."""
    return str(text).replace("|", "\\|").replace("\n", " ")


def _schema(data_dir: Path, resource: dict) -> dict:
    """A resource's schema, read from its file when given as a path."""
    schema = resource["schema"]
    return json.loads((data_dir / schema).read_text(encoding="utf-8")) if isinstance(schema, str) else schema


def data_tables(root: Path) -> str:
    """Markdown documenting each table: what it holds, its fields, its sources and a download link."""
    data_dir = root / "data"
    package = json.loads((data_dir / "datapackage.json").read_text(encoding="utf-8"))
    parts = []
    for res in package["resources"]:
        path = data_dir / res["path"]
        rows = list(csv.DictReader(path.open(encoding="utf-8"))) if path.exists() else []
        fields = _schema(data_dir, res)["fields"]
        lines = [
            f"({res['name']}-table)=",
            f"## `{res['path']}`",
            "",
            res.get("description", ""),
            "",
            "````{only} html",
            f'<a href="../_static/data/{res["path"]}" download>Download {res["path"]}</a> '
            f"(also in the repository's `data/` folder; schema in `data/{res['schema']}`).",
            "",
            "| Field | Type | Meaning | Allowed values |",
            "| --- | --- | --- | --- |",
        ]
        for field in fields:
            allowed = ", ".join(field.get("constraints", {}).get("enum", []))
            lines.append(
                f"| `{field['name']}` | {field['type']} | {_cell(field.get('description', ''))} | {_cell(allowed)} |"
            )
        # Print: the fields by name only (the web edition documents each one).
        names = ", ".join(f"`{field['name']}`" for field in fields)
        lines += ["````", "", "````{only} latex", f"{len(rows)} rows. Fields: {names}.", "````"]
        keys = sorted({row["source_id"] for row in rows if row.get("source_id")})
        if keys:
            cited = "; ".join(f"{{cite:t}}`{key}`" for key in keys)
            lines += ["", "````{only} html", f"Sources of its rows: {cited}.", "````"]  # print: the bibliography
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


def parameters(root: Path) -> str:
    """Markdown (web edition only) listing each chapter's parameters cell and how to re-run it with other values."""
    import re

    from carebook.toc import chapters

    lines = ["`````{only} html"]
    for page in chapters(root):
        text = page.path.read_text(encoding="utf-8")
        found = re.search(r"```\{code-cell\}[^\n]*\n:tags: \[parameters\]\n(.*?)```", text, re.S)
        if not found:
            continue
        code = found.group(1).strip()
        first = re.search(r"^(\w+) = ", code, re.M)
        example = f"carebook build -p {page.slug} {first.group(1)}=..." if first else f"carebook build -p {page.slug}"
        lines += ["", f"**{page.slug}** ({{doc}}`{Path(page.name).name}`)", "", "```python", code, "```", ""]
        lines += ["```console", example, "```"]
    lines.append("`````")
    return "\n".join(lines)


def fill(text: str, root: Path, executed: Path, edition: Edition) -> str:
    """`text` with each marker replaced by its generated Markdown."""
    if DATA_MARKER in text:
        text = text.replace(DATA_MARKER, data_tables(root))
    if CITATION_MARKER in text:
        text = text.replace(CITATION_MARKER, citation(root, edition))
    if PARAMETERS_MARKER in text:
        text = text.replace(PARAMETERS_MARKER, parameters(root))
    if EDITION_MARKER in text:
        text = text.replace(EDITION_MARKER, edition_details(executed, edition))
    return text
