"""The validator refuses each kind of bad table with a `path:row:column: message` line."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from conftest import FIXTURES, ROOT, carebook

CORPUS = Path(__file__).parent / "corpus"
CONTROL = ("expected", "env.json", "args")  # a case's own files; every other file is laid over the small book
SLOW = 20  # the corpus must hold at least this many cases besides the data cases


def cases() -> list[str]:
    """Every case of the corpus: tests/corpus/<case>/ holds files laid over the small book and `expected`."""
    return sorted(p.name for p in CORPUS.iterdir())


def broken_book(case: str, minibook: Path) -> Path:
    """The small book with the case's files laid over it."""
    folder = CORPUS / case
    for path in sorted(folder.rglob("*")):
        if path.is_file() and path.name not in CONTROL:
            target = minibook / path.relative_to(folder)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, target)
    return minibook


def test_corpus_covers_the_issues_cases():
    assert len(cases()) >= 40
    assert all((CORPUS / case / "expected").exists() for case in cases())


@pytest.mark.parametrize("case", cases())
def test_bad_input_gives_one_line_naming_its_place(case: str, minibook: Path):
    book = broken_book(case, minibook)
    folder = CORPUS / case
    env = json.loads((folder / "env.json").read_text()) if (folder / "env.json").exists() else {}
    args = (folder / "args").read_text().split() if (folder / "args").exists() else []
    done = carebook("build", *args, cwd=book, env=env)
    expected = (folder / "expected").read_text(encoding="utf-8").strip()
    assert done.returncode == 1, done.stdout + done.stderr
    assert "Traceback" not in done.stdout + done.stderr
    assert any(line.startswith(expected) for line in done.stderr.splitlines()), done.stderr
    assert not (book / "_build" / "html").exists(), "nothing is published"


def test_validate_command_reports_data_cases(tmp_path: Path):
    data = tmp_path / "data"
    shutil.copytree(FIXTURES / "minibook" / "data", data)
    shutil.copyfile(CORPUS / "value-nan" / "data" / "alpha.csv", data / "alpha.csv")
    done = carebook("validate", str(data), cwd=tmp_path)
    assert done.returncode == 1
    assert done.stdout.splitlines()[0].startswith('data/alpha.csv:2:3: column "value": "NaN" is not a finite number')


def test_fixture_data_is_valid(tmp_path: Path):
    done = carebook("validate", str(FIXTURES / "minibook" / "data"), cwd=tmp_path)
    assert done.returncode == 0, done.stdout


def test_real_data_is_valid():
    done = carebook("validate")
    assert done.returncode == 0, done.stdout


def test_bad_data_stops_the_build_before_any_chapter(minibook: Path):
    assert carebook("build", cwd=minibook).returncode == 0
    before = {p: p.read_bytes() for p in (minibook / "_build" / "html").rglob("*") if p.is_file()}
    shutil.copyfile(CORPUS / "wrong-type" / "data" / "alpha.csv", minibook / "data" / "alpha.csv")
    done = carebook("build", cwd=minibook)
    assert done.returncode == 1
    assert 'data/alpha.csv:2:3: column "value": "three" is not a valid number' in done.stderr
    assert "running" not in done.stdout
    after = {p: p.read_bytes() for p in (minibook / "_build" / "html").rglob("*") if p.is_file()}
    assert after == before


def test_unchanged_data_is_not_validated_again(tmp_path: Path):
    from carebook.build import validate

    data = tmp_path / "data"
    shutil.copytree(ROOT / "data", data)
    memo = tmp_path / "validate.stamp"
    assert validate.validate(data, memo) == []
    assert memo.exists()
    (data / "sources.csv").write_text("id\n", encoding="utf-8")  # now invalid, so the memo must not hide it
    assert validate.validate(data, memo) != []
