"""The build executes chapters with papermill, caches by what each chapter read, and fails clearly."""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path

from conftest import ROOT, carebook

from carebook.build.toc import chapters


def statuses(book: Path) -> dict[str, str]:
    """The status of each chapter in the last build, from _build/report.json."""
    report = json.loads((book / "_build" / "report.json").read_text(encoding="utf-8"))
    return {slug: chapter["status"] for slug, chapter in report["chapters"].items()}


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


def test_code_is_removed_for_readers(built_book: Path):
    """Pages show the outputs of code cells, never their source; one link per chapter leads to the code."""
    for page in chapters(ROOT):
        html = (built_book / f"{page.name}.html").read_text(encoding="utf-8")
        assert re.findall(r'<div class="cell[ "]', html), f"{page.name}: no cells (their outputs) on the page"
        assert "cell_input" not in html and "Show code cell" not in html, f"{page.name}: code shown to readers"
        assert html.count("How this page was computed") == 1, f"{page.name}: not one link to its code"
        source = built_book / "_static" / "code" / f"{page.slug}.md"
        assert source.read_text(encoding="utf-8") == page.path.read_text(encoding="utf-8")


def test_cache_reruns_exactly_what_changed(minibook: Path):
    first = carebook("build", cwd=minibook)
    assert first.returncode == 0, first.stderr
    assert statuses(minibook) == {"alpha": "executed", "beta": "executed"}
    assert "The total is 7" in page_text(minibook / "_build/html/book/alpha.html")

    carebook("build", cwd=minibook)
    assert statuses(minibook) == {"alpha": "cached", "beta": "cached"}

    chapter = minibook / "book" / "alpha.md"
    chapter.write_text(chapter.read_text().replace("scale = 1", "scale = 2"), encoding="utf-8")
    carebook("build", cwd=minibook)
    assert statuses(minibook) == {"alpha": "executed", "beta": "cached"}
    assert "The total is 14" in page_text(minibook / "_build/html/book/alpha.html")

    table = minibook / "data" / "beta.csv"
    table.write_text(table.read_text().replace(",10,", ",25,"), encoding="utf-8")
    carebook("build", cwd=minibook)
    assert statuses(minibook) == {"alpha": "cached", "beta": "executed"}
    assert "The total is 25" in page_text(minibook / "_build/html/book/beta.html")


def test_parameters_change_the_chapter(minibook: Path):
    done = carebook("build", "-p", "alpha", "scale=3", cwd=minibook)
    assert done.returncode == 0, done.stderr
    assert "The total is 21" in page_text(minibook / "_build/variants/alpha-scale-3/html/book/alpha.html")
    assert not (minibook / "_build" / "html").exists(), "a parameterised build never replaces the published book"


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
    carebook("build", cwd=minibook)
    assert statuses(minibook)["beta"] == "failed"


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
