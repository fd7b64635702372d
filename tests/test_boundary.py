"""A chapter's boundary: every file it opens or tests for is an input (absence included); it reads nothing
outside the book's root unless allowed, and writes nowhere but its scratch folder."""

from __future__ import annotations

import os
from pathlib import Path

from conftest import carebook
from test_build import page_text, statuses

CELL = "\n```{{code-cell}} ipython3\n{code}\n```\n\n{prose}\n"


def add_cell(book: Path, code: str, prose: str = "") -> None:
    """Append a code cell (and a paragraph) to chapter beta."""
    path = book / "book" / "beta.md"
    path.write_text(path.read_text(encoding="utf-8") + CELL.format(code=code, prose=prose), encoding="utf-8")


def test_a_file_that_appears_reruns_the_chapter_that_tested_for_it(minibook: Path):
    add_cell(
        minibook,
        'import os\nfrom pathlib import Path\nnote = "../data/corrections.txt"\n'
        'prose.glue("note", Path(note).read_text().strip() if os.path.exists(note) else "none so far")',
        "Corrections: {glue:md}`note`.",
    )
    assert carebook("build", cwd=minibook).returncode == 0
    assert "Corrections: none so far." in page_text(minibook / "_build" / "html" / "book" / "beta.html")
    (minibook / "data" / "corrections.txt").write_text("one, in table beta\n", encoding="utf-8")
    done = carebook("build", cwd=minibook)
    assert done.returncode == 0, done.stderr
    assert statuses(minibook)["beta"] == "executed"
    assert "Corrections: one, in table beta." in page_text(minibook / "_build" / "html" / "book" / "beta.html")


def test_a_data_symlink_to_a_file_outside_the_book_is_refused(minibook: Path, tmp_path: Path):
    outside = tmp_path / "outside.csv"
    outside.write_bytes((minibook / "data" / "beta.csv").read_bytes())
    (minibook / "data" / "beta.csv").unlink()
    os.symlink(outside, minibook / "data" / "beta.csv")
    done = carebook("build", cwd=minibook)
    assert done.returncode == 1
    assert "data/datapackage.json:6: resources[beta].path: beta.csv leads outside the data folder" in done.stderr
    assert "Traceback" not in done.stderr


def test_only_the_files_the_data_package_lists_are_published(minibook: Path, tmp_path: Path):
    data = minibook / "data"
    (data / ".env").write_text("TOKEN=secret\n")
    (data / "alpha.csv.bak").write_bytes((data / "alpha.csv").read_bytes())
    (data / ".~lock.alpha.csv#").write_text("editor,lock\n")
    (tmp_path / "host").write_text("outside\n")
    os.symlink(tmp_path / "host", data / "hostname")
    assert carebook("build", cwd=minibook).returncode == 0
    published = minibook / "_build" / "html" / "_static" / "data"
    listed = ["alpha.csv", "beta.csv", "datapackage.json", "schemas/sources.json", "schemas/values.json", "sources.csv"]
    assert sorted(str(p.relative_to(published)) for p in published.rglob("*") if p.is_file()) == listed


def test_a_folder_allowed_outside_the_root_is_recorded(minibook: Path, tmp_path: Path):
    shared = tmp_path / "shared"
    shared.mkdir()
    (shared / "note.txt").write_text("first\n", encoding="utf-8")
    add_cell(minibook, f'prose.glue("shared", open({str(shared / "note.txt")!r}).read().strip())', "{glue:md}`shared`.")
    env = {"CAREBOOK_READ_OUTSIDE": str(shared)}
    assert carebook("build", cwd=minibook, env=env).returncode == 0
    (shared / "note.txt").write_text("second\n", encoding="utf-8")
    assert carebook("build", cwd=minibook, env=env).returncode == 0
    assert statuses(minibook)["beta"] == "executed"
    assert "second." in page_text(minibook / "_build" / "html" / "book" / "beta.html")


def test_a_chapter_that_writes_into_the_site_and_fails_leaves_the_last_good_build(minibook: Path):
    assert carebook("build", cwd=minibook).returncode == 0
    site = minibook / "_build" / "html"
    before = {p: p.read_bytes() for p in site.rglob("*") if p.is_file()}
    add_cell(minibook, 'open("../_build/html/book/alpha.html", "w").write("defaced")\nraise ValueError("then fails")')
    done = carebook("build", cwd=minibook)
    assert done.returncode == 1
    assert "OutsideBoundary: a chapter may write only in its scratch folder" in done.stderr
    assert {p: p.read_bytes() for p in site.rglob("*") if p.is_file()} == before
