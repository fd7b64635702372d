"""The benchmark's renderer against a hand-checked golden file, and the edits it makes to a book."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import jupytext
import pytest
from conftest import FIXTURES, ROOT, carebook

from benchmarks import edits, results
from benchmarks.harness import read_report
from benchmarks.render import markdown
from benchmarks.scaling import synthetic_book

BENCH = FIXTURES / "bench"


def test_results_render_as_the_golden_file():
    """expected.md was written by hand from results.json (medians, ratios, targets, floors worked out on paper)."""
    saved = json.loads((BENCH / "results.json").read_text(encoding="utf-8"))
    assert markdown(saved) == (BENCH / "expected.md").read_text(encoding="utf-8")


def test_rerender_writes_the_results_and_leaves_the_readme_alone(tmp_path: Path):
    readme = results.HERE / "README.md"
    before = readme.read_text(encoding="utf-8")
    text = results.rerender(BENCH / "results.json", tmp_path)
    assert (tmp_path / "results.md").read_text(encoding="utf-8") == text
    saved = json.loads((tmp_path / "results.json").read_text(encoding="utf-8"))
    assert [t["met"] for t in saved["targets"]] == [True, True, True, True, False, False, True, True, True, False]
    assert readme.read_text(encoding="utf-8") == before


def test_readme_section_is_replaced_between_its_markers(tmp_path: Path):
    readme = tmp_path / "README.md"
    readme.write_text(f"intro\n{results.README_START}\nold\n{results.README_END}\nafter\n", encoding="utf-8")
    results.update_readme("new table\n", readme)
    assert (
        readme.read_text(encoding="utf-8") == f"intro\n{results.README_START}\nnew table\n{results.README_END}\nafter\n"
    )


def test_prose_edit_lands_in_a_markdown_cell_and_leaves_the_code_alone(tmp_path: Path):
    chapter = edits.CODE_EDIT_CHAPTER
    shutil.copytree(ROOT / "book", tmp_path / "book")
    before = jupytext.reads((tmp_path / "book" / f"{chapter}.md").read_text(encoding="utf-8"), fmt="md:myst")
    sentence = edits.edit_prose(tmp_path, chapter, 0)
    after = jupytext.reads((tmp_path / "book" / f"{chapter}.md").read_text(encoding="utf-8"), fmt="md:myst")
    code = [[c.source for c in nb.cells if c.cell_type == "code"] for nb in (before, after)]
    assert code[0] == code[1]
    changed = [(c, old) for c, old in zip(after.cells, before.cells, strict=True) if c.source != old.source]
    assert len(changed) == 1 and changed[0][0].cell_type == "markdown"
    cell, old = changed[0]
    assert cell.source.replace(f" {sentence}", "") == old.source  # one paragraph gained the sentence, at its end
    assert f"{sentence}\n\n" in cell.source + "\n\n"


def test_code_edit_changes_only_the_last_code_cell(tmp_path: Path):
    chapter = edits.CODE_EDIT_CHAPTER
    shutil.copytree(ROOT / "book", tmp_path / "book")
    before = jupytext.reads((tmp_path / "book" / f"{chapter}.md").read_text(encoding="utf-8"), fmt="md:myst")
    edits.edit_code_cell(tmp_path, chapter, 0)
    after = jupytext.reads((tmp_path / "book" / f"{chapter}.md").read_text(encoding="utf-8"), fmt="md:myst")
    changed = [i for i, (c, old) in enumerate(zip(after.cells, before.cells, strict=True)) if c.source != old.source]
    last_code = max(i for i, c in enumerate(after.cells) if c.cell_type == "code")
    assert changed == [last_code] and "benchmark_edit = 1" in after.cells[last_code].source


@pytest.mark.build
def test_a_generated_book_of_the_scaling_run_builds(tmp_path: Path, vega_cache: Path):
    """The synthetic chapter keeps up with the chapter API (the scaling run measures nothing if it fails)."""
    book = synthetic_book(ROOT, tmp_path / "book", 1)
    shutil.copytree(vega_cache, book / "_build" / "cache")
    done = carebook("build", cwd=book)
    assert done.returncode == 0, done.stdout + done.stderr
    assert read_report(book)["chapters"]["ch001"]["status"] == "executed"
    page = (book / "_build" / "html" / "book" / "ch001.html").read_text(encoding="utf-8")
    assert "The scaled total is" in page and 'id="fig-syn1"' in page
