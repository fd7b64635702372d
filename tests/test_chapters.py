"""Every chapter meets the book's standard: structure, figures with alt text, parameters, glued numbers."""

from __future__ import annotations

import re

import jupytext
import pytest
from conftest import ROOT

from carebook.build.toc import chapters

ALL = chapters(ROOT)
CHAPTERS = [page for page in ALL if page.slug != "index"]  # the home page is not a teaching chapter
ROLE = re.compile(r"\{[\w:-]+\}`[^`]*`")
YEAR = r"(1[89]\d\d|20\d\d)"
MONTHS = "January|February|March|April|May|June|July|August|September|October|November|December"
ALLOWED_NUMBERS = [
    rf"\b{YEAR}(?:[–/-]\d\d(?:\d\d)?)?\b",  # 1948, 2015-16, 2015–16, 2017/18
    rf"\b\d{{1,2}} (?:{MONTHS})\b",  # 5 July (a date in the timeline)
    r"^\s*\d+\.\s",  # a numbered list item
]
# "One" and "two" are everyday words ("the two systems"); larger number words state quantities.
NUMBER_WORDS = (
    r"\b(three|four|five|six|seven|eight|nine|ten|eleven|twelve|fifteen|twenty|thirty|forty|fifty|hundred"
    r"|thousand|million|billion|third|quarter|half)\b"
)
NAMES = ["Five Year Forward View", "Long Term Plan", "Long-term Sustainability", "10 Year Health Plan"]


def notebook(page):
    return jupytext.read(page.path)


def markdown(page) -> str:
    return "\n".join(cell.source for cell in notebook(page).cells if cell.cell_type == "markdown")


def prose_lines(page):
    """Markdown prose lines: no code fences, directive options or labels; roles, inline code and names removed."""
    for cell in notebook(page).cells:
        if cell.cell_type != "markdown":
            continue
        text = cell.source
        for name in NAMES:
            text = re.sub(r"\s+".join(name.split()), "", text)
        fence = False
        for line in text.splitlines():
            if line.lstrip().startswith("```"):
                fence = not fence
                continue
            if fence or line.lstrip().startswith(":") or re.match(r"^\(.+\)=$", line.strip()):
                continue
            yield re.sub(r"`[^`]*`", "", ROLE.sub("", line)).replace("£ billion", "").replace("£ million", "")


@pytest.fixture(params=CHAPTERS, ids=lambda page: page.slug)
def page(request):
    return request.param


def test_has_objectives_takeaways_questions_quiz_references(page):
    text = markdown(page)
    assert "Learning objectives" in text
    for heading in ("## Key takeaways", "## Questions for discussion", "## Check your understanding", "## References"):
        assert heading in text, heading
    questions = text.split("## Questions for discussion", 1)[1].split("\n## ", 1)[0]
    assert len(re.findall(r"(?m)^\s*\d+\.\s", questions)) >= 3
    assert ":::{dropdown}" in text or "```{dropdown}" in text


def test_has_a_parameters_cell_that_the_chapter_uses(page):
    cells = notebook(page).cells
    params = [c for c in cells if "parameters" in c.metadata.get("tags", [])]
    assert len(params) == 1
    names = re.findall(r"(?m)^(\w+)\s*=", params[0].source)
    assert names
    later = "\n".join(c.source for c in cells if c.cell_type == "code" and c is not params[0])
    for name in names:
        assert re.search(rf"\b{name}\b", later), f"parameter {name} is never used"


def test_has_two_figures_each_with_alt_text_and_sources(page):
    code = "\n".join(c.source for c in notebook(page).cells if c.cell_type == "code")
    calls = re.findall(r"charts\.(?:figure|table)\((.*?)\n\)", code, flags=re.S)
    assert len(calls) >= 2
    for call in calls:
        assert re.search(r"\balt=", call) and re.search(r"\bsources=", call)
    placed = re.findall(r"```\{glue:figure\} (\S+)\n:name: \S+\n\n(.+)", markdown(page))
    assert len(placed) >= 2, "each figure is placed with a caption"


def test_is_long_enough(page):
    essay = markdown(page).split("## Key takeaways", 1)[0]
    words = len(re.findall(r"[A-Za-z’']+", ROLE.sub("", essay)))
    assert 1500 <= words <= 3500, f"{words} words of prose before the takeaways"


@pytest.fixture(params=ALL, ids=lambda page: page.slug)
def any_page(request):
    return request.param


def test_no_typed_numbers_in_prose(any_page):
    page = any_page
    typed = []
    for line in prose_lines(page):
        stripped = line
        for allowed in ALLOWED_NUMBERS:
            stripped = re.sub(allowed, "", stripped)
        if re.search(r"\d", stripped) or re.search(NUMBER_WORDS, stripped, flags=re.I):
            typed.append(line.strip()[:120])
    assert not typed, "numbers must be glued from data/:\n" + "\n".join(typed)


def test_citations_and_terms_resolve(any_page):
    page = any_page
    bib = (ROOT / "references.bib").read_text(encoding="utf-8")
    keys = set(re.findall(r"@\w+\{([^,]+),", bib))
    text = markdown(page)
    for cited in re.findall(r"\{cite:[pt]\}`([^`]+)`", text):
        for key in re.sub(r"\{[^}]*\}", "", cited).split(","):
            assert key.strip() in keys, f"unknown citation key {key!r}"
    glossary = (ROOT / "book" / "glossary.md").read_text(encoding="utf-8")
    entries = glossary.split("```{glossary}", 1)[1]
    defined = {t.lower() for t in re.findall(r"(?m)^(\S[^\n]*)$", entries) if not t.startswith((":", "```"))}
    for term in re.findall(r"\{term\}`([^`]+)`", text):
        target = " ".join(re.sub(r"(?s).*<(.+)>", r"\1", term).split())
        assert target.lower() in defined, f"{target!r} is not in the glossary"


def test_every_acronym_used_is_in_the_glossary(any_page):
    glossary = (ROOT / "book" / "glossary.md").read_text(encoding="utf-8").split("```{glossary}", 1)[1]
    defined = {t.strip().lower() for t in re.findall(r"(?m)^(\S[^\n]*)$", glossary) if not t.startswith((":", "`"))}
    prose = re.sub(r"`[^`]*`", "", ROLE.sub("", markdown(any_page)))
    used = {re.sub(r"s$", "", word) for word in re.findall(r"\b[A-Z][a-z]?[A-Z&]+s?\b", prose)}
    missing = sorted(word for word in used if word.lower() not in defined)
    assert not missing, f"acronyms used but not defined in the glossary: {missing}"
