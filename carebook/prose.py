"""Format values from data/ for the prose and glue them, so no figure is typed by hand."""

from __future__ import annotations

import functools
import math
from collections.abc import Mapping, Sequence
from fractions import Fraction
from numbers import Number

import pandas as pd

from carebook.data import VALUE_COLUMNS
from carebook.markup import whole_or_cut


def _number(value: float) -> str:
    """A number as the source gave it: 3.8, 329, 87,000 (no trailing zeros)."""
    if float(value).is_integer():
        text = f"{int(value):,}"
    else:
        text = f"{value:,.10g}" if abs(value) < 1000 else f"{value:,.1f}"
    return text.replace("-", "\u2212")  # a minus sign, not a hyphen (a confidence interval can start below zero)


def fmt(value: Number, unit: str | None = None) -> str:
    """Render `value` in its unit for prose: '£3.8 billion', '5.3%', '3.7% a year', '15 million'."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        raise ValueError("cannot format a missing value")
    value = float(value)
    match unit:
        case "GBP_billion":
            return f"£{_number(value)} billion"
        case "GBP_million":
            return f"£{_number(value)} million"
        case "GBP":
            return f"£{_number(value)}"
        case "percent":
            return f"{_number(value)}%"
        case "percent_per_year":
            return f"{_number(value)}% a year"
        case "p_value":
            return f"p={_number(value)}"
        case "years":
            return f"{_number(value)} years"
        case "count" | "people" | "beds" | "ratio" | None:
            if value >= 1_000_000 and (value / 1_000_000).is_integer():
                return f"{_number(value / 1_000_000)} million"
            return _number(value)
    raise ValueError(f"unknown unit {unit!r}")


def fmt_row(row: pd.Series) -> str:
    """Render a data row's figure (its amount, value or count) in its unit."""
    for column in VALUE_COLUMNS:
        if column in row.index:
            unit = row.get("unit", "count")
            return fmt(row[column], None if pd.isna(unit) else str(unit))
    raise ValueError(f"row {row.get('id')!r} has no amount, value or count column")


class Prose:
    """A glued value for the prose: its text (plain), and for {glue:md} the figure with its provenance."""

    def __init__(self, text: str, provenance: dict | None = None):
        self.text = text
        self.provenance = provenance or {"name": "", "text": text, "kind": "text"}

    def _repr_mimebundle_(self, include=None, exclude=None) -> dict:
        from carebook import provenance

        return {
            "text/plain": self.text,
            "text/markdown": provenance.markdown(self.provenance),
            provenance.MIME: self.provenance,
        }

    def __repr__(self) -> str:
        return self.text


def glue(
    name: str,
    value: pd.Series | Number | str,
    unit: str | None = None,
    rows: Sequence[str | pd.Series] | None = None,
    count_of: pd.DataFrame | None = None,
) -> None:
    """Glue a data row, a computed number or text under `name`; cite it in prose as {glue:md}`name`.

    A data row (from `data.load`/`data.fact`) is its own provenance. A number (or text stating one)
    computed from data names its rows, `rows=["funding:bcf-2015-16-minimum", row, ...]`; a count of
    the rows of a frame from `data.load` passes the frame as `count_of=`. A number with neither is refused.
    """
    from myst_nb import glue as myst_glue

    from carebook import provenance

    if isinstance(value, pd.Series):
        text = fmt_row(value)
    elif isinstance(value, str):
        text = value
    else:
        text = fmt(value, unit)
    record = provenance.record(name, text, value, rows=rows, count_of=count_of)
    myst_glue(name, Prose(text, record), display=False)


def glue_many(table: str, names: Mapping[str, str]) -> None:
    """Glue several rows of one table at once, `{glue name: row id}`; each row is its own provenance.

    A figure computed from rows goes through `glue` with `rows=`; `data.fact` gives a row again without reading
    its table again.
    """
    from carebook.data import fact

    rows = {name: fact(table, row_id) for name, row_id in names.items()}  # every id checked before any is glued
    for name, row in rows.items():
        glue(name, row)


def join_words(items: Sequence[object]) -> str:
    """Items as a list in prose: 'a', 'a and b', 'a, b and c'."""
    words = [str(item) for item in items]
    if not words:
        raise ValueError("join_words: nothing to list")
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]


NUMBER_WORDS = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten"]


def spell(n: Number) -> str:
    """A whole number as a word up to ten ('five'), in digits above ('14')."""
    whole = int(n)
    if whole != n:
        raise ValueError(f"spell() takes whole numbers, not {n!r}")
    return NUMBER_WORDS[whole] if 0 <= whole < len(NUMBER_WORDS) else _number(whole)


def date(when: pd.Timestamp, precision: str = "day") -> str:
    """A date for prose at its precision: '8 February 2017', 'February 2017' or '2017'."""
    match precision:
        case "day":
            return f"{when.day} {when:%B %Y}"
        case "month":
            return f"{when:%B %Y}"
        case "year":
            return f"{when:%Y}"
    raise ValueError(f"unknown date precision {precision!r}")


def with_change(row: pd.Series) -> str:
    """A row's figure with its direction for tables and labels: 'down 5.3%', 'up 87,000', '£3.8 billion'."""
    words = {"increase": "up ", "decrease": "down "}
    return words.get(str(row.get("change", "level")), "") + fmt_row(row)


# Fractions the book names in words, and how near a stated share must be to one (a source's 0.333 is a third).
FRACTIONS = {
    Fraction(1, 2): "half",
    Fraction(1, 3): "one-third",
    Fraction(2, 3): "two-thirds",
    Fraction(1, 4): "a quarter",
    Fraction(3, 4): "three-quarters",
    Fraction(1, 5): "one-fifth",
    Fraction(1, 10): "one-tenth",
}
FRACTION_TOLERANCE = 0.0005


def fraction_words(share: Number) -> str:
    """A share as words: 0.5 'half', 0.333 'one-third', 0.25 'a quarter'; a ValueError for any other share."""
    nearest = min(FRACTIONS, key=lambda f: abs(float(f) - float(share)))
    if abs(float(nearest) - float(share)) > FRACTION_TOLERANCE:
        named = ", ".join(f"{f} ({w})" for f, w in FRACTIONS.items())
        raise ValueError(f"fraction_words: {share!r} is not a fraction the book names in words ({named})")
    return FRACTIONS[nearest]


LOCATOR_CHARS = 60


def _labels() -> dict[str, tuple[str, str]]:
    """Each source id's (author as cited, date label), from the sources.csv of the data folder in use.

    Kept for each version of that file: a build (or `carebook serve`) may read another book's data, or an edited
    registry, in the same process.
    """
    from carebook import data

    return _labels_for(data._stamp(data.data_dir() / "sources.csv"))


@functools.cache
def _labels_for(version: tuple) -> dict[str, tuple[str, str]]:
    """The labels for one version of sources.csv (`version` is its stamp: only the cache's key)."""
    from carebook import citations
    from carebook.data import sources

    frame = sources()
    works = citations.works_from_sources(frame)
    years = citations.year_labels(works)
    return {work.key: (work.author, years[work.key]) for work in works}


def cite(source_id: str, locator: object = None) -> str:
    """A citation as readers see it: 'Keeble et al. (2019), p=0.1879', 'PSNC (n.d.)'; never the source id."""
    labels = _labels()
    if source_id not in labels:
        raise KeyError(f"unknown source id {source_id!r}: add it to data/sources.csv")
    author, year = labels[source_id]
    text = f"{author} ({year})"
    if locator is None or (isinstance(locator, float) and math.isnan(locator)) or str(locator) in ("", "<NA>"):
        return text
    locator = str(locator)
    if len(locator) > LOCATOR_CHARS:  # cut at a word, closing the quotation marks and brackets it cut open
        locator = whole_or_cut(locator, LOCATOR_CHARS)
        locator += '"' * (locator.count('"') % 2) + ")" * max(0, locator.count("(") - locator.count(")"))
    return f"{text}, {locator}"


def source(row: pd.Series) -> str:
    """A row's source for a table column or tooltip: 'The King's Fund (2015), section "Legislation"'."""
    return cite(str(row["source_id"]), row.get("locator"))


def sources(frame: pd.DataFrame) -> list[str]:
    """The citation of each row of `frame` (which has source_id and locator columns)."""
    return [source(row) for _, row in frame.iterrows()]


def with_source(frame: pd.DataFrame) -> pd.DataFrame:
    """`frame` with a `source` citation column in place of its source_id and locator, for charts readers see."""
    shown = frame.copy()
    shown["source"] = sources(frame) if len(frame) else pd.Series(dtype="string")
    shown = shown.drop(columns=[c for c in ("source_id", "locator", "note") if c in shown.columns])
    shown.attrs["source_ids"] = sorted(set(map(str, frame["source_id"])))  # for the chart's default source line
    return shown


def _latest(table: str, date_column: str, precision_column: str) -> pd.Series:
    """The row of `table` with the latest date (ties: the last in the file)."""
    from carebook.data import load

    frame = load(table).dropna(subset=[date_column])
    row = frame.loc[frame[date_column][::-1].idxmax()]
    row.attrs["precision"] = "year" if row[precision_column] == "year" else "month"
    return row


def coverage() -> tuple[str, list[str]]:
    """'Covers events to June 2026; sources published to June 2026.', and the rows that say so.

    Computed from the latest dated event in timeline.csv and the latest dated source in sources.csv.
    """
    event = _latest("timeline", "date", "precision")
    source_row = _latest("sources", "date", "date_precision")
    text = (
        f"Covers events to {date(event['date'], event.attrs['precision'])}; "
        f"sources published to {date(source_row['date'], source_row.attrs['precision'])}."
    )
    return text, [f"timeline:{event['id']}", f"sources:{source_row['id']}"]


def glue_coverage(name: str) -> None:
    """Glue the coverage statement under `name`, with the rows it comes from."""
    text, rows = coverage()
    glue(name, text, rows=rows)
