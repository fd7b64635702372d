"""Every chapter meets the book's standard: structure, figures with alt text, parameters, glued numbers."""

from __future__ import annotations

import ast
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
    calls = re.findall(r"charts\.(figure|table)\((.*?)\n\)", code, flags=re.S)
    assert len(calls) >= 2
    for kind, call in calls:
        assert re.search(r"\balt=", call)
        # A chart's sources default to those of the rows it draws (charts.figure refuses a chart with none).
        assert kind == "figure" or re.search(r"\bsources=", call)
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


ISO_DATE = rf"(?:\b{YEAR}|{{…}})-\d\d-\d\d\b"  # a date in code: 2026-12-31, or f"{year}-12-31"


def typed_numbers(text: str) -> bool:
    """Whether `text` states a number (a digit or a number word), years, dates and numbered items aside."""
    for allowed in [ISO_DATE, *ALLOWED_NUMBERS]:
        text = re.sub(allowed, "", text)
    return bool(re.search(r"\d", text) or re.search(NUMBER_WORDS, text, flags=re.I))


def literal_text(node: ast.AST) -> list[str]:
    """The text typed into an expression: its string literals, an f-string with {…} for what it computes;
    not the arguments of calls inside it."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node.value]
    if isinstance(node, ast.JoinedStr):
        return ["".join(v.value if isinstance(v, ast.Constant) else "{…}" for v in node.values)]
    if isinstance(node, ast.Call):
        return literal_text(node.func)
    return [text for child in ast.iter_child_nodes(node) for text in literal_text(child)]


def typed_number(node: ast.AST) -> bool:
    """Whether `node` is a number typed as a literal (`60`, `-0.5`); zero, the axis baseline, aside."""
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub | ast.UAdd):
        node = node.operand
    return isinstance(node, ast.Constant) and isinstance(node.value, int | float) and node.value != 0


def typed_in_code(path) -> list[str]:
    """Numbers typed into the alt texts and the literal axis domains of a chapter's code cells."""
    found = []
    for cell in jupytext.read(path).cells:
        if cell.cell_type != "code":
            continue
        for node in ast.walk(ast.parse(cell.source)):
            if not isinstance(node, ast.Call):
                continue
            for keyword in node.keywords:
                if keyword.arg == "alt":
                    found += [f"alt={text!r}" for text in literal_text(keyword.value) if typed_numbers(text)]
                elif keyword.arg == "domain" and isinstance(keyword.value, ast.List | ast.Tuple):
                    items = keyword.value.elts
                    if any(typed_number(i) or any(typed_numbers(t) for t in literal_text(i)) for i in items):
                        found.append(f"domain={ast.unparse(keyword.value)}")
    return found


def test_no_typed_numbers_in_alt_texts_or_axis_domains(any_page):
    typed = typed_in_code(any_page.path)
    assert not typed, "alt texts and axis domains must be computed from data/:\n" + "\n".join(typed)


def test_the_code_check_sees_numbers_typed_into_alt_texts_and_domains(tmp_path):
    chapter = tmp_path / "typed.md"
    cells = [
        "charts.figure('a', c, alt='Two bars: 47% in 2006 and 58% in ' + str(year))",
        "charts.figure('b', c, alt=f'From {first} to {last}, about one-third of {n} sites in 2015-16.')",
        "charts.figure('c', c, alt=f'Sites in {n} areas, from 1948 to {last:%Y}, shown by {label}.')",
        "x = alt.X('v:Q', scale=alt.Scale(domain=[0, 60]))",
        "y = alt.Y('v:Q', scale=alt.Scale(domain=[-0.5, len(aims) - 0.5]))",
        "z = alt.Y('v:Q', scale=alt.Scale(domain=[0, top * 1.1]))",
        "d = alt.X('d:T', scale=alt.Scale(domain=[f'{first}-01-01', '2026-12-31']))",
        "k = alt.Color('k:N', scale=alt.Scale(domain=['sourced', 'not established']))",
    ]
    chapter.write_text(
        "---\njupytext:\n  text_representation:\n    extension: .md\n    format_name: myst\n"
        "kernelspec:\n  display_name: Python 3\n  language: python\n  name: python3\n---\n\n# Typed\n\n"
        "```{code-cell} ipython3\n" + "\n".join(cells) + "\n```\n",
        encoding="utf-8",
    )
    assert typed_in_code(chapter) == [
        "alt='Two bars: 47% in 2006 and 58% in '",
        "alt='From {…} to {…}, about one-third of {…} sites in 2015-16.'",
        "domain=[0, 60]",
        "domain=[-0.5, len(aims) - 0.5]",
    ]


def test_citations_resolve(any_page):
    page = any_page
    bib = (ROOT / "references.bib").read_text(encoding="utf-8")
    keys = set(re.findall(r"@\w+\{([^,]+),", bib))
    text = markdown(page)
    for cited in re.findall(r"\{cite:[pt]\}`([^`]+)`", text):
        for key in re.sub(r"\{[^}]*\}", "", cited).split(","):
            assert key.strip() in keys, f"unknown citation key {key!r}"
    # Glossary terms and acronyms: tests/test_glossary.py.
