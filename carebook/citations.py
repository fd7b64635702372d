"""Citation labels readers see: 'Keeble et al. (2019)', 'National Audit Office (2018a)', 'PSNC (n.d.)'.

One rule for the bibliography (carebook/bibliography.py, in Sphinx) and for the tables, tooltips
and downloads the chapters make (carebook/prose.py): works by the same author in the same year,
or undated, get a letter in date-then-title order, so no two works share a label.
"""

from __future__ import annotations

import re
import string
from collections import defaultdict
from collections.abc import Iterable
from typing import NamedTuple

UNDATED = "n.d."
# Corporate authors cited by a short form in running text ("DHSC, 2023"); the bibliography gives them in full
# and the references page lists the short forms.
SHORT_FORMS = {
    "Department of Health and Social Care": "DHSC",
    "Department for Levelling Up, Housing and Communities": "DLUHC",
    "Ministry of Housing, Communities and Local Government": "MHCLG",
    "House of Commons Committee of Public Accounts": "PAC",
    "House of Commons Health and Social Care Committee": "HSCC",
    "National Audit Office": "NAO",
}
# Kinds of document cited by their title rather than an author ("Care Act 2014").
TITLED_KINDS = {"legislation", "explanatory notes"}
_PERSON = re.compile(r"^[A-Z][\w'’-]*(?: [a-z]+)?(?: [\w'’-]+)* [A-Z]{1,3}$|^(?:de|van|von) [\w'’-]+ [A-Z]{1,3}$")


class Work(NamedTuple):
    """What a label is made from: the author as cited, the year ('' if undated), a date order and the title."""

    key: str
    author: str
    year: str
    order: tuple[int, int]
    title: str


def sort_key(text: str) -> str:
    """Alphabetical order ignoring case and punctuation."""
    return re.sub(r"[^a-z0-9 ]", "", text.lower())


def year_labels(works: Iterable[Work]) -> dict[str, str]:
    """Each work's date label: '2018', 'n.d.', or with a letter where one author has two alike."""
    groups: dict[tuple[str, str], list[Work]] = defaultdict(list)
    for work in works:
        groups[(sort_key(work.author), work.year or UNDATED)].append(work)
    labels = {}
    for (_, year), members in groups.items():
        if len(members) == 1:
            labels[members[0].key] = year
            continue
        members.sort(key=lambda w: (w.order, sort_key(w.title)))
        for letter, work in zip(string.ascii_lowercase, members, strict=False):
            labels[work.key] = f"{year}-{letter}" if year == UNDATED else f"{year}{letter}"
    return labels


def persons(author: str) -> list[str] | None:
    """Surnames when `author` lists people as 'Keeble E, Bardsley M'; None for a body."""
    parts = [p.strip() for p in re.split(r", | and ", author) if p.strip()]
    if parts and all(_PERSON.match(p) for p in parts):
        return [p.rsplit(" ", 1)[0] for p in parts]
    return None


def short_form(author: str) -> str:
    """A body's author string with each long name in its short form: 'DHSC and DLUHC'."""
    for name, short in SHORT_FORMS.items():
        author = author.replace(name, short)
    return author


def cited_author(author: str, title: str, kind: str) -> str:
    """The author as an in-text citation names it: 'Keeble et al.', 'Collins and de Iongh', 'NAO', or a title."""
    if kind in TITLED_KINDS or not author:
        return title
    names = persons(author)
    if names is None:
        return short_form(author)
    if len(names) > 2:
        return f"{names[0]} et al."
    return " and ".join(names)


def works_from_sources(frame) -> list[Work]:
    """Works from data/sources.csv rows (a DataFrame indexed by id, dates parsed; only title is required)."""
    works = []
    for key, src in frame.iterrows():
        date, precision = src.get("date"), str(src.get("date_precision") or "")
        title = str(src["title"])
        author = src.get("author")
        author = str(author) if isinstance(author, str) else ""  # a missing author is NA
        dated = date is not None and date == date  # NaT is not equal to itself
        order = (
            date.month if dated and precision in ("month", "day") else 0,
            date.day if dated and precision == "day" else 0,
        )
        works.append(
            Work(
                str(key),
                cited_author(author, title, str(src.get("kind", ""))),
                str(date.year) if dated else "",
                order,
                title,
            )
        )
    return works
