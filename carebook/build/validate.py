"""Validate the data package with frictionless; report each problem as `path:row:column: message`."""

from __future__ import annotations

import json
import math
import os
import re
from pathlib import Path

from carebook.build import limits
from carebook.build.atomic import write_atomic

FORMULA_STARTS = ("=", "+", "-", "@")
BOM = b"\xef\xbb\xbf"
HEADER_ROW = 1
CAUSES = ("missing-cell", "extra-cell", "blank-row", "non-finite", "only-spaces")  # reported instead of their effects


def _position(error, header: list[str], keys: dict[str, list[str]]) -> tuple[int, int]:
    """Row and column (1-based) of a frictionless error; header and file errors sit at row 1."""
    row = getattr(error, "row_number", None) or HEADER_ROW
    column = getattr(error, "field_number", None) or getattr(error, "column_number", None)
    if not column:
        names = keys.get(error.type, [])
        column = header.index(names[0]) + 1 if names and names[0] in header else 1
    return row, column


def _message(error, header: list[str], keys: dict[str, list[str]]) -> str:
    """A sentence naming the value and the rule it breaks."""
    field = getattr(error, "field_name", None)
    cell = getattr(error, "cell", None)
    note = error.note or ""
    match error.type:
        case "type-error":
            kind = note.removeprefix('type is "').split("/")[0]
            hint = " (dates are YYYY-MM-DD)" if kind == "date" else ""
            return f'column "{field}": "{cell}" is not a valid {kind}{hint}'
        case "constraint-error":
            return f'column "{field}": {_constraint(cell, note)}'
        case "missing-cell":
            return f'row is short: no cell for column "{field}" (a ragged row?)'
        case "extra-cell":
            return f'row is long: extra cell "{cell}" beyond the header (a ragged row?)'
        case "primary-key":
            row = re.search(r"position (\d+)", note)
            names = keys.get("primary-key", [])
            cells = list(error.cells or [])
            value = ", ".join(
                str(cells[header.index(n)]) for n in names if n in header and header.index(n) < len(cells)
            )
            return f'duplicate {"/".join(names) or "key"} "{value}": already used in row {row.group(1) if row else "?"}'
        case "foreign-key":
            found = re.search(r'for "(.+?)": values "(.+?)" not found in the lookup table "(.*?)" as "(.+?)"', note)
            if found:
                column, value, table, target = found.groups()
                return f'column "{column}": "{value}" is not found in column "{target}" of {table or "this table"}.csv'
            return f"unknown reference: {note}"
        case "missing-label":
            return f'missing column "{field}" (the schema requires it)'
        case "extra-label":
            return f'unknown column "{getattr(error, "label", cell)}" (not in the schema)'
        case "incorrect-label":
            return f'column "{getattr(error, "label", "")}" should be "{field}"'
        case "no-formulas":
            return f'column "{field}": "{cell}" looks like a spreadsheet formula (text must not start with = + - @)'
        case "no-rows":
            return "the table has a header but no data rows"
        case "blank-row":
            return "blank line: delete it (a table has no empty lines, not even at the end)"
        case "non-finite":
            raw = list(error.cells or [])[error.field_number - 1] if error.field_number else cell
            return f'column "{field}": "{raw}" is not a finite number (no inf or NaN: leave out what is unknown)'
        case "only-spaces":
            return f'column "{field}": the cell holds only spaces (write the value, or leave the cell empty)'
        case "source-error" if "empty" in note:
            return "the file is empty: it needs a header row and at least one data row"
        case "scheme-error" if "No such file" in note:
            return "file not found (named in datapackage.json)"
    return f"{error.title.lower()}: {note or error.message}"


RULES = {
    "required": "the cell is empty, but a value is required",
    "minimum": "is below the minimum {}",
    "maximum": "is above the maximum {}",
    "minLength": "is shorter than {} characters",
    "maxLength": "is longer than {} characters",
    "pattern": "does not match the pattern {}",
    "enum": "is not one of the allowed values {}",
    "unique": "is not unique in its column",
}


def _constraint(cell, note: str) -> str:
    """'"-3" is below the minimum 0' from frictionless's 'constraint "minimum" is "0"'."""
    found = re.match(r'constraint "(\w+)" is "(.*)"', note)
    shown = "an empty cell" if cell in (None, "", "None") else f'"{cell}"'
    if not found or found.group(1) not in RULES:
        return f"{shown} breaks the rule {note}"
    rule = RULES[found.group(1)].format(found.group(2))
    return rule if found.group(1) == "required" else f"{shown} {rule}"


def _encoding_problem(path: Path) -> str | None:
    """'row:column: message' for a BOM or the first byte that is not UTF-8, else None."""
    raw = path.read_bytes()
    if raw.startswith(BOM):
        return "1:1: file starts with a byte order mark (BOM): save it as UTF-8 without BOM"
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line_start = raw.rfind(b"\n", 0, exc.start) + 1
        row = raw.count(b"\n", 0, exc.start) + 1
        column = raw.count(b",", line_start, exc.start) + 1
        return f"{row}:{column}: byte 0x{raw[exc.start]:02x} is not valid UTF-8: save the file as UTF-8"
    return None


def _checks():
    """The project's own checks, as frictionless Check classes."""
    from frictionless import Check, errors

    def error_class(name: str, base: type, kind: str, title: str, description: str, template: str) -> type:
        """A frictionless error class of the project's own."""
        return type(name, (base,), {"type": kind, "title": title, "description": description, "template": template})

    where = 'in row "{rowNumber}" and field "{fieldName}"'
    NoFormulasError = error_class(
        "NoFormulasError", errors.CellError, "no-formulas", "Formula-like text",
        "A text cell starts with a character a spreadsheet would run as a formula.",
        'The cell "{cell}" ' + where + " looks like a formula",
    )  # fmt: skip
    NoRowsError = error_class(
        "NoRowsError", errors.TableError, "no-rows", "No rows",
        "The table has a header but no data rows.", "The table has no data rows",
    )  # fmt: skip
    NonFiniteError = error_class(
        "NonFiniteError", errors.CellError, "non-finite", "Non-finite number",
        "A number cell holds inf, infinity or NaN.", 'The cell "{cell}" ' + where + " is not a finite number",
    )  # fmt: skip
    OnlySpacesError = error_class(
        "OnlySpacesError", errors.CellError, "only-spaces", "Only spaces",
        "A required text cell holds nothing but spaces.", "The cell " + where + " holds only spaces",
    )  # fmt: skip

    def cell_check(kind: str, error: type, wrong, note: str) -> Check:
        """A check that reports, as `error`, every cell for which `wrong(field, value)` holds."""

        class CellCheck(Check):
            type = kind
            Errors = [error]

            def validate_row(self, row):
                for field in row.fields:
                    value = row[field.name]
                    if value is not None and wrong(field, value):
                        yield error.from_row(row, note=note, field_name=field.name)

        return CellCheck()

    def text(field, value) -> bool:
        return field.type == "string" and isinstance(value, str)

    finite = cell_check(
        "non-finite", NonFiniteError, lambda f, v: f.type in ("number", "integer") and not _finite(v), "not finite"
    )
    not_blank = cell_check(
        "only-spaces", OnlySpacesError, lambda f, v: text(f, v) and v and not v.strip(), "only spaces"
    )
    no_formulas = cell_check(
        "no-formulas", NoFormulasError, lambda f, v: text(f, v) and v.startswith(FORMULA_STARTS), "formula-like text"
    )

    class HasRows(Check):
        type = "no-rows"
        Errors = [NoRowsError]

        def validate_start(self):
            self.rows = 0
            return iter(())

        def validate_row(self, row):
            self.rows += 1
            return iter(())

        def validate_end(self):
            if not self.rows:
                yield NoRowsError(note="no data rows")

    return [no_formulas, HasRows(), finite, not_blank]


def _finite(value) -> bool:
    """False for infinity and NaN (which a number parser accepts), True for any other parsed number."""
    try:
        return math.isfinite(float(value))
    except (TypeError, ValueError):
        return True  # not a number at all: the type check reports it


def _file_lines(path: Path) -> dict[int, int]:
    """Frictionless's row number (header = 1) -> the line of the file where that record starts."""
    import csv

    lines = {}
    try:
        with open(path, encoding="utf-8", newline="") as handle:
            reader = csv.reader(handle)
            start = 1
            for number, _ in enumerate(reader, 1):
                lines[number] = start
                start = reader.line_num + 1
    except (OSError, UnicodeDecodeError, csv.Error):
        return {}
    return lines


def _delimiter_problem(path: Path) -> str | None:
    """'1:1: message' when the table's header is one column holding another separator (tabs, semicolons,
    vertical bars): frictionless reads such a file by sniffing it, but the chapters read comma-separated files."""
    import csv

    try:
        with open(path, encoding="utf-8-sig", newline="") as handle:
            header = next(csv.reader(handle), [])
    except (OSError, UnicodeDecodeError, csv.Error):
        return None
    shown = {"\t": "tabs", ";": "semicolons", "|": "vertical bars"}
    found = [name for mark, name in shown.items() if len(header) == 1 and mark in header[0]]
    return (
        f"1:1: columns are separated by {found[0]}, not commas: save the file as comma-separated (CSV)"
        if found
        else None
    )


def _relative(path: Path) -> str:
    """A path as the user should read it: relative to the working folder when inside it."""
    return os.path.relpath(path) if not os.path.relpath(path).startswith("..") else str(path)


def _keys(schema: dict) -> dict[str, list[str]]:
    """Which columns a primary-key or foreign-key error points at."""
    fks = [f for fk in schema.get("foreignKeys", []) for f in fk["fields"]]
    return {"primary-key": list(schema.get("primaryKey", [])), "foreign-key": fks}


def problems(data_dir: Path) -> list[str]:
    """Every problem in the data package under `data_dir`, one `path:line:column: message` line each.

    Lines are the file's lines (a quoted cell may span several), not record numbers.
    """
    from frictionless import Checklist, FrictionlessException, Package

    descriptor = data_dir / "datapackage.json"
    if not descriptor.exists():
        return [f"{_relative(descriptor)}:1:1: no datapackage.json in {_relative(data_dir)}"]
    try:
        meta = json.loads(descriptor.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        return [f"{_relative(descriptor)}:1:1: not valid JSON: {exc}"]
    lines, oversized = [], []
    unreadable = set()
    for res in meta.get("resources", []):
        schema = res.get("schema")
        if isinstance(schema, str) and (data_dir / schema).is_file():
            try:
                json.loads((data_dir / schema).read_text(encoding="utf-8"))
            except (json.JSONDecodeError, UnicodeDecodeError) as exc:
                where = f"{getattr(exc, 'lineno', 1)}:{getattr(exc, 'colno', 1)}"
                return [f"{_relative(data_dir / schema)}:{where}: not valid JSON: {getattr(exc, 'msg', exc)}"]
        path = data_dir / res.get("path", "")
        problem = _encoding_problem(path) if path.is_file() else None
        if problem:
            lines.append(f"{_relative(path)}:{problem}")
            unreadable.add(res.get("name"))
        too_large = limits.size_problem(path) if path.is_file() and not problem else None
        if too_large:
            oversized.append(f"{_relative(path)}:{too_large}")
    if oversized:
        return lines + oversized  # validating a table over the limits row by row would take minutes
    try:
        package = Package(str(descriptor.resolve()))
        report = package.validate(checklist=Checklist(checks=_checks()))
    except FrictionlessException as exc:
        return lines + [f"{_relative(descriptor)}:1:1: {exc.error.note or exc.error.message}"]
    for task in report.tasks:
        if task.name in unreadable:
            continue
        res = package.get_resource(task.name)
        path = data_dir / res.path
        delimiter = _delimiter_problem(path) if path.is_file() else None
        if delimiter:
            lines.append(f"{_relative(path)}:{delimiter}")
            continue
        file_lines = _file_lines(path) if path.is_file() else {}
        schema = res.schema.to_descriptor() if res.schema else {}
        header = [f["name"] for f in schema.get("fields", [])]
        if path.is_file():
            first = path.read_bytes().split(b"\n", 1)[0].decode("utf-8", "replace").lstrip("\ufeff").strip()
            header = [h.strip('"') for h in first.split(",")] if first else header
        found = {}
        for error in task.errors:
            row, column = _position(error, header, _keys(schema))
            found.setdefault((file_lines.get(row, row), column), []).append(error)
        blank = {row for (row, _), errors in found.items() if any(e.type == "blank-row" for e in errors)}
        empty = any(e.type == "source-error" for errors in found.values() for e in errors)
        for (row, column), errors in sorted(found.items()):
            # A short row also breaks "required"; an empty file also has no rows; a blank line also repeats the
            # empty key; "NaN" is also below the minimum: report the cause once.
            if row in blank and not any(e.type == "blank-row" for e in errors):
                continue
            causes = [e for e in errors if e.type in CAUSES] or errors
            for error in causes:
                if not (empty and error.type == "no-rows"):
                    lines.append(f"{_relative(path)}:{row}:{column}: {_message(error, header, _keys(schema))}")
    return lines


def fingerprint(data_dir: Path) -> str:
    """The validation step's stamp: every file of the data folder, its code and the lock (frictionless's version)."""
    from carebook.build import stamp

    return stamp.VALIDATE.key(data_dir.parent, stamp.files_hash(data_dir, stamp.tree(data_dir)))


def validate(data_dir: Path, memo: Path | None = None) -> list[str]:
    """Problems in `data_dir`; with `memo`, an unchanged folder that passed before is not read again."""
    stamp = fingerprint(data_dir) + limits.signature()
    if memo and memo.exists() and memo.read_text(encoding="utf-8") == stamp:
        return []
    found = problems(data_dir)
    if memo and not found:
        write_atomic(memo, stamp)
    return found
