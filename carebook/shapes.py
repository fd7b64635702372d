"""The chart shapes that recur across chapters (re-exported by `carebook.charts`): planned against actual
changes, bars labelled with their values, and axis domains computed from the data drawn."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import altair as alt
import pandas as pd

from carebook import data, prose

HEADROOM = 1.15  # the value axis runs this far past the largest bar, leaving room for its label
# A bar label's width, at most about: pixels per character of vega's 11 px text, and the gap before it.
LABEL_CHAR_PX, LABEL_GAP_PX = 6.5, 10
TICK_PX = 60  # pixels of value axis per tick asked for
BAR_COLOUR = "#0072B2"  # the house blue (charts.BLUE)


def headroom(values: Iterable[float], factor: float = HEADROOM) -> list[float]:
    """An axis domain from zero to a little above the largest of `values`."""
    top = max((float(v) for v in values if pd.notna(v)), default=0.0)
    if top <= 0:
        raise ValueError("headroom: no positive value to scale the axis to")
    return [0, top * factor]


def slots(n: int) -> list[float]:
    """The domain of a continuous axis holding `n` categories at positions 0 to n-1, half a slot at each end."""
    return [-0.5, n - 0.5]


def label_room(labels: Iterable[str]) -> float:
    """The pixels the longest of `labels` takes beside its bar (0 with no labels)."""
    longest = max((len(str(label)) for label in labels), default=0)
    return longest * LABEL_CHAR_PX + LABEL_GAP_PX if longest else 0.0


def diverging_domain(signed: pd.Series, labels: pd.Series, width: float) -> list[float]:
    """A value axis from below the longest fall to beyond the longest rise, leaving each side room in pixels
    (at a plot `width` pixels wide) for the labels drawn beyond the bar ends: a fall's to its left, a rise's
    to its right."""
    fall, rise = min(float(signed.min()), 0.0), max(float(signed.max()), 0.0)
    left, right = label_room(labels[signed < 0]), label_room(labels[signed > 0])
    if width - left - right < width / 5:
        raise ValueError(f"plan_against_actual: {width} px leaves no room for bars beside their labels")
    per_pixel = (rise - fall) / (width - left - right)
    return [fall - left * per_pixel, rise + right * per_pixel]


def plan_against_actual(
    rows: pd.DataFrame, *, measure: str, kind: str, title: str, width: int = 470, height: int = 80
) -> alt.FacetChart:
    """Planned against actual changes, one panel per `measure`: each data row's figure signed by its `change`
    (a fall drawn left of zero) and labelled with its direction ('down 106,000', 'up 87,000') beyond the bar,
    with room for the labels at `width` pixels (pass a phone's width for the `narrow` layout of `charts.figure`).

    `rows` are rows from `data.load` (with source_id and locator) plus a `measure` and a `kind` column; the
    panels and bars keep the order in which the rows give them.
    """
    drawn = rows[[measure, kind, "source_id", "locator"]].copy()
    drawn["signed"] = rows.apply(data.signed, axis=1)
    drawn["label"] = rows.apply(prose.with_change, axis=1)
    measures, kinds = list(dict.fromkeys(drawn[measure])), list(dict.fromkeys(drawn[kind]))
    domain = diverging_domain(drawn["signed"], drawn["label"], width)
    ticks = max(3, width // TICK_PX)  # on a phone's narrow axis, fewer round numbers rather than crowded ones
    base = alt.Chart().encode(
        y=alt.Y(f"{kind}:N", title=None, sort=kinds),
        x=alt.X("signed:Q", title=title, scale=alt.Scale(domain=domain), axis=alt.Axis(format=",.0f", tickCount=ticks)),
    )
    bars = base.mark_bar().encode(
        color=alt.Color(f"{kind}:N", title=None, sort=kinds),
        tooltip=[f"{measure}:N", f"{kind}:N", "label:N", alt.Tooltip("source:N", title="Source")],
    )
    # Labels outside the bar ends: to the left of falls, to the right of rises.
    falls = (
        base.mark_text(align="right", dx=-5)
        .encode(text="label:N")
        .transform_filter(alt.FieldLTPredicate(field="signed", lt=0))
    )
    rises = (
        base.mark_text(align="left", dx=5)
        .encode(text="label:N")
        .transform_filter(alt.FieldGTPredicate(field="signed", gt=0))
    )
    header = alt.Header(labelAngle=0, labelAlign="left", labelAnchor="start", labelOrient="top", labelFontWeight="bold")
    return (
        alt.layer(bars, falls, rises, data=prose.with_source(drawn))
        .properties(width=width, height=height)
        .facet(row=alt.Row(f"{measure}:N", title=None, sort=measures, header=header))
    )


def labelled_bars(
    frame: pd.DataFrame,
    *,
    category: str,
    value: str,
    title: str,
    label: str = "label",
    horizontal: bool = True,
    sort: Sequence[str] | None = None,
    colour: alt.Color | alt.ColorValue | None = None,
    tooltip: Sequence[object] = (),
    domain: Sequence[float] | None = None,
    category_axis: alt.Axis | None = None,
    bar_size: int | None = None,
) -> alt.LayerChart:
    """Bars of `value` by `category`, each labelled with its `label` column beyond its end.

    The value axis runs from zero to a little above the largest bar unless `domain` is given; `frame` may come
    from `prose.with_source` (its source ids then give the chart's source line).
    """
    order = list(sort) if sort is not None else list(dict.fromkeys(frame[category]))
    axis = category_axis if category_axis is not None else alt.Axis(labelAngle=0) if not horizontal else alt.Undefined
    along = (alt.Y if horizontal else alt.X)(f"{category}:N", title=None, sort=order, axis=axis)
    scale = alt.Scale(domain=list(domain) if domain is not None else headroom(frame[value]))
    across = (alt.X if horizontal else alt.Y)(f"{value}:Q", title=title, scale=scale)
    encoding = {"y": along, "x": across} if horizontal else {"x": along, "y": across}
    bars = (
        alt.Chart(frame)
        .mark_bar(**({"size": bar_size} if bar_size else {}))
        .encode(
            **encoding,
            color=colour if colour is not None else alt.value(BAR_COLOUR),
            tooltip=list(tooltip) or [f"{category}:N", f"{label}:N"],
        )
    )
    text = alt.Chart(frame).mark_text(**({"align": "left", "dx": 6} if horizontal else {"dy": -10}), color="#222222")
    return alt.layer(bars, text.encode(**encoding, text=f"{label}:N"))
