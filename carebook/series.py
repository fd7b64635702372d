"""A series by year drawn as a grid of what is known: one column per component, one row per year, a bar and
its figure where a source gives one and an empty cell marked as a gap where none does (never a zero, never a
value in between)."""

from __future__ import annotations

import textwrap

import altair as alt
import pandas as pd

GAP, GAP_SHORT = "no sourced figure", "gap"  # a gap's words in the grid, and on a phone
HEAD_LINE_PX = 14  # the height of a line of a column heading
CELL = 0.92  # the share of a column's width a full-length bar takes
BAR, RISE = "#0072B2", "#e8eef4"  # a sum's bar (the house blue); the tint behind a rise, which is not a sum
# A sum's bar is a strip under its figure, never behind it: a figure longer than its bar never runs past its end.
BAR_PX, BAR_BELOW_PX = 3, 9  # the strip's thickness, and how far its middle sits below the middle of its row


def short_money(amount: float, unit: str) -> str:
    """A figure short enough for a cell: '£4,048m', '£3.519bn', 'up 5.66%'."""
    number = f"{amount:,.0f}" if float(amount).is_integer() else f"{amount:,.10g}"
    match unit:
        case "GBP_million":
            return f"£{number}m"
        case "GBP_billion":
            return f"£{number}bn"
        case "percent":
            return f"up {number}%"
    raise ValueError(f"short_money: unit {unit!r} is not money or a rise")


def with_gaps(known: pd.DataFrame, years: list[str], columns: list[str]) -> pd.DataFrame:
    """`known` (year, column, label and source columns; `million` for a sum) with a row for every year and
    column it lacks, labelled as a gap; every cell placed on the grid (`_x`, `_bar`)."""
    extra = known[~known["column"].isin(columns) | ~known["year"].isin(years)]
    if len(extra):
        raise ValueError(f"with_gaps: cells outside the grid: {sorted(set(extra['column'] + ' ' + extra['year']))}")
    doubled = known[known.duplicated(["year", "column"], keep=False)]
    if len(doubled):
        raise ValueError(
            f"with_gaps: two figures for one cell: {sorted(set(doubled['column'] + ' ' + doubled['year']))}"
        )
    grid = pd.MultiIndex.from_product([years, columns], names=["year", "column"]).to_frame(index=False)
    cells = grid.merge(known, on=["year", "column"], how="left")
    cells["label"] = cells["label"].fillna(GAP)
    cells["_short"] = cells["label"].replace(GAP, GAP_SHORT).str.replace(" + £", "+", regex=False)
    cells["_kind"] = [
        "gap" if pd.isna(m) and lab == GAP else "rise" if pd.isna(m) else "sum"
        for m, lab in zip(cells["million"], cells["label"], strict=True)
    ]
    top = cells.groupby("column")["million"].transform("max")
    cells["_x"] = cells["column"].map(columns.index).astype(float)
    cells["_bar"] = cells["_x"] + CELL * (cells["million"] / top)
    return cells


def known_grid(
    cells: pd.DataFrame,
    *,
    years: list[str],
    columns: list[str],
    width: int,
    wrap: int,
    tooltip: list,
    short: bool = False,
    headings: list[str] | None = None,
) -> alt.LayerChart:
    """The grid of `with_gaps` cells: headers on top, years down the side, each figure over a strip drawn to its
    column's own scale.
    `short` words the cells for a phone ('gap', '£625m+86m'); `headings` are the columns' names as shown."""
    text = "_short:N" if short else "label:N"
    x = alt.Scale(domain=[0, len(columns)])
    y = alt.Y("year:O", sort=years, title=None, axis=alt.Axis(labelFontWeight="bold", ticks=False, domain=False))
    base = alt.Chart().encode(y=y)
    tint = (
        base.mark_rect(color=RISE)
        .encode(x=alt.X("_x:Q", scale=x, axis=None), x2="_end:Q", tooltip=tooltip)
        .transform_filter("datum._kind == 'rise'")
        .transform_calculate(_end=f"datum._x + {CELL}")
    )
    bars = (
        base.mark_bar(color=BAR, height=BAR_PX, yOffset=BAR_BELOW_PX)
        .encode(x=alt.X("_x:Q", scale=x, axis=None), x2="_bar:Q", tooltip=tooltip)
        .transform_filter("datum._kind == 'sum'")
    )
    figures = (
        base.mark_text(align="left", dx=4 if not short else 2, dy=-2, fontSize=10 if short else 12)
        .encode(x=alt.X("_x:Q", scale=x), text=text, tooltip=tooltip)
        .transform_filter("datum._kind != 'gap'")
    )
    gaps = (
        base.mark_text(align="left", dx=4, dy=-2, fontSize=10, fontStyle="italic", color="#777777")
        .encode(x=alt.X("_x:Q", scale=x), text=text, tooltip=tooltip)
        .transform_filter("datum._kind == 'gap'")
    )
    # Column headings above the grid, one text mark a line, top-aligned (multi-line text ignores its baseline).
    lines = [textwrap.wrap(c, wrap, break_long_words=False) for c in headings or columns]
    depth = max(len(words) for words in lines)
    heads = pd.DataFrame(
        [{"_x": float(i), "_k": k, "_head": line} for i, words in enumerate(lines) for k, line in enumerate(words)]
    )
    header = [
        alt.Chart(heads[heads["_k"] == k])
        .mark_text(
            align="left", baseline="bottom", dx=4 if not short else 2, fontSize=11 if short else 12, fontWeight="bold"
        )
        .encode(x=alt.X("_x:Q", scale=x), y=alt.value(-4 - (depth - 1 - k) * HEAD_LINE_PX), text="_head:N")
        for k in range(depth)
    ]
    return alt.layer(tint, bars, figures, gaps, *header, data=cells).properties(width=width, height=alt.Step(24))
