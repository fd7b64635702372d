"""The book's Sphinx extensions, built in this process on a few pages: glossary links, figure links, the
bibliography style, the print transforms, and builders that have no form of their own for a figure."""

from __future__ import annotations

import base64
import functools
import re
from pathlib import Path

import pytest
from sphinxrun import glued_notebook, sphinx_build

from carebook import provenance

REFCACHE = "carebook.sphinxext.refcache"

RECORD = {
    "name": "bcf_min",
    "text": "£3.8 billion",
    "kind": "row",
    "rows": [
        {
            "key": "funding:bcf-min",
            "table": "funding",
            "id": "bcf-min",
            "anchor": provenance.anchor("funding", "bcf-min"),
            "what": "Better Care Fund minimum",
            "figure": "£3.8 billion",
            "source": "Example Office, 2017",
            "quote": "",
            "basis": "cash",
        }
    ],
}
BIB = """@techreport{office-2017,
  author = {{Example Office}},
  title = {A report on joining up},
  year = {2017},
  institution = {Example Office},
}
"""
PAGES = {
    "index": "# Book\n\n```{toctree}\nchapter\nglossary\ndata\n```\n",
    "glossary": "# Glossary\n\n```{glossary}\nBCF\n  A pooled budget for health and social care.\n```\n",
    "data": "# Data\n\n(row-funding-bcf-min)=\n## Funding\n\nRows.\n\n```{only} carebook_print\nIn print only.\n```\n",
    "chapter": glued_notebook(
        "# Chapter\n\n## Money\n\nThe {term}`BCF` held at least {glue:md}`bcf_min` {cite:p}`office-2017`.\n\n"
        "```{bibliography}\n:filter: docname in docnames\n```\n",
        {"bcf_min": provenance.markdown(RECORD)},
    ),
}


@pytest.fixture
def sphinx_run(tmp_path: Path):
    """Build PAGES with the book's extensions in this process: `sphinx_run(builder, **config)`."""
    return functools.partial(sphinx_build, tmp_path / "src", PAGES, bib=BIB, carebook_data_page="data")


@pytest.fixture(scope="module")
def html(tmp_path_factory: pytest.TempPathFactory):
    """PAGES built once as HTML."""
    return sphinx_build(tmp_path_factory.mktemp("html") / "src", PAGES, "html", bib=BIB, carebook_data_page="data")


def test_glossary_links_carry_their_definition(html):
    assert not html.warnings, html.warnings
    assert "In print only." not in html.page("data.html")
    page = html.page("chapter.html")
    assert 'title="A pooled budget for health and social care."' in page
    assert "carebook-term" in page


def test_a_figure_links_its_data_row_with_a_card(html):
    page = html.page("chapter.html")
    assert f'href="data.html#{RECORD["rows"][0]["anchor"]}"' in page
    assert 'role="tooltip"' in page and "Example Office, 2017" in page
    assert "£3.8 billion" in page and "carebook-figure:" not in page


def test_citations_and_bibliography_use_the_house_style(html):
    page = html.page("chapter.html")
    assert "Example Office, 2017" in page  # author-date label
    assert "A report on joining up" in page  # the entry in the chapter's references


def test_print_gets_plain_figures_and_a_table_of_their_sources(sphinx_run):
    built = sphinx_run("latex", extra_extensions=["carebook.sphinxext.latex"])
    tex = built.page("book.tex")
    assert "Sources of the figures in this chapter" in tex
    assert "3.8 billion" in tex and "data.html" not in tex
    assert "In print only." in tex


@pytest.mark.parametrize("builder", ["text", "singlehtml"])
def test_builders_without_their_own_figure_form_still_build(sphinx_run, builder: str):
    built = sphinx_run(builder)
    written = {p.name for p in built.outdir.rglob("*") if p.is_file()}
    text = "".join(p.read_text(encoding="utf-8") for p in built.outdir.rglob("*.txt")) if builder == "text" else ""
    assert written, f"{builder} wrote nothing"
    if builder == "text":
        assert "£3.8 billion" in text and "Sources of the figures" not in text
    else:  # the web form, linking the data's anchor on the one page
        assert f'href="#{RECORD["rows"][0]["anchor"]}"' in built.page("index.html")


def _row(key: str, what: str, citation: str, quote: str = "", locator: str = "") -> dict:
    """A provenance row as carebook.provenance.entry writes it."""
    table, _, row_id = key.partition(":")
    return {
        **{"key": key, "table": table, "id": row_id, "anchor": provenance.anchor(table, row_id), "figure": ""},
        **{"what": what, "source": citation, "citation": citation, "locator": locator or quote, "quote": quote},
        "basis": "",
    }


def test_print_figure_sources_name_each_source_and_its_words_once():
    from sphinx.util import texescape

    from carebook.sphinxext import figurelinks

    texescape.init()
    words = "ICSs must make savings of £5.7 billion (equivalent to 5% of their budgets) to balance the books"
    savings = _row("money:savings", "Savings to make", "NAO (2022)", quote=words)
    share = _row("money:share", "Savings as a share of budgets", "NAO (2022)", quote=words)
    other = _row("money:other", "Survey support", "NAO (2022)", locator="para 4")
    years = [
        _row(f"money:y{i}", f"Fund in year {i}", f"Office ({2010 + i})", quote=f"year {i} " * 40) for i in range(6)
    ]
    records = [
        {"name": "a", "text": "£5.7 billion", "kind": "row", "rows": [savings]},
        {"name": "b", "text": "5%", "kind": "computed", "rows": [share]},
        {"name": "c", "text": "76%", "kind": "row", "rows": [other]},
        {"name": "d", "text": "2010 to 2016", "kind": "computed", "rows": years},
    ]
    tex = figurelinks.sources_list(records)
    assert tex.count("NAO (2022)") == 1, "a source is named once, with every figure resting on it"
    assert tex.count("savings of £5.7 billion") == 1, "words two figures rest on are quoted once"
    assert "Savings to make" not in tex, "where the source's words speak for the figures, they stand alone"
    assert "Survey support" in tex, "a figure resting on a place in its source (no words) says what it is"
    assert all(f"Fund in year {i}" in tex for i in range(6)), "a chart's rows (no figure named) say what they are"
    for figure in (r"£5.7 billion", r"5\%", r"76\%", "para 4"):
        assert figure in tex
    assert tex.count("2010 to 2016") == 1, "a figure computed from many rows is listed once"
    assert all(f"Office ({2010 + i})" in tex for i in range(6)), "each of its rows is listed under its source"
    for i, quoted in enumerate(re.findall(r"“(year[^”]*)”", tex)):
        kept = quoted.removesuffix("\u00a0…")
        assert kept != quoted and len(kept) <= figurelinks.PRINT_QUOTE_CHARS, "a long quotation is cut and marked"
        assert (f"year {i} " * 40).startswith(kept + " "), f"cut inside a word: {quoted!r}"


FIGURE_PAGES = {
    "index": "# Book\n\n```{toctree}\n:numbered:\none\ntwo\n```\n",
    "one": "# One\n\n## Part\n\n```{figure} a.png\n:name: fig-a\n\nFirst.\n```\n\nText.\n",
    "two": "# Two\n\n```{figure} c.png\n:name: fig-c\n\nThird.\n```\n\nSee {numref}`fig-a`.\n",
}


PIXEL = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="
)


def sphinx_numbers(env) -> dict:
    """The figure numbers Sphinx's own walk gives (it reads every page's doctree back from disk)."""
    from sphinx.environment.collectors.toctree import TocTreeCollector

    mine = env.toc_fignumbers
    TocTreeCollector.assign_figure_numbers.original(None, env)
    theirs, env.toc_fignumbers = env.toc_fignumbers, mine
    return theirs


def test_figure_numbers_from_outlines_are_sphinx_own_after_an_edit(tmp_path: Path):
    """The rebuild extension numbers figures from kept outlines; after a page gains a figure ahead of another,
    an incremental build gives Sphinx's own numbers, and the page that cites the moved figure shows its new number
    (with carebook's numref shim on: the cited page's kept tree is dropped when the page is read again)."""
    from carebook import _compat

    _compat.numref_targets_unpickled_once()
    extra = {"extra_extensions": ["carebook.sphinxext.rebuild"], "numfig": True}
    (tmp_path / "src").mkdir()
    for name in ("a", "b", "c"):  # a missing image would make its page read again on every build
        (tmp_path / "src" / f"{name}.png").write_bytes(PIXEL)
    first = sphinx_build(tmp_path / "src", FIGURE_PAGES, "html", **extra)
    assert first.app.env.toc_fignumbers["one"]["figure"] == {"fig-a": (1, 1)}
    assert first.app.env.toc_fignumbers == sphinx_numbers(first.app.env)
    edited = {
        **FIGURE_PAGES,
        "one": FIGURE_PAGES["one"].replace("## Part\n", "## Part\n\n```{figure} b.png\n:name: fig-b\n\nNew.\n```\n"),
    }
    second = sphinx_build(tmp_path / "src", edited, "html", **extra)
    read_again = [name for name, when in second.app.env.all_docs.items() if when != first.app.env.all_docs[name]]
    assert read_again == ["one"]  # the other pages' outlines were kept
    assert second.app.env.toc_fignumbers["one"]["figure"] == {"fig-b": (1, 1), "fig-a": (1, 2)}
    assert second.app.env.toc_fignumbers == sphinx_numbers(second.app.env)
    assert "Fig. 1.2" in second.page("two.html")


def test_bibliography_filters_match_sphinxcontrib_bibtex(tmp_path: Path):
    """The one-pass filter (refcache) keeps exactly the entries sphinxcontrib-bibtex's own filter keeps: the cited
    entry on the citing page, neither on a page that cites nothing, and the uncited one nowhere."""
    pages = {
        **PAGES,
        "glossary": PAGES["glossary"] + "\n```{bibliography}\n:filter: docname in docnames\n```\n",
    }
    bib = BIB + "@book{other-2020,\n  author = {Other, Ann},\n  title = {Not cited},\n  year = {2020},\n}\n"
    built = sphinx_build(
        tmp_path / "src", pages, "html", bib=bib, carebook_data_page="data", extra_extensions=[REFCACHE]
    )
    domain = built.app.env.get_domain("cite")
    filtered = type(domain).get_filtered_entries
    assert hasattr(filtered, "original")  # the one-pass filter is in place
    kept = {key.docname: [name for name, _ in filtered(domain, key)] for key in domain.bibliographies}
    assert kept == {key.docname: [name for name, _ in filtered.original(domain, key)] for key in domain.bibliographies}
    assert kept == {"chapter": ["office-2017"], "glossary": []}


def test_sphinx_runs_import_myst_nb_without_its_executing_clients():
    """carebook's Sphinx runs never execute, so jupyter-cache's database layer is not imported with myst-nb; a
    build that executes with myst-nb still gets the real client when it makes one."""
    import subprocess
    import sys

    code = (
        "import sys, carebook.build.sphinx, myst_nb.sphinx_ext\nfrom carebook import _compat\n"
        "assert 'sqlalchemy' not in sys.modules, 'imported with myst-nb'\n"
        "from myst_nb.core.execute import NotebookClientCache, NotebookClientDirect\n"
        "from myst_nb.core.execute.base import NotebookClientBase\n"
        "for module, name in _compat.MYSTNB_EXECUTING_CLIENTS.items():\n"
        "    real = _compat.real_mystnb_client(module, name)\n"
        "    assert issubclass(real, NotebookClientBase) and real.__module__ == module, real\n"
        "assert 'sqlalchemy' in sys.modules\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
