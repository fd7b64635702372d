"""The glossary holds what a reader meets: every acronym and term a page uses, defined without circles."""

from __future__ import annotations

import ast
import re

import jupytext
import pytest
from conftest import ROOT

from carebook.build.toc import chapters

GLOSSARY = ROOT / "book" / "glossary.md"
ACRONYM = re.compile(r"\b[A-Z][a-z]?[A-Z&]+s?\b")  # NHS, ICBs, A&E, PbR
ROLE = re.compile(r"\{[\w:-]+\}`[^`]*`")
TERM = re.compile(r"\{term\}`([^`]+)`")
# Words the chapters use that a student of health policy has to be able to look up (issue 25).
MET_BY_READERS = [
    "Strategic authority",
    "Coterminous",
    "Primary care network",
    "Healthwatch",
    "Running cost allowance",
    "Upper-tier local authority",
    "Integrated care strategy",
    "NHS mandate",
    "Committee stage",
    "Strategic commissioner",
    "Casey Commission",
    "Neighbourhood health",
]


def entries() -> dict[str, str]:
    """Each glossary term (lower case) and the definition it shares with its synonyms."""
    block = GLOSSARY.read_text(encoding="utf-8").split("```{glossary}", 1)[1].rsplit("```", 1)[0]
    found = {}
    for entry in re.split(r"\n\s*\n", block.strip()):
        lines = [line for line in entry.splitlines() if not line.startswith(":")]
        body = " ".join(line.strip() for line in lines if line.startswith(" "))
        for term in (line.strip() for line in lines if line and not line.startswith(" ")):
            found[term.lower()] = body
    return found


def target(role_text: str) -> str:
    """The glossary term a {term} role points to: 'ICB' for 'integrated care boards <ICB>'."""
    return " ".join(re.sub(r"(?s).*<(.+)>", r"\1", role_text).split()).lower()


def acronyms(text: str) -> set[str]:
    """Acronyms in text a reader sees (roles and inline code taken out), singular."""
    plain = re.sub(r"`[^`]*`", "", ROLE.sub("", text))
    return {re.sub(r"s$", "", word) for word in ACRONYM.findall(plain)}


def shown_strings(source: str) -> str:
    """The string literals of a code cell: alt texts, titles and labels that readers see."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return ""
    return "\n".join(n.value for n in ast.walk(tree) if isinstance(n, ast.Constant) and isinstance(n.value, str))


@pytest.fixture(params=chapters(ROOT), ids=lambda page: page.slug)
def page(request):
    return request.param


def test_every_acronym_and_term_a_page_uses_has_an_entry(page):
    defined = entries()
    cells = jupytext.read(page.path).cells
    prose = "\n".join(c.source for c in cells if c.cell_type == "markdown")
    shown = "\n".join(shown_strings(c.source) for c in cells if c.cell_type == "code")
    missing = sorted(word for word in acronyms(prose) | acronyms(shown) if word.lower() not in defined)
    assert not missing, f"{page.slug}: acronyms with no glossary entry: {missing}"
    unknown = sorted({target(t) for t in TERM.findall(prose)} - defined.keys())
    assert not unknown, f"{page.slug}: {{term}} roles with no glossary entry: {unknown}"


def test_the_glossary_defines_its_own_words():
    defined = entries()
    text = "\n".join(defined.values())
    assert not sorted(w for w in acronyms(text) if w.lower() not in defined), "an acronym in a definition is undefined"
    assert not sorted({target(t) for t in TERM.findall(text)} - defined.keys()), (
        "a {term} role in the glossary is undefined"
    )


def test_the_words_readers_meet_are_defined():
    defined = entries()
    assert not [term for term in MET_BY_READERS if not defined.get(term.lower())]


def test_no_definition_begins_by_repeating_its_term():
    """'Strategic commissioner: ... acting as strategic commissioners' defines nothing; a name or a quotation may."""
    circular = []
    for term, body in entries().items():
        if len(term) < 4 or term.isupper():
            continue
        shown = ROLE.sub("", re.sub(r"\{term\}`([^`<]*?)\s*(<[^>]*>)?`", r"\1", body))  # a role reads as its text
        first = re.split(r"(?<=\.)\s", re.sub(r'"[^"]*"|\*[^*]*\*', "", shown))[0]
        for match in re.finditer(re.escape(term.rstrip("s")), first, flags=re.IGNORECASE):
            if match.group(0)[0].islower():
                circular.append(term)
    assert not circular, f"definitions that repeat their own term: {sorted(set(circular))}"
