"""scripts/sources-audit: where each source is read and which are undated, counted from a sources table."""

from __future__ import annotations

import csv
import subprocess
import sys

from conftest import ROOT

SCRIPT = ROOT / "scripts" / "sources-audit"
FIELDS = ["id", "title", "author", "date", "date_precision", "url", "standing"]


def audit(tmp_path, rows: list[dict[str, str]], *args: str) -> subprocess.CompletedProcess:
    table = tmp_path / "sources.csv"
    with open(table, "w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=FIELDS, restval="")
        writer.writeheader()
        writer.writerows(rows)
    return subprocess.run([sys.executable, str(SCRIPT), *args, str(table)], capture_output=True, text=True)


def test_each_source_is_counted_in_one_place_and_undated_ones_are_listed(tmp_path):
    rows = [
        {
            "id": "statement",
            "url": "https://parallelparliament.co.uk/debate/x",
            "date": "2025-03-13",
            "standing": "primary",
        },
        {"id": "report", "url": "https://publications.parliament.uk/pa/x.htm", "date": "", "standing": "primary"},
        {
            "id": "law-firm",
            "url": "https://www.lexology.com/library/detail.aspx?g=1",
            "date": "",
            "standing": "secondary",
        },
        {"id": "seed", "url": "", "date": "2015-05-01", "standing": "primary"},
    ]
    done = audit(tmp_path, rows)
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert "sources: 4 (3 primary, 1 secondary)" in out
    assert "own site:          1  (25.0%)" in out
    assert "mirror:            1" in out
    assert "secondary host:    1" in out
    assert "no address:        1" in out
    assert "n.d.:              2" in out
    mirrors = out.split("mirror rows:")[1].split("\n\n")[0]
    assert "statement" in mirrors and "report" not in mirrors
    undated = out.split("n.d. rows:")[1]
    assert "report" in undated and "law-firm" in undated and "statement" not in undated


def test_a_missing_table_is_one_line_and_a_non_zero_exit(tmp_path):
    done = subprocess.run([sys.executable, str(SCRIPT), str(tmp_path / "none.csv")], capture_output=True, text=True)
    assert done.returncode != 0
    assert done.stderr.strip() == f"{tmp_path / 'none.csv'}: no such file"
