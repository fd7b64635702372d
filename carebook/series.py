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


# Pixels a character takes, at most about: a figure (12 px; 10 px on a phone), a bold heading, a gap's italic word.
FIGURE_CHAR_PX, HEAD_CHAR_PX, GAP_CHAR_PX = {False: 7.0, True: 6.0}, {False: 7.5, True: 6.6}, 5.6
CELL_GAP_PX = 6  # pixels kept free at the end of a column's longest figure or heading


def column_widths(cells: pd.DataFrame, columns: list[str], lines: list[list[str]], short: bool) -> list[float]:
    """Each column's width in pixels, at most about: its longest figure, heading line or gap word, and a gap."""
    text = cells["_short"] if short else cells["label"]
    widths = []
    for column, heading in zip(columns, lines, strict=True):
        own = cells["column"] == column
        figures = [len(t) * FIGURE_CHAR_PX[short] for t in text[own & (cells["_kind"] != "gap")]]
        gaps = [len(t) * GAP_CHAR_PX for t in text[own & (cells["_kind"] == "gap")]]
        heads = [len(line) * HEAD_CHAR_PX[short] for line in heading]
        widths.append(max([*figures, *gaps, *heads, 0.0]) + CELL_GAP_PX + (2 if short else 4))
    return widths


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
    column's own scale, each column as wide as its longest figure or heading needs (on a phone above all).
    `short` words the cells for a phone ('gap', '£625m+86m'); `headings` are the columns' names as shown."""
    text = "_short:N" if short else "label:N"
    lines = [textwrap.wrap(c, wrap, break_long_words=False) for c in headings or columns]
    widths = column_widths(cells, columns, lines, short)
    starts = [sum(widths[:i]) for i in range(len(columns))]
    share = dict(zip(columns, widths, strict=True))
    placed = cells.assign(_x=cells["column"].map(dict(zip(columns, starts, strict=True))).astype(float))
    span = placed["column"].map(share)
    placed["_bar"] = placed["_x"] + (cells["_bar"] - cells["_x"]) * span  # the share of its column, as placed
    placed["_end"], placed["_mid"] = placed["_x"] + CELL * span, placed["_x"] + CELL * span / 2
    x = alt.Scale(domain=[0, sum(widths)])
    years_axis = alt.Axis(labelFontWeight="bold", labelFontSize=11 if short else 12, ticks=False, domain=False)
    y = alt.Y("year:O", sort=years, title=None, axis=years_axis)
    base = alt.Chart().encode(y=y)
    tint = (
        base.mark_rect(color=RISE)
        .encode(x=alt.X("_x:Q", scale=x, axis=None), x2="_end:Q", tooltip=tooltip)
        .transform_filter("datum._kind == 'rise'")
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
    # On a phone a gap's word sits in the middle of its cell, clear of a long figure in the cell before.
    gap_text = {"align": "center", "dx": 0} if short else {"align": "left", "dx": 4}
    gaps = (
        base.mark_text(**gap_text, dy=-2, fontSize=10, fontStyle="italic", color="#777777")
        .encode(x=alt.X("_mid:Q" if short else "_x:Q", scale=x), text=text, tooltip=tooltip)
        .transform_filter("datum._kind == 'gap'")
    )
    # Column headings above the grid, one text mark a line, top-aligned (multi-line text ignores its baseline).
    depth = max(len(words) for words in lines)
    heads = pd.DataFrame(
        [{"_x": starts[i], "_k": k, "_head": line} for i, words in enumerate(lines) for k, line in enumerate(words)]
    )
    header = [
        alt.Chart(heads[heads["_k"] == k])
        .mark_text(
            align="left", baseline="bottom", dx=4 if not short else 2, fontSize=10 if short else 12, fontWeight="bold"
        )
        .encode(x=alt.X("_x:Q", scale=x), y=alt.value(-4 - (depth - 1 - k) * HEAD_LINE_PX), text="_head:N")
        for k in range(depth)
    ]
    return alt.layer(tint, bars, figures, gaps, *header, data=placed).properties(width=width, height=alt.Step(24))
