"""The output record catches changed and non-deterministic outputs; clean builds are byte-identical."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import ROOT, carebook

pytestmark = pytest.mark.build  # runs carebook builds itself


def test_changed_data_fails_check_until_locked(minibook: Path):
    assert carebook("lock", cwd=minibook).returncode == 0
    record = (minibook / "book" / "outputs.lock").read_text(encoding="utf-8")
    assert 'glue alpha_total text/plain | "7"' in record
    assert carebook("check", cwd=minibook).returncode == 0

    table = minibook / "data" / "alpha.csv"
    table.write_text(table.read_text().replace(",4,", ",5,"), encoding="utf-8")
    done = carebook("check", cwd=minibook)
    assert done.returncode == 1
    assert 'book/alpha.md (alpha, cell 2): output 1 | glue alpha_total text/plain: was "7", now "8"' in done.stdout
    assert "carebook lock" in done.stderr

    assert carebook("lock", cwd=minibook).returncode == 0
    assert carebook("check", cwd=minibook).returncode == 0


def test_non_deterministic_cell_is_caught(minibook: Path):
    chapter = minibook / "book" / "beta.md"
    chapter.write_text(chapter.read_text() + "\n```{code-cell} ipython3\nimport random\nprint(random.random())\n```\n")
    done = carebook("lock", cwd=minibook)
    assert done.returncode == 1
    assert "outputs differ between two runs" in done.stderr
    assert "book/beta.md (beta, cell 3): output 1 | stream/stdout" in done.stderr
    assert not (minibook / "book" / "outputs.lock").exists()


def test_book_outputs_match_the_record():
    done = carebook("check")
    assert done.returncode == 0, done.stdout + done.stderr


def test_executed_notebooks_record_their_environment(built_book: Path):
    import json

    for path in sorted((ROOT / "_build" / "executed").glob("*.ipynb")):
        versions = json.loads(path.read_text())["metadata"]["carebook"]["versions"]
        assert {"python", "pandas", "altair", "papermill"} <= set(versions), path.name


def test_two_clean_builds_are_byte_identical(tmp_path: Path):
    folders = [tmp_path / "first", tmp_path / "second"]
    for folder in folders:
        done = carebook("--build-dir", str(folder), "build", env={"SOURCE_DATE_EPOCH": "1700000000"})
        assert done.returncode == 0, done.stderr
    first, second = (sorted(p.relative_to(f / "html") for p in (f / "html").rglob("*") if p.is_file()) for f in folders)
    assert first == second
    differing = [
        str(p) for p in first if (folders[0] / "html" / p).read_bytes() != (folders[1] / "html" / p).read_bytes()
    ]
    assert not differing, f"files that differ between two clean builds: {differing}"
