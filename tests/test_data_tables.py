"""The "Show the data" tables under the charts read as the prose does: figures as printed, events in date order."""

from __future__ import annotations

import csv
import re
from html.parser import HTMLParser
from pathlib import Path

from conftest import ROOT


class DataTables(HTMLParser):
    """The header and rows of every table inside a <details class="carebook-data">."""

    def __init__(self):
        super().__init__()
        self.tables: list[dict] = []
        self.depth = 0  # inside a carebook-data box
        self.cell: list[str] | None = None

    def handle_starttag(self, tag, attrs):
        if tag == "details" and "carebook-data" in (dict(attrs).get("class") or ""):
            self.depth += 1
            self.tables.append({"header": [], "rows": []})
        elif self.depth and tag == "tr":
            self.tables[-1]["rows"].append([])
        elif self.depth and tag in ("td", "th"):
            self.cell = []

    def handle_data(self, data):
        if self.cell is not None:
            self.cell.append(data)

    def handle_endtag(self, tag):
        if tag == "details" and self.depth:
            self.depth -= 1
        elif self.cell is not None and tag in ("td", "th"):
            text = "".join(self.cell).strip()
            table = self.tables[-1]
            (table["header"] if tag == "th" else table["rows"][-1]).append(text)
            self.cell = None


def tables(page: Path) -> list[dict]:
    parser = DataTables()
    parser.feed(page.read_text(encoding="utf-8"))
    for table in parser.tables:
        table["rows"] = [row for row in table["rows"] if row]
    return parser.tables


def test_figures_print_as_in_the_prose(built_book: Path):
    machine = re.compile(r"-?\d+\.0|-?\d{5,}")  # 3800.0, 87000: never how the prose prints a figure
    shown = [
        (page.name, table)
        for page in sorted((built_book / "book").glob("*.html")) + [built_book / "index.html"]
        for table in tables(page)
    ]
    assert len(shown) > 10 and all(table["rows"] for _, table in shown)
    found = [(name, cell) for name, table in shown for row in table["rows"] for cell in row if machine.fullmatch(cell)]
    assert not found, f"figures printed as a machine writes them: {found[:10]}"


def test_the_history_timeline_table_is_in_date_order(built_book: Path):
    with open(ROOT / "data" / "timeline.csv", encoding="utf-8") as f:
        dates = {row["title"]: row["date"] for row in csv.DictReader(f)}
    table = next(t for t in tables(built_book / "book" / "history.html") if t["header"][:1] == ["Title"])
    shown = [dates[row[0]] for row in table["rows"]]
    assert len(shown) > 10 and shown == sorted(shown)
