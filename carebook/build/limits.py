"""The size a data table may have: a book's tables are read whole into each chapter's kernel, listed on the data
page and published, so a table over these limits is refused before anything runs, naming the place.

`CAREBOOK_TABLE_ROWS` and `CAREBOOK_CELL_CHARS` change the limits (see README, "Limits")."""

from __future__ import annotations

import csv
import os
from pathlib import Path

TABLE_ROWS = 5_000  # rows a table may have (the largest of the book has 135)
CELL_CHARS = 5_000  # characters one cell may hold (a sentence or a paragraph, never a document)


def limit(name: str, default: int) -> int:
    """A limit, from the environment variable `name` when set."""
    value = os.environ.get(name, "")
    return int(value) if value.isdigit() else default


def signature() -> str:
    """The limits in force (part of the validator's memo: a lower limit must check the tables again)."""
    return f":{limit('CAREBOOK_TABLE_ROWS', TABLE_ROWS)}:{limit('CAREBOOK_CELL_CHARS', CELL_CHARS)}"


def size_problem(path: Path) -> str | None:
    """'row:column: message' for the first cell over the size limit, or ':1:1: message' for too many rows."""
    rows_allowed = limit("CAREBOOK_TABLE_ROWS", TABLE_ROWS)
    chars_allowed = limit("CAREBOOK_CELL_CHARS", CELL_CHARS)
    csv.field_size_limit(max(csv.field_size_limit(), 2**31 - 1))
    count = 0
    try:
        with path.open(encoding="utf-8", newline="") as handle:
            reader = csv.reader(handle)
            line = 1  # the file line the next record starts on (a quoted cell may span lines)
            for row in reader:
                count += 1
                for column, cell in enumerate(row, 1):
                    if len(cell) > chars_allowed:
                        return (
                            f"{line}:{column}: a cell of {len(cell):,} characters, over the limit of "
                            f"{chars_allowed:,} (CAREBOOK_CELL_CHARS sets it)"
                        )
                line = reader.line_num + 1
    except (UnicodeDecodeError, csv.Error):
        return None  # the validator names these
    if count - 1 > rows_allowed:
        return (
            f"1:1: {count - 1:,} rows, over the limit of {rows_allowed:,} a table: the book reads, lists and publishes "
            "every row (CAREBOOK_TABLE_ROWS sets it; split or summarise the table)"
        )
    return None
