"""The data package: typed loading, dependency recording, and a bibliography that matches the sources."""

from __future__ import annotations

import csv
import hashlib
import json
import re

import pandas as pd
import pytest
from conftest import ROOT

from carebook import data, prose, reads


def bib_entries() -> dict[str, str]:
    text = (ROOT / "references.bib").read_text(encoding="utf-8")
    entries = re.split(r"\n(?=@)", text)
    found = {}
    for entry in entries:
        key = re.match(r"@\w+\{([^,]+),", entry.strip())
        title = re.search(r"title = \{+(.+?)\}+,?\n", entry)
        if key:
            found[key.group(1)] = title.group(1) if title else ""
    return found


def test_every_source_has_a_bib_entry_and_back():
    with open(ROOT / "data" / "sources.csv", encoding="utf-8") as f:
        sources = {row["id"]: row["title"] for row in csv.DictReader(f)}
    bib = bib_entries()
    assert set(sources) == set(bib), {
        "only in sources.csv": set(sources) - set(bib),
        "only in bib": set(bib) - set(sources),
    }
    assert {key for key in sources if sources[key] != bib[key]} == set(), "titles differ between sources.csv and bib"


def test_load_types_columns_by_schema():
    funding = data.load("funding")
    assert pd.api.types.is_float_dtype(funding["amount"])
    assert isinstance(funding["unit"].dtype, pd.CategoricalDtype)
    timeline = data.load("timeline")
    assert pd.api.types.is_datetime64_any_dtype(timeline["date"])
    sites = data.load("vanguard_sites")
    assert str(sites["wave"].dtype) == "Int64"


def test_load_records_each_file_read_with_the_hash_of_its_bytes(tmp_path, monkeypatch):
    deps = tmp_path / "deps"
    monkeypatch.setenv(reads.DEPS_ENV, str(deps))
    monkeypatch.setenv(reads.ROOT_ENV, str(ROOT))
    data.package.cache_clear()  # the descriptor is read once per kernel: read it again here
    data.load("counts")
    recorded = dict(line.split("\t") for line in deps.read_text().splitlines())
    counts = (ROOT / "data" / "counts.csv").read_bytes()
    assert recorded["data/counts.csv"] == hashlib.sha256(counts).hexdigest()
    assert "data/datapackage.json" in recorded
    descriptor = json.loads((ROOT / "data" / "datapackage.json").read_text(encoding="utf-8"))
    named = next(r["schema"] for r in descriptor["resources"] if r["name"] == "counts")
    if isinstance(named, str):
        assert f"data/{named}" in recorded


def test_fact_names_table_and_id_when_missing():
    with pytest.raises(KeyError, match=r"no row with id 'nope' in data/funding.csv"):
        data.fact("funding", "nope")


@pytest.mark.parametrize(
    ("value", "unit", "text"),
    [
        (3.8, "GBP_billion", "£3.8 billion"),
        (329, "GBP_million", "£329 million"),
        (87000, "count", "87,000"),
        (5.3, "percent", "5.3%"),
        (3.7, "percent_per_year", "3.7% a year"),
        (15_000_000, "people", "15 million"),
    ],
)
def test_prose_formats_values_in_their_units(value, unit, text):
    assert prose.fmt(value, unit) == text


def test_every_money_row_says_cash_real_or_not_stated():
    funding = data.load("funding")
    money = funding[funding["unit"].astype(str).str.startswith("GBP")]
    assert set(money["basis"].astype(str)) <= {"cash", "real", "not stated"}
