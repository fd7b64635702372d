"""Chart layouts for a phone: dated events as a list down the page, one event a row."""

from __future__ import annotations

import textwrap

import altair as alt
import pandas as pd

ROW_PX = 34  # a row holds two lines of 12 px lettering
LABEL_CHARS = 36  # a title longer than this wraps onto a second line (about 250 px at 12 px)
YEAR_X, MARK_X, LABEL_X = 0, 46, 60  # pixels from the left: the year, the event's mark, its title


def event_rows(
    frame: pd.DataFrame,
    *,
    date: str,
    title: str,
    kind: str,
    kinds: list[str],
    kind_title: str,
    tooltip: list,
    larger: str | None = None,
) -> alt.LayerChart:
    """Dated events as a list down the page: the year (at its first event), a mark coloured and shaped
    by kind, and the title to its right, wrapped rather than cut. `larger` names a boolean column
    whose events are drawn larger (a highlight)."""
    rows = frame.sort_values(date, kind="stable").reset_index(drop=True)
    years = rows[date].dt.year.astype(str)
    rows["_row"] = rows.index
    rows["_year"] = years.where(years != years.shift(), "")
    rows["_label"] = [textwrap.fill(str(text), LABEL_CHARS) for text in rows[title]]
    base = alt.Chart(rows).encode(y=alt.Y("_row:O", axis=None))
    legend = alt.Legend(orient="top", columns=2, title=kind_title)
    size = alt.value(110)
    if larger:
        size = alt.condition(alt.datum[larger], alt.value(160), alt.value(70))
    marks = base.mark_point(filled=True, opacity=1, x=MARK_X).encode(
        color=alt.Color(f"{kind}:N", sort=kinds, scale=alt.Scale(domain=kinds), legend=legend),
        shape=alt.Shape(f"{kind}:N", sort=kinds, scale=alt.Scale(domain=kinds), legend=legend),
        size=size,
        tooltip=tooltip,
    )
    year_text = base.mark_text(align="left", fontSize=12, fontWeight="bold", x=YEAR_X).encode(text="_year:N")
    labels = base.mark_text(align="left", fontSize=12, lineBreak="\n", x=LABEL_X).encode(
        text="_label:N", tooltip=tooltip
    )
    return alt.layer(year_text, marks, labels).properties(width=LABEL_X + 250, height=alt.Step(ROW_PX))


def stack_labels(
    frame: pd.DataFrame, *, x: alt.X, value: str, label: str, order: list[str], title: str, chars: int = 10
) -> alt.Chart:
    """Each segment of a stacked bar named in its middle (segments stacked in `order` from the foot),
    so that no two close colours carry meaning alone. Draw the bars with `alt.Order` by the same order;
    `title` is the value axis's title (layers with one title share one axis)."""
    rows = frame.assign(_stack=frame[label].astype(str).map(order.index).astype(int)).sort_values(
        [x.shorthand.split(":")[0], "_stack"]
    )
    rows["_mid"] = rows.groupby(x.shorthand.split(":")[0], observed=True)[value].cumsum() - rows[value] / 2
    rows["_name"] = [textwrap.fill(str(name), chars) for name in rows[label]]
    return (
        alt.Chart(rows)
        .mark_text(fontSize=11, lineBreak="\n", color="#111111")
        .encode(x=x, y=alt.Y("_mid:Q", title=title), text="_name:N")
    )
