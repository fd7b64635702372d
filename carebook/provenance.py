"""Where a glued figure comes from: the data rows behind it, recorded with the figure for the pages to show.

A chapter's `prose.glue` builds a `record`; it travels in the executed notebook (as a MIME bundle entry,
and inside the Markdown that `{glue:md}` pastes), so the HTML link and card, the PDF's table of figure
sources and the data page's "used in" column all read the same record.
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Sequence
from numbers import Number
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pandas is imported where used: the HTML step reads records without it
    import pandas as pd

MIME = "application/vnd.carebook.provenance+json"
SCHEME = "carebook-figure"
DESCRIBING = ("measure", "what", "finding", "title", "provision", "name", "party", "component", "programme")
# Columns that never say in words what a row states (its id, its source, its working notes).
MACHINERY = {"id", "source_id", "locator", "note", "unit", "basis", "precision", "source_address"}
YEAR = r"(1[89]\d\d|20\d\d)"
MONTHS = "January|February|March|April|May|June|July|August|September|October|November|December"
DATES = re.compile(rf"\b{YEAR}(?:[–/-]\d\d(?:\d\d)?)?\b|\b\d{{1,2}} (?:{MONTHS})\b")
NUMBER = re.compile(
    r"\d|\b(three|four|five|six|seven|eight|nine|ten|eleven|twelve|fifteen|twenty|thirty|forty|fifty|hundred"
    r"|thousand|million|billion|third|quarter|half)\b",
    re.IGNORECASE,
)


class ProvenanceError(ValueError):
    """A glued figure whose provenance is missing or names rows that do not exist."""


def key(table: str, row_id: str) -> str:
    """A row's name in `rows=`: 'funding:bcf-2015-16-minimum'."""
    return f"{table}:{row_id}"


def anchor(table: str, row_id: str) -> str:
    """The HTML id of a row on the data page: 'funding-bcf-2015-16-minimum'."""
    return f"{table}-{row_id}"


def table_anchor(table: str) -> str:
    """The HTML id of a table's list of rows on the data page."""
    return f"{table}-rows"


def states_number(text: str) -> bool:
    """Whether `text` states a quantity (a digit or a number word), years and dates aside."""
    return bool(NUMBER.search(DATES.sub("", text)))


def table_of(row: pd.Series | pd.DataFrame) -> str:
    """The table a row or frame from `data.load` came from (pandas carries it in `.attrs`)."""
    table = row.attrs.get("table")
    if not table:
        raise ProvenanceError("the value does not come from data.load or data.fact, so its table is unknown")
    return table


def row_id_of(row: pd.Series) -> str:
    """A row's id: its `id` column, or its name when the frame was indexed by id."""
    return str(row["id"]) if "id" in row.index else str(row.name)


def _words(row: pd.Series) -> str:
    """A row's first column of words (never its id), for a table with none of the DESCRIBING columns."""
    for column in row.index:
        value = row[column]
        if column not in MACHINERY and isinstance(value, str) and any(ch.isalpha() for ch in value):
            return value
    return f"A row of the {str(row.attrs.get('table', 'book')).replace('_', ' ')} table"


def describe(row: pd.Series) -> str:
    """What a row states, in its own words: its measure (or what, finding, title …) and its period; never its id."""
    import pandas as pd

    what = next((str(row[c]) for c in DESCRIBING if c in row.index and not pd.isna(row[c])), None) or _words(row)
    period = row.get("period", row.get("year") if isinstance(row.get("year"), str) else None)  # '2025-26', not 2012
    if period is None or pd.isna(period):
        return what
    return f"{what}, {period}" if "(" in str(period) else f"{what} ({period})"


def quote(locator: str) -> str:
    """The source's own words when a locator quotes them ('quote: "…"'), else ''."""
    found = re.match(r'^\s*quote:\s*"(.*?)"\s*(?:;|$)', locator, re.DOTALL)
    return found.group(1) if found else ""


def basis(row: pd.Series) -> str:
    """Cash, real or not stated for a sum of money or a rate whose basis matters; '' where it does not apply."""
    import pandas as pd

    stated = row.get("basis")
    if stated is not None and not pd.isna(stated):
        return str(stated)
    unit = row.get("unit")
    return "not stated" if unit is not None and not pd.isna(unit) and str(unit).startswith("GBP") else ""


def entry(row: pd.Series) -> dict:
    """What a reader is told about one data row: what it states, its figure, its source as cited, its words."""
    import pandas as pd

    from carebook.data import VALUE_COLUMNS
    from carebook.prose import cite, fmt_row, source

    table = table_of(row)
    row_id = row_id_of(row)
    if table == "sources":  # a source itself (its publication date, say): it is its own citation
        return {
            "key": key(table, row_id),
            "table": table,
            "id": row_id,
            "anchor": anchor(table, row_id),
            "what": f"Publication date of {row['title']}",
            "figure": "",
            "source": cite(row_id),
            "citation": cite(row_id),
            "locator": "",
            "quote": "",
            "basis": "",
        }
    has_value = any(c in row.index and not pd.isna(row[c]) for c in VALUE_COLUMNS)
    return {
        "key": key(table, row_id),
        "table": table,
        "id": row_id,
        "anchor": anchor(table, row_id),
        "what": describe(row),
        "figure": fmt_row(row) if has_value else "",
        "source": source(row),
        "citation": cite(str(row["source_id"])),
        "locator": "" if pd.isna(row.get("locator")) else str(row["locator"]),
        "quote": quote(str(row["locator"])),
        "basis": basis(row),
    }


def resolve(item: str | pd.Series) -> pd.Series:
    """A row named in `rows=`: 'table:id', or a row itself."""
    import pandas as pd

    from carebook.data import fact

    if isinstance(item, pd.Series):
        return item
    table, sep, row_id = str(item).partition(":")
    if not sep or not table or not row_id:
        raise ProvenanceError(f"{item!r} is not a row name: write 'table:id', e.g. 'funding:bcf-2015-16-minimum'")
    try:
        return fact(table, row_id)
    except KeyError as exc:
        raise ProvenanceError(str(exc.args[0])) from exc


def record(
    name: str,
    text: str,
    value: object,
    rows: Sequence[str | pd.Series] | None = None,
    count_of: pd.DataFrame | None = None,
) -> dict:
    """The provenance of glue `name` showing `text`; raise ProvenanceError when a number has none."""
    import pandas as pd

    base = {"name": name, "text": text}
    try:
        if isinstance(value, pd.Series):
            return {**base, "kind": "row", "rows": [entry(value)]}
        if rows:
            return {**base, "kind": "computed", "rows": [entry(resolve(item)) for item in rows]}
        if count_of is not None:
            return {**base, "kind": "count", "count": _count(value, count_of)}
    except ProvenanceError as exc:
        raise ProvenanceError(f"glue {name!r}: {exc}") from None
    if isinstance(value, str) and not states_number(value):
        return {**base, "kind": "text"}
    raise ProvenanceError(
        f"glue {name!r} states the number {text!r} without saying where it comes from: pass "
        "rows=['table:id', ...] (the data rows it was computed from), or count_of=frame for a count of "
        "the rows shown in a chart or table"
    )


def _count(value: object, frame: pd.DataFrame) -> dict:
    """A count of rows of one table: checked to be a whole number no larger than the rows it counts."""
    table = table_of(frame)
    if isinstance(value, str):  # a count in words, spelt by prose.spell
        pass
    elif not isinstance(value, Number) or int(value) != value or not 0 <= value <= len(frame):
        raise ProvenanceError(f"count_of= takes a count of the frame's rows (0 to {len(frame)}), not {value!r}")
    from carebook.data import resource

    described = resource(table)
    label = str(described.get("title") or described.get("description") or table).strip().rstrip(".")
    return {
        "table": table,
        "label": label,
        "rows": len(frame),
        "anchor": table_anchor(table),
        "ids": [str(i) for i in (frame["id"] if "id" in frame.columns else frame.index)],
    }


def markdown(rec: dict) -> str:
    """The Markdown (CommonMark) that `{glue:md}` pastes: the text, escaped so that it shows as written; a
    figure with provenance as a link whose address holds its record (carebook.figurelinks turns it into
    the figure's link and card)."""
    from carebook.markup import markdown_text

    text = markdown_text(rec["text"])
    if rec["kind"] == "text":
        return text
    payload = base64.urlsafe_b64encode(json.dumps(rec, ensure_ascii=False, sort_keys=True).encode()).decode("ascii")
    return f"[{text}]({SCHEME}:{payload})"


def decode(address: str) -> dict | None:
    """The record in a figure's link address, or None if the address is not one."""
    if not address.startswith(f"{SCHEME}:"):
        return None
    return json.loads(base64.urlsafe_b64decode(address.removeprefix(f"{SCHEME}:")).decode("utf-8"))
