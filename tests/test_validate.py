"""The validator refuses each kind of bad table with a `path:row:column: message` line."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from conftest import FIXTURES, ROOT, carebook

CORPUS = Path(__file__).parent / "corpus"

# Each broken copy (tests/corpus/<case>/) and the exact line the validator must print for it.
EXPECTED = {
    "missing-column": 'alpha.csv:1:6: missing column "locator" (the schema requires it)',
    "extra-column": 'alpha.csv:1:7: unknown column "colour" (not in the schema)',
    "wrong-type": 'alpha.csv:2:3: column "value": "three" is not a valid number',
    "impossible-date": 'alpha.csv:2:2: column "date": "2015-02-30" is not a valid date (dates are YYYY-MM-DD)',
    "duplicate-key": 'alpha.csv:3:1: duplicate id "a-1": already used in row 2',
    "unknown-source": 'alpha.csv:3:5: column "source_id": "nowhere" is not found in column "id" of sources.csv',
    "empty-locator": 'alpha.csv:2:6: column "locator": the cell is empty, but a value is required',
    "negative-amount": 'alpha.csv:2:3: column "value": "-3" is below the minimum 0',
    "empty-file": "alpha.csv:1:1: the file is empty: it needs a header row and at least one data row",
    "header-only": "alpha.csv:1:1: the table has a header but no data rows",
    "ragged-row": 'alpha.csv:3:4: row is short: no cell for column "note" (a ragged row?)',
    "non-utf8": "alpha.csv:2:4: byte 0xe9 is not valid UTF-8: save the file as UTF-8",
    "bom": "alpha.csv:1:1: file starts with a byte order mark (BOM): save it as UTF-8 without BOM",
    "formula": 'alpha.csv:2:4: column "note": "=HYPERLINK("http://example.com")" looks like a spreadsheet formula '
    "(text must not start with = + - @)",
    "missing-file": "gamma.csv:1:1: file not found (named in datapackage.json)",
}


def broken_copy(case: str, tmp_path: Path) -> Path:
    """The fixture data folder with the case's broken file(s) laid over it."""
    target = tmp_path / "data"
    shutil.copytree(FIXTURES / "minibook" / "data", target)
    for path in (CORPUS / case).iterdir():
        shutil.copyfile(path, target / path.name)
    return target


def test_corpus_covers_every_case():
    assert sorted(p.name for p in CORPUS.iterdir()) == sorted(EXPECTED)


@pytest.mark.parametrize("case", sorted(EXPECTED))
def test_bad_table_is_refused_with_its_place(case: str, tmp_path: Path):
    data = broken_copy(case, tmp_path)
    done = carebook("validate", str(data), cwd=tmp_path)
    assert done.returncode == 1
    assert "Traceback" not in done.stdout + done.stderr
    lines = done.stdout.splitlines()
    assert f"data/{EXPECTED[case]}" in lines, done.stdout


def test_fixture_data_is_valid(tmp_path: Path):
    done = carebook("validate", str(FIXTURES / "minibook" / "data"), cwd=tmp_path)
    assert done.returncode == 0, done.stdout


def test_real_data_is_valid():
    done = carebook("validate")
    assert done.returncode == 0, done.stdout


def test_bad_data_stops_the_build_before_any_chapter(minibook: Path):
    assert carebook("build", cwd=minibook).returncode == 0
    before = {p: p.read_bytes() for p in (minibook / "_build" / "html").rglob("*") if p.is_file()}
    shutil.copyfile(CORPUS / "wrong-type" / "alpha.csv", minibook / "data" / "alpha.csv")
    done = carebook("build", cwd=minibook)
    assert done.returncode == 1
    assert 'data/alpha.csv:2:3: column "value": "three" is not a valid number' in done.stderr
    assert "running" not in done.stdout
    after = {p: p.read_bytes() for p in (minibook / "_build" / "html").rglob("*") if p.is_file()}
    assert after == before


def test_unchanged_data_is_not_validated_again(tmp_path: Path):
    from carebook import validate

    data = tmp_path / "data"
    shutil.copytree(ROOT / "data", data)
    memo = tmp_path / "validate.stamp"
    assert validate.validate(data, memo) == []
    assert memo.exists()
    (data / "sources.csv").write_text("id\n", encoding="utf-8")  # now invalid, so the memo must not hide it
    assert validate.validate(data, memo) != []
