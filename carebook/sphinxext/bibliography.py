"""The book's citation style: author and date labels that tell every work apart, in text and bibliography.

Two works by the same author in the same year (or both undated) get a letter after the year,
"2018a" and "2018b", or "n.d.-a" and "n.d.-b", in the order of their titles. The letter is shown
in the in-text citation and at the head of the bibliography entry, so a reader can match one to
the other in HTML and in print. The bibliography is sorted by author as printed, then date label.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from pybtex.richtext import Text
from pybtex.style.formatting.unsrt import Style as PlainStyle
from pybtex.style.template import field, first_of, join, node, optional, sentence, words
from sphinxcontrib.bibtex.style.referencing.author_year import AuthorYearReferenceStyle
from sphinxcontrib.bibtex.style.referencing.basic_author_year import (
    BasicAuthorYearParentheticalReferenceStyle,
    BasicAuthorYearTextualReferenceStyle,
)
from sphinxcontrib.bibtex.style.template import join as bjoin
from sphinxcontrib.bibtex.style.template import join2, post_text, pre_text, reference

from carebook import _compat, citations
from carebook.citations import UNDATED, Work, sort_key

LABEL_FIELD = "labelyear"
MONTHS = {
    m: name
    for m, name in zip(
        ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"],
        [
            "January",
            "February",
            "March",
            "April",
            "May",
            "June",
            "July",
            "August",
            "September",
            "October",
            "November",
            "December",
        ],
        strict=True,
    )
}


def plain(text: str) -> str:
    """BibTeX text without its protecting braces: '{The King's Fund}' -> "The King's Fund"."""
    return re.sub(r"[{}]", "", text).strip()


def full_author(entry) -> str:
    """The author as the bibliography names it ('Keeble and Bardsley', 'National Audit Office'); else the title."""
    people = entry.persons.get("author", [])
    if not people:
        return plain(entry.fields.get("title", ""))
    surnames = [plain(" ".join(person.prelast_names + person.last_names)) for person in people]
    return f"{surnames[0]} et al." if len(surnames) > 2 else " and ".join(surnames)


def author_text(entry) -> str:
    """The author as the in-text citation names it ('Keeble et al.', 'NAO'); the title when there is no author."""
    if not entry.persons.get("author"):
        return full_author(entry)
    return citations.short_form(full_author(entry))


def _work(entry) -> Work:
    """What the entry's label is made from."""
    months = list(MONTHS)
    month = plain(entry.fields.get("month", "")).lower()[:3]
    day = plain(entry.fields.get("day", ""))
    order = (months.index(month) + 1 if month in months else 0, int(day) if day.isdigit() else 0)
    title = plain(entry.fields.get("title", ""))
    return Work(entry.key, author_text(entry), plain(entry.fields.get("year", "")), order, title)


def year_labels(entries: Iterable) -> dict[str, str]:
    """Each entry's date label: its year, or "n.d.", with a/b/c... where an author has two alike."""
    return citations.year_labels(_work(entry) for entry in entries)


def label_entries(entries: dict) -> None:
    """Store each entry's date label in its `labelyear` field (recomputed each build, so idempotent)."""
    for key, label in year_labels(entries.values()).items():
        entries[key].fields[LABEL_FIELD] = label


def full_date(entry) -> str:
    """'19 October 2018', 'May 2015', '2014' or '' from the year, month and day fields."""
    year = plain(entry.fields.get("year", ""))
    if not year:
        return ""
    month = MONTHS.get(plain(entry.fields.get("month", "")).lower()[:3], "")
    day = plain(entry.fields.get("day", ""))
    return " ".join(part for part in (day if month else "", month, year) if part)


class CarebookStyle(PlainStyle):
    """pybtex's plain style, led by 'Author (date label).', sorted by author, with reports as reports."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("name_style", "lastfirst")  # 'Keeble, E., Bardsley, M., ...': surname first, as sorted
        kwargs.setdefault("abbreviate_names", True)
        super().__init__(*args, **kwargs)
        self.sort = self.sort_alphabetically  # pybtex's base class binds `sort` to its sorting plugin

    def sort_alphabetically(self, entries):
        """By author as printed (in full), then date label, then title."""
        return sorted(
            entries,
            key=lambda e: (
                sort_key(full_author(e)),
                plain(e.fields.get(LABEL_FIELD, e.fields.get("year", UNDATED))),
                sort_key(plain(e.fields.get("title", ""))),
            ),
        )

    def format_entry(self, label, entry, bib_data=None):
        """Fill in the full date and the 'checked' note before formatting."""
        entry.fields["fulldate"] = full_date(entry)
        return super().format_entry(label, entry, bib_data=bib_data)

    def head(self, e):
        """'Author (2018a).' or, without an author, 'Title (2014).'."""
        who = self.format_names("author", as_sentence=False) if e.persons.get("author") else field("title")
        return join[who, " (", field(LABEL_FIELD), ")."]

    def details(self, *parts):
        """The publication details and the full date, as one sentence."""
        return sentence[(*parts, optional[field("fulldate")])]

    def web(self, e):
        """The address, the day the page was accessed (where recorded) and the DOI."""
        return sentence[
            optional[self.format_url(e)],
            optional[join["accessed ", field("urldate")]],
            optional[self.format_doi(e)],
        ]

    def entry(self, e, *middle):
        """Every entry's shape: its head, what its type prints in the middle, the note, the address."""
        return join(sep=" ")[(self.head(e), *middle, sentence[optional_note()], self.web(e))]

    def get_article_template(self, e):
        title = [self.format_title(e, "title")] if e.persons.get("author") else []  # else the head is the title
        return self.entry(
            e,
            *title,
            sentence[
                field("journal"),
                optional[join[field("volume"), optional["(", field("number"), ")"], optional[":", field("pages")]]],
            ],
        )

    def get_techreport_template(self, e):
        """A report: 'Report of Session 2017–19, HC 1376. House of Commons, 19 October 2018.'"""
        return self.entry(
            e,
            self.format_title(e, "title"),
            self.details(
                optional[words[optional_field_("type"), optional_field_("number")]],
                optional[field("institution")],
            ),
        )

    def get_misc_template(self, e):
        title = [self.format_title(e, "title")] if e.persons.get("author") else []  # else the head is the title
        return self.entry(e, *title, self.details(optional[field("howpublished")]))

    def get_incollection_template(self, e):
        return self.entry(
            e,
            self.format_title(e, "title"),
            self.details(optional[field("booktitle")], optional[field("publisher")]),
        )


def optional_note():
    """The entry's note, if any."""
    return optional[field("note")]


def optional_field_(name: str):
    """A field that may be missing."""
    return first_of[optional[field(name)], ""]


@node
def label_year(children, data):
    """The entry's date label ('2018a', 'n.d.'), as the in-text citation shows it."""
    assert not children
    return first_of[optional[field(LABEL_FIELD)], optional[field("year")], UNDATED].format_data(data)


@node
def cited_author(children, data):
    """The author as the in-text citation names it: short forms for bodies ('NAO'), 'et al.' after two people."""
    assert not children
    return Text(author_text(data["entry"]))


class _Parenthetical(BasicAuthorYearParentheticalReferenceStyle):
    def inner(self, role_name: str):
        return join2(sep1=self.pre_text_sep, sep2=self.post_text_sep)[
            pre_text,
            reference[
                bjoin(sep=self.author_year_sep)[
                    cited_author,
                    label_year,
                ]
            ],
            post_text,
        ]


class _Textual(BasicAuthorYearTextualReferenceStyle):
    def inner(self, role_name: str):
        return bjoin(sep=self.text_reference_sep)[
            cited_author,
            bjoin[
                self.bracket.left,
                join2(sep1=self.pre_text_sep, sep2=self.post_text_sep)[pre_text, reference[label_year], post_text],
                self.bracket.right,
            ],
        ]


@dataclass
class CarebookReferenceStyle(AuthorYearReferenceStyle):
    """sphinxcontrib-bibtex's author_year citations, with the date label in place of the bare year."""

    def __post_init__(self):
        super().__post_init__()
        self.styles[:2] = [
            _Parenthetical(
                bracket=self.bracket_parenthetical,
                person=self.person,
                author_year_sep=self.author_year_sep,
                pre_text_sep=self.pre_text_sep,
                post_text_sep=self.post_text_sep,
            ),
            _Textual(
                bracket=self.bracket_textual,
                person=self.person,
                text_reference_sep=self.text_reference_sep,
                pre_text_sep=self.pre_text_sep,
                post_text_sep=self.post_text_sep,
            ),
        ]
        self.role_style = {name: style for style in self.styles for name in style.role_names()}


def register() -> None:
    """Make the styles available as 'carebook': to pybtex (bibliography) and sphinxcontrib-bibtex (citations)."""
    import pybtex.plugin
    from sphinxcontrib.bibtex.plugin import register_plugin

    pybtex.plugin.register_plugin("pybtex.style.formatting", "carebook", CarebookStyle, force=True)
    register_plugin("sphinxcontrib.bibtex.style.referencing", "carebook", CarebookReferenceStyle, force=True)


def _label_bibliography(app) -> None:
    """After sphinxcontrib-bibtex has read the .bib files, give every entry its date label."""
    domain = app.env.get_domain("cite")
    label_entries(domain.bibdata.data.entries)


def setup(app) -> dict:
    """Register the style and label the entries once the bibliography is loaded."""
    register()
    app.connect("builder-inited", _label_bibliography, priority=900)
    app.connect("env-updated", _compat.bibliographies_in_reading_order, priority=400)  # before sphinxcontrib-bibtex
    return {"parallel_read_safe": True, "parallel_write_safe": True}
