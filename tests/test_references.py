"""A reference a marker would accept: the bibliography's shape, its downloads, citation cards, and quotations
that are word for word in the text the repository or ../shared holds."""

from __future__ import annotations

import csv
import html
import json
import re
import unicodedata
from pathlib import Path

import pytest
import yaml
from bs4 import BeautifulSoup
from conftest import ROOT
from pybtex.database import parse_file, parse_string

from carebook import citations
from carebook.build import bibexport
from carebook.sphinxext.bibliography import plain

SHARED = ROOT.parent / "shared"
CHAPTERS = ("history", "legislation", "funding", "vanguards", "evidence", "systems")
# Titles that describe a work rather than name it ("Article on payment by results"); an untitled work's
# description is allowed only in square brackets, as reference managers mark it.
DESCRIPTIVE = re.compile(
    r"^(?:\w+ )?(?:article|editorial|feature|commentary|digest|briefing) on\b"
    r"|\((?:[^)]*\b(?:article|feature|statement|hansard|briefing|press release|journal|pages)\b[^)]*)\)$",
    re.I,
)
# A journal article whose DOI the sources did not give (facts.md part 5, group 3): named, so a new one fails.
NO_DOI_FOUND = {"fhj-fuller-interview"}


def sources() -> list[dict]:
    with open(ROOT / "data" / "sources.csv", encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def entries():
    return parse_file(str(ROOT / "references.bib")).entries


# --- The bibliography's shape --------------------------------------------------------------------


def test_no_author_carries_a_body_in_brackets():
    for row in sources():
        assert not re.search(r"[()]", row["author"]), (row["id"], row["author"])
    for key, entry in entries().items():
        for person in entry.persons.get("author", []):
            assert not re.search(r"[()]", str(person)), (key, str(person))


def test_journals_are_not_authors_and_articles_name_people():
    journals = {plain(e.fields["journal"]) for e in entries().values() if "journal" in e.fields}
    for row in sources():
        assert row["author"] not in journals, (row["id"], row["author"])
        if row["kind"] == "journal article" and row["id"] not in NO_DOI_FOUND:
            assert citations.persons(row["author"]), (row["id"], row["author"])


def test_every_journal_article_has_its_doi():
    bib = entries()
    articles = [row for row in sources() if row["kind"] == "journal article"]
    assert len(articles) >= 6
    for row in articles:
        if row["id"] in NO_DOI_FOUND:
            continue
        entry = bib[row["id"]]
        assert entry.type == "article", row["id"]
        doi = entry.fields.get("doi", "")
        assert re.fullmatch(r"10\.\d{4,}/\S+", doi), (row["id"], doi)
        assert f"doi:{doi}" in row["identifier"], (row["id"], row["identifier"])


def test_titles_name_works_rather_than_describe_them():
    described = []
    for row in sources():
        title = row["title"]
        if title.startswith("[") and title.endswith("]"):
            described.append(row["id"])
            continue
        assert not DESCRIPTIVE.search(title), (row["id"], title)
        assert plain(entries()[row["id"]].fields["title"]) == title, row["id"]
    assert len(described) <= 3, described


def test_each_kind_of_work_carries_its_identifier():
    bib = entries()
    for row in sources():
        entry = bib[row["id"]]
        if row["kind"] == "committee report":
            assert entry.type == "techreport", row["id"]
            if row["identifier"].startswith("HC "):
                assert row["identifier"].split()[1] == entry.fields.get("number"), row["id"]
        if row["kind"] == "legislation":
            assert re.search(r"\d{4} c\. \d+", row["identifier"]), (row["id"], row["identifier"])
        if row["url"]:  # a DOI's own address is given once, as the DOI
            doi_address = "doi.org/" in row["url"] and entry.fields.get("doi", "") in row["url"]
            assert doi_address or entry.fields.get("url") == row["url"], row["id"]


def test_sources_checked_on_the_record_day_carry_their_accessed_date():
    bib = entries()
    dated = [key for key, entry in bib.items() if "urldate" in entry.fields]
    assert len(dated) >= 40
    for key in dated:
        assert re.fullmatch(r"\d{1,2} [A-Z][a-z]+ \d{4}", plain(bib[key].fields["urldate"])), key
        assert "url" in bib[key].fields, key


def test_short_forms_are_listed_on_the_references_page():
    page = (ROOT / "book" / "references.md").read_text(encoding="utf-8")
    for name, short in citations.SHORT_FORMS.items():
        assert re.search(rf"^\| {short} \| {re.escape(name)} \|$", page, flags=re.M), short
    assert citations.cited_author("National Audit Office", "", "press release") == "NAO"
    assert citations.cited_author(
        "Department of Health and Social Care and Department for Levelling Up, Housing and Communities", "", "web page"
    ) == ("DHSC and DLUHC")


# --- Quotations word for word ---------------------------------------------------------------------


def normalise(text: str) -> str:
    """Compare words, not typography: quotes, dashes, spaces, case and footnote markers made alike."""
    text = unicodedata.normalize("NFKC", text)
    text = text.replace("’", "'").replace("‘", "'").replace("“", '"').replace("”", '"')
    text = re.sub(r"[–—‐-]", "-", text)
    return re.sub(r"\s+", " ", text).strip().lower()


def held_text() -> str:
    """Everything the repository and ../shared hold of the sources' own words (facts, seeds, checked pages)."""
    parts = [(SHARED / "facts.md").read_text(encoding="utf-8"), (ROOT / "checked-pages.md").read_text(encoding="utf-8")]
    parts += [path.read_text(encoding="utf-8") for path in sorted((SHARED / "seeds").glob("*.txt"))]
    return normalise("\n".join(parts))


def quotations() -> list[tuple[str, str]]:
    """(place, words) for every quotation in data/: the sources' words, and `quote: "..."` locators."""
    found = [(f"sources.csv:{row['id']}", row["quote"]) for row in sources() if row.get("quote")]
    for path in sorted((ROOT / "data").glob("*.csv")):
        with open(path, encoding="utf-8", newline="") as handle:
            for row in csv.DictReader(handle):
                locator = row.get("locator") or ""
                for words in re.findall(r'quote: "(.+?)"(?:;|$)', locator):
                    found.append((f"{path.name}:{row.get('id')}", words))
    return found


@pytest.mark.skipif(not (SHARED / "facts.md").exists(), reason="../shared is not beside the repository")
def test_every_quotation_in_the_data_is_word_for_word_in_its_source_text():
    held = held_text()
    quotes = quotations()
    assert len(quotes) >= 150
    missing = []
    for place, words in quotes:
        pieces = [p for p in re.split(r"\s*(?:…|\.\.\.)\s*", words) if len(p.strip()) > 3]
        if not all(normalise(piece) in held for piece in pieces):
            missing.append((place, words))
    assert not missing, missing


# --- Downloads, cards and the cite line, in the built book ---------------------------------------


def test_downloads_hold_every_source_and_parse():
    files = bibexport.downloads(ROOT / "references.bib")
    titles = sorted(plain(entry.fields["title"]) for entry in entries().values())  # two works share a title
    bib = parse_string(files[bibexport.FOLDER / f"{bibexport.STEM}.bib"].decode(), "bibtex").entries
    assert sorted(plain(e.fields["title"]) for e in bib.values()) == titles
    assert not set(bib) & set(entries()), "a download names a source by its id"
    ris = files[bibexport.FOLDER / f"{bibexport.STEM}.ris"].decode()
    records = [r for r in ris.split("ER  - ") if r.strip()]
    assert len(records) == len(titles)
    assert sorted(re.findall(r"^TI  - (.+)$", ris, flags=re.M)) == titles
    assert all(re.match(r"\s*TY  - [A-Z]+\n", r) for r in records)
    csl = json.loads(files[bibexport.FOLDER / f"{bibexport.STEM}.json"])
    assert sorted(item["title"] for item in csl) == titles
    assert len({item["id"] for item in csl}) == len(csl)
    dois = {item.get("DOI") for item in csl if item["type"] == "article-journal"}
    assert "10.1186/s12913-021-06692-x" in dois


def test_references_page_links_the_downloads(built_book: Path):
    page = BeautifulSoup((built_book / "book" / "references.html").read_text(encoding="utf-8"), "html.parser")
    links = {a["href"] for a in page.select("a[download]")}
    for suffix in (".bib", ".ris", ".json"):
        href = f"../_static/references/{bibexport.STEM}{suffix}"
        assert href in links
        assert (built_book / "book" / href).resolve().is_file()


def test_every_citation_has_a_card(built_book: Path):
    for name in (*CHAPTERS, "index"):
        soup = BeautifulSoup((built_book / "book" / f"{name}.html").read_text(encoding="utf-8"), "html.parser")
        links = soup.select(".bibtex-citation a")
        assert links, name
        for link in links:
            card = soup.find(id=link.get("aria-describedby"))
            assert card is not None and card.get("role") == "tooltip", (name, str(link))
            text = card.get_text(" ")
            assert re.search(r"\((?:\d{4}[a-z]?|n\.d\.(?:-[a-z])?)\)\.", text), (name, text)
            assert not link.get("title"), "the browser's own tooltip would repeat the card"


def test_a_card_shows_the_words_seen_on_its_source(built_book: Path):
    soup = BeautifulSoup((built_book / "book" / "systems.html").read_text(encoding="utf-8"), "html.parser")
    cards = [soup.find(id=a["aria-describedby"]) for a in soup.select(".bibtex-citation a")]
    texts = [html.unescape(card.get_text(" ")) for card in cards]
    assert any("HM Treasury (2024)" in t and "restore economic stability" in t for t in texts)
    assert any("Words seen on it" in t for t in texts)


def test_each_chapter_says_how_to_cite_it(built_book: Path):
    cff = yaml.safe_load((ROOT / "CITATION.cff").read_text(encoding="utf-8"))
    for name in CHAPTERS:
        soup = BeautifulSoup((built_book / "book" / f"{name}.html").read_text(encoding="utf-8"), "html.parser")
        line = soup.select_one("p.carebook-cite-this")
        assert line is not None, name
        text = line.get_text()
        assert cff["title"] in text and cff["authors"][0]["name"] in text, text
        assert re.search(r"Edition of \d{4}-\d{2}-\d{2}, commit [0-9a-f]{12}", text), text
        title = soup.select_one("h1").get_text().strip("#¶ \n")
        assert f"“{title}”" in text, (title, text)
