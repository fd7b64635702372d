"""The house chart style and `figure`, which emits each chart as HTML holding its Vega-Lite spec: the web draws it
there, and the PDF and EPUB draw it again from that spec as vector graphics (carebook/sphinxext/vector.py)."""

from __future__ import annotations

import hashlib
import html
import json
import textwrap
from collections.abc import Sequence

import altair as alt
import pandas as pd

from carebook import _compat, data
from carebook.chartdata import drawn_sources, encoded_fields, frames, reader_columns
from carebook.housestyle import (  # noqa: F401 (the colours: the chapters' API)
    BLUE,
    COLOURS,
    EDGE_PADDING,
    GREEN,
    GREY,
    ORANGE,
    PALETTE,
    PINK,
    SKY,
    VERMILLION,
    YELLOW,
    _dicts,
    house_colours,
    house_interaction,
)
from carebook.markup import markdown_text
from carebook.shapes import headroom, labelled_bars, plan_against_actual, slots  # noqa: F401 (the chapters' API)

_compat.altair_class_table_once()

FONT = "Liberation Sans, Arial, Helvetica, sans-serif"
WIDTH = 640
MIN_ALT_WORDS = 6
VIS_CLASS = "carebook-vis"
FOOTER_CHARS = 110
MAX_FOOTER_SOURCES = 4


@alt.theme.register("carebook", enable=True)
def theme() -> alt.theme.ThemeConfig:
    """Readable fonts, the colour-blind-safe palette and a quiet frame.

    No "fit" autosize here: Vega-Lite draws a facet or a horizontal concatenation 0 pixels wide
    with it (and vl-convert then fails). On the web, `_static/carebook.js` fits a single or layered
    chart that is wider than the page's column to the column instead.
    """
    return {
        "background": "white",
        "padding": 8,
        "config": {
            "font": FONT,
            "view": {"continuousWidth": WIDTH, "continuousHeight": 320, "discreteWidth": WIDTH, "stroke": None},
            "range": {"category": PALETTE},
            "axis": {"labelFontSize": 12, "titleFontSize": 13, "titleFontWeight": "normal", "gridColor": "#e6e6e6"},
            "legend": {
                "labelFontSize": 12,
                "titleFontSize": 13,
                "orient": "bottom",
                "titleFontWeight": "normal",
                "labelLimit": 320,
            },
            "header": {"labelFontSize": 12, "titleFontSize": 13},
            "title": {"fontSize": 11, "fontWeight": "normal", "color": "#555555", "anchor": "start"},
            "text": {"fontSize": 12},
        },
    }


def source_line(source_ids: Sequence[str], table: str | None = None) -> str:
    """'Source: …' naming each source by author, short title and date, from data/sources.csv.

    A chart drawn from many sources points to its table instead, whose rows each name theirs.
    """
    registry = data.sources()
    unknown = [s for s in source_ids if s not in registry.index]
    if unknown:
        raise ValueError(f"unknown source id(s) {', '.join(map(repr, unknown))}: add them to data/sources.csv")
    if len(source_ids) > MAX_FOOTER_SOURCES and table:
        return "Sources: the documents named in each row of the data."
    from carebook import prose

    parts = [f"{prose.cite(sid)}, {registry.loc[sid, 'short_title']}" for sid in source_ids]
    label = "Source" if len(parts) == 1 else "Sources"
    return f"{label}: " + "; ".join(parts) + "."


class Figure:
    """A chart with its description, emitted as HTML that holds its spec (no picture: each edition draws it)."""

    def __init__(
        self,
        chart: alt.TopLevelMixin,
        alt_text: str,
        sources: Sequence[str],
        table: str | None,
        narrow: alt.TopLevelMixin | None = None,
    ):
        footer = alt.TitleParams(
            textwrap.wrap(source_line(sources, table), FOOTER_CHARS), orient="bottom", anchor="start"
        )
        self.chart = chart.properties(description=alt_text, title=footer)
        self.alt = alt_text
        self.table = table
        self.spec = house_interaction(house_colours(self.chart.to_dict()))
        self.spec_json = _spec_json(self.spec)
        # The phone layout (carebook.js draws it in a column narrower than its NARROW): same data, description
        # and footer, laid out for a narrow screen. Print always takes the wide chart.
        self.narrow_json = ""
        if narrow is not None:
            narrow_chart = narrow.properties(description=alt_text, title=footer)
            self.narrow_json = _spec_json(house_interaction(house_colours(narrow_chart.to_dict())))
        self.id = "vis-" + hashlib.sha256((self.spec_json + self.narrow_json).encode()).hexdigest()[:12]

    def data_table(self) -> str:
        """An HTML table of the chart's own data, for readers who cannot see the chart.

        A layered or concatenated chart may hold its data in its parts: the largest table among
        them is shown (the others are usually a line or a label drawn for emphasis).
        """
        found = frames(self.chart)
        if not found:
            return ""
        frame = max(found, key=len)  # the first of the largest
        fields = encoded_fields(self.spec)
        shown = reader_columns(frame[[c for c in frame.columns if c in fields] or list(frame.columns)])
        for col in shown.columns:
            if pd.api.types.is_datetime64_any_dtype(shown[col]):
                shown[col] = shown[col].dt.strftime("%Y-%m-%d")
            elif shown[col].map(lambda v: isinstance(v, str)).all():
                shown[col] = shown[col].str.replace("|", " ", regex=False)  # a chart label's line breaks
        shown.columns = [str(c).replace("_", " ").capitalize() for c in shown.columns]  # "plan_or_outcome"
        table = shown.to_html(index=False, border=0, classes="carebook-table", na_rep="")
        return f'<details class="carebook-data"><summary>Show the data</summary>{table}</details>'

    def html(self) -> str:
        """A container that `_static/carebook.js` fills with the chart (or its phone layout), its data, a CSV link."""
        link = ""
        if self.table:
            link = (
                f'<p class="carebook-download"><a href="../_static/data/{self.table}.csv" download>'
                f"Download the data behind this chart (CSV)</a></p>"
            )
        return (
            f'<div class="carebook-chart"><div id="{self.id}" class="{VIS_CLASS}" '
            f'data-alt="{html.escape(self.alt)}"></div>'
            f'<script type="application/json" class="carebook-spec" data-for="{self.id}">'
            f"{_script_safe(self.spec_json)}</script>"
            + (
                f'<script type="application/json" class="carebook-spec-narrow" data-for="{self.id}">'
                f"{_script_safe(self.narrow_json)}</script>"
                if self.narrow_json
                else ""
            )
            + f"{self.data_table()}{link}</div>"
        )

    def _repr_mimebundle_(self, include=None, exclude=None) -> dict:
        return {"text/html": self.html(), "text/plain": self.alt}


def _spec_json(spec: dict) -> str:
    """A spec as compact, stable JSON (the chart's id is its hash)."""
    return json.dumps(spec, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def _script_safe(spec_json: str) -> str:
    """JSON to sit inside a <script> element.

    Script content is not HTML-unescaped, and `</script` or `<!--` in it would end or confuse the
    element: JSON's own escapes keep <, > and & out of the markup and parse back to the same spec.
    """
    return spec_json.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def figure(
    name: str,
    chart: alt.TopLevelMixin,
    *,
    alt: str = "",
    sources: Sequence[str] = (),
    table: str | None = None,
    narrow: alt.TopLevelMixin | None = None,
) -> None:
    """Glue `chart` as figure `name`; place it with a {glue:figure} directive whose body is the caption.

    `alt` is a sentence saying what the chart shows (required); `sources` are ids from data/sources.csv
    for the footer (by default, the sources of the rows the chart draws); `table` names the data/ table
    behind it; `narrow` is the same chart laid out for a phone (drawn on narrow screens instead of `chart`).
    """
    from myst_nb import glue

    if len(alt.split()) < MIN_ALT_WORDS:
        raise ValueError(
            f"chart {name!r} needs alt text: a sentence of at least {MIN_ALT_WORDS} words saying what it shows"
        )
    sources = list(sources) or drawn_sources(chart)
    if not sources:
        raise ValueError(f"chart {name!r} draws no sourced rows: pass sources=[...], ids from data/sources.csv")
    if table is not None:
        data.resource(table)
    glue(name, Figure(chart, alt, sources, table, narrow), display=False)


class Table:
    """A table of data rows: filterable HTML for the web, a Markdown table for print."""

    def __init__(self, frame: pd.DataFrame, alt_text: str, sources: Sequence[str], table: str | None):
        self.frame = frame.astype("string").fillna("")
        self.markdown_columns = set(frame.attrs.get("markdown", []))  # declared Markdown in the data's schema
        self.alt = alt_text
        self.footer = source_line(sources, table)
        self.table = table

    def markdown(self) -> str:
        """A pipe table with the source line beneath; text from data shows as written (escaped), except in
        columns the schema declares Markdown."""

        def row(cells, columns) -> str:
            shown = [
                str(c).replace("|", "\\|").replace("\n", " ") if name in self.markdown_columns else markdown_text(c)
                for c, name in zip(cells, columns, strict=True)
            ]
            return "| " + " | ".join(shown) + " |"

        columns = list(self.frame.columns)
        lines = [row(columns, [None] * len(columns)), "| " + " | ".join(["---"] * len(columns)) + " |"]
        lines += [row(values, columns) for values in self.frame.itertuples(index=False)]
        return "\n".join(lines) + f"\n\n{markdown_text(self.footer)}"

    def html(self) -> str:
        """The table with a filter box (wired by _static/carebook.js) and the source line."""
        body = self.frame.to_html(index=False, border=0, classes="carebook-table", escape=True)
        href = f"../_static/data/{self.table}.csv"
        link = f' <a href="{href}" download>Download the data behind this table (CSV)</a>' if self.table else ""
        return (
            f'<div class="carebook-filterable"><label>Filter rows: <input type="search" class="carebook-filter" '
            f'aria-label="Filter the rows of this table"></label>{body}'
            f'<p class="carebook-source">{html.escape(self.footer)}{link}</p></div>'
        )

    def _repr_mimebundle_(self, include=None, exclude=None) -> dict:
        return {"text/html": self.html(), "text/markdown": self.markdown(), "text/plain": self.alt}


def table(
    name: str, frame: pd.DataFrame, *, alt: str = "", sources: Sequence[str] = (), table: str | None = None
) -> None:
    """Glue `frame` as table `name` (place it with {glue:figure}); `alt` and `sources` are required as for charts."""
    from myst_nb import glue

    if len(alt.split()) < MIN_ALT_WORDS:
        raise ValueError(
            f"table {name!r} needs alt text: a sentence of at least {MIN_ALT_WORDS} words saying what it shows"
        )
    if not sources:
        raise ValueError(f"table {name!r} needs sources=[...]: ids from data/sources.csv for its footer")
    glue(name, Table(frame, alt, sources, table), display=False)
