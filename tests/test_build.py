"""The build executes chapters with papermill, caches by what each chapter read, and fails clearly."""

from __future__ import annotations

import csv
import re
from pathlib import Path

from conftest import ROOT, carebook

from carebook.toc import chapters


def statuses(output: str) -> dict[str, str]:
    """The final status of each chapter from the build's progress lines."""
    found = {}
    for line in output.splitlines():
        match = re.match(r"\s+(done|cached|failed)\s+(\S+)", line)
        if match:
            found[match.group(2)] = match.group(1)
    return found


def page_text(html: Path) -> str:
    """The visible text of a built page, roughly (figures' source cards, shown on demand, left out)."""
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(html.read_text(encoding="utf-8"), "html.parser")
    for card in soup.select(".carebook-card"):
        card.decompose()
    return re.sub(r"\s+", " ", soup.get_text(" "))


def test_book_has_a_page_per_chapter(built_book: Path):
    assert (built_book / "index.html").exists()
    for page in chapters(ROOT):
        assert (built_book / f"{page.name}.html").exists(), page.name


def test_glued_number_is_visible(built_book: Path):
    with open(ROOT / "data" / "vanguard_sites.csv", encoding="utf-8") as f:
        sites = sum(1 for _ in csv.DictReader(f))
    text = page_text(built_book / "book" / "index.html")
    assert re.search(rf"chose {sites} .vanguard. sites", text), "the vanguard count should be glued into the prose"


def test_code_is_collapsed_for_readers(built_book: Path):
    for page in chapters(ROOT):
        html = (built_book / f"{page.name}.html").read_text(encoding="utf-8")
        cells = len(re.findall(r'<div class="cell[ "]', html))
        collapsed = len(re.findall(r'<details class="[^"]*hide above-input', html))
        assert cells > 0 and collapsed == cells, f"{page.name}: {collapsed} of {cells} code cells collapsed"


def test_cache_reruns_exactly_what_changed(minibook: Path):
    first = carebook("build", cwd=minibook)
    assert first.returncode == 0, first.stderr
    assert statuses(first.stdout) == {"alpha": "done", "beta": "done"}
    assert "The total is 7" in page_text(minibook / "_build/html/book/alpha.html")

    again = carebook("build", cwd=minibook)
    assert statuses(again.stdout) == {"alpha": "cached", "beta": "cached"}

    chapter = minibook / "book" / "alpha.md"
    chapter.write_text(chapter.read_text().replace("scale = 1", "scale = 2"), encoding="utf-8")
    edited = carebook("build", cwd=minibook)
    assert statuses(edited.stdout) == {"alpha": "done", "beta": "cached"}
    assert "The total is 14" in page_text(minibook / "_build/html/book/alpha.html")

    table = minibook / "data" / "beta.csv"
    table.write_text(table.read_text().replace(",10,", ",25,"), encoding="utf-8")
    data_edit = carebook("build", cwd=minibook)
    assert statuses(data_edit.stdout) == {"alpha": "cached", "beta": "done"}
    assert "The total is 25" in page_text(minibook / "_build/html/book/beta.html")


def test_parameters_change_the_chapter(minibook: Path):
    done = carebook("build", "-p", "alpha", "scale=3", cwd=minibook)
    assert done.returncode == 0, done.stderr
    assert "The total is 21" in page_text(minibook / "_build/html/book/alpha.html")


def test_failing_cell_names_chapter_and_cell_and_keeps_last_build(minibook: Path):
    assert carebook("build", cwd=minibook).returncode == 0
    html = minibook / "_build" / "html"
    before = {p: p.read_bytes() for p in html.rglob("*") if p.is_file()}
    chapter = minibook / "book" / "beta.md"
    text = chapter.read_text()
    failing = '\n```{code-cell} ipython3\nlimit = 2\nraise ValueError("boom")\n```\n'
    chapter.write_text(text + failing, encoding="utf-8")
    line = text.count("\n") + 4  # the blank line, the fence, `limit = 2`, then the raise
    done = carebook("build", cwd=minibook)
    assert done.returncode == 1
    assert f"book/beta.md:{line}: chapter 'beta', code cell 3: ValueError: boom" in done.stderr
    assert "Traceback" not in done.stderr
    assert (minibook / "_build" / "executed" / "beta.ipynb").exists()
    after = {p: p.read_bytes() for p in html.rglob("*") if p.is_file()}
    assert after == before
    # the failure is never cached as good: the next build runs the chapter again
    assert statuses(carebook("build", cwd=minibook).stdout)["beta"] == "failed"


def test_unknown_citation_and_term_name_file_and_line_every_time(minibook: Path):
    chapter = minibook / "book" / "alpha.md"
    text = chapter.read_text()
    chapter.write_text(text + "\nA claim {cite:p}`no-such-source` about a {term}`NOPE`.\n", encoding="utf-8")
    line = text.count("\n") + 2
    for _ in range(2):  # a failed build must not pass the second time just because nothing changed
        done = carebook("build", cwd=minibook)
        assert done.returncode == 1
        assert f'book/alpha.md:{line}: WARNING: could not find bibtex key "no-such-source"' in done.stderr
        assert f"book/alpha.md:{line}: WARNING: term not in glossary: 'NOPE'" in done.stderr
