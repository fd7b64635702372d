"""Diagrams of organisations drawn with the house charts: boxes for bodies, arrows for the links between them,
line style (not colour) for what is in force, proposed or only planned; and the same links as a list for a phone."""

from __future__ import annotations

import math
import textwrap

import altair as alt
import pandas as pd

# Line styles by standing: solid, dashed, dotted. The legend names them, so colour carries nothing alone.
STANDINGS = ["in force", "proposed in the Health Bill", "announced plan"]
DASHES = [[1, 0], [7, 4], [2, 3]]
INK, MONEY = "#333333", "#E69F00"  # links carrying money in the house orange, the rest in the text colour
BOX_W, BOX_H = 0.66, 0.3  # a box's half-width and half-height, in the units of the layout's grid
NAME_CHARS = 20  # a body's name wraps at this many characters inside its box
CHANGE_DY = 22  # pixels below a box's centre for its line of changes
TWIN = 8  # pixels between two links that join the same pair of bodies
LETTER_PX = 6  # the width of a letter of link lettering, near enough to set a label beside a vertical link
ROW_PX, LIST_TEXT_X, LIST_CHARS = 48, 46, 40  # the phone list: row height, where text starts, wrap width


def _border(frame: pd.DataFrame) -> dict[str, str]:
    """Each body's line style: its own standing, or 'proposed' where a proposal would abolish or remove it."""
    proposed = set(frame[(frame["kind"] == "change") & (frame["status"] == STANDINGS[1])]["to_body"])
    bodies = frame[frame["kind"] == "body"]
    return {b: (STANDINGS[1] if b in proposed else s) for b, s in zip(bodies["id"], bodies["status"], strict=True)}


def _box_label(frame: pd.DataFrame, body: str, name: str) -> tuple[str, str]:
    """A box's lettering: the name, wrapped; and a line naming each change proposed or planned for the body."""
    changes = frame[(frame["kind"] == "change") & (frame["to_body"] == body)]
    notes = []
    for standing, word in ((STANDINGS[1], "Bill"), (STANDINGS[2], "plan")):
        named = list(changes.loc[changes["status"] == standing, "name"])
        if named:
            notes.append(f"({word}: {'; '.join(named)})")
    return "\n".join(textwrap.wrap(name, NAME_CHARS)), " ".join(notes)


def _text_px(text: str) -> float:
    """About how wide a link's label is drawn, in pixels."""
    return len(text) * LETTER_PX


def _clip(dx: float, dy: float) -> float:
    """How far along a segment between two box centres (dx, dy in grid units) it leaves the first box."""
    limits = [abs(half / d) for half, d in ((BOX_W, dx), (BOX_H, dy)) if d]
    return min(limits) if limits else 0.0


def layout(frame: pd.DataFrame, positions: dict[str, tuple[float, float]], scale: tuple[float, float]) -> pd.DataFrame:
    """`frame` (rows of who_does_what) with the drawing positions of its boxes and arrows in `_`-columns.

    `positions` gives each body's centre on the layout's grid; `scale` the pixels per grid unit (x, y), so that
    arrows stop at the edges of the boxes and their heads point along them."""
    missing = sorted(set(frame.loc[frame["kind"] == "body", "id"]) - positions.keys())
    if missing:
        raise ValueError(f"diagram: no position for {', '.join(missing)}")
    out = frame.copy()
    names = dict(zip(out["id"], out["name"], strict=True))
    out["from"] = out["from_body"].map(names).fillna("")
    out["to"] = out["to_body"].map(names).fillna("")
    border = _border(out)
    out["_border"] = out["id"].map(border).fillna(out["status"])
    boxes = [
        _box_label(out, i, n) if k == "body" else (n, "")
        for i, n, k in zip(out["id"], out["name"], out["kind"], strict=True)
    ]
    out["_label"], out["_change"] = [b[0] for b in boxes], [b[1] for b in boxes]
    sx, sy = scale
    pairs = out[out["kind"] == "link"][["from_body", "to_body"]].apply(lambda p: frozenset(p), axis=1)
    cols = {c: [] for c in ("_x", "_y", "_x2", "_y2", "_lx", "_ly", "_angle")}
    for _, row in out.iterrows():
        if row["kind"] == "body":
            x, y = positions[row["id"]]
            values = [x, y, x, y, x, y, 0.0]
        elif row["kind"] == "link":
            (x1, y1), (x2, y2) = positions[row["from_body"]], positions[row["to_body"]]
            dx, dy = (x2 - x1) * sx, (y2 - y1) * sy
            # Two links between one pair of bodies run side by side.
            twin = (pairs == frozenset((row["from_body"], row["to_body"]))).sum() > 1
            nx, ny = -dy, dx  # to the left of the link's own direction: two links running opposite ways part
            length = math.hypot(nx, ny) or 1.0
            ox, oy = (TWIN * nx / length / sx, TWIN * ny / length / sy) if twin else (0.0, 0.0)
            start = _clip(dx / sx, dy / sy)
            end = 1 - _clip(dx / sx, dy / sy) - 8 / math.hypot(dx, dy)  # the head's own length stops short
            values = [
                x1 + (x2 - x1) * start + ox,
                y1 + (y2 - y1) * start + oy,
                x1 + (x2 - x1) * end + ox,
                y1 + (y2 - y1) * end + oy,
                (x1 + x2) / 2 + ox * 2.4 - (_text_px(row["name"]) / 2 + 6) / sx * (dx == 0),
                (y1 + y2) / 2 + oy * 2.4,
                math.degrees(math.atan2(dx, dy)),  # a triangle-up turned to point along the link (y up)
            ]
        else:
            values = [None] * 7
        for col, value in zip(cols, values, strict=True):
            cols[col].append(value)
    for col, values in cols.items():
        out[col] = values
    out["_bx1"], out["_bx2"] = out["_x"] - BOX_W, out["_x"] + BOX_W
    out["_by1"], out["_by2"] = out["_y"] - BOX_H, out["_y"] + BOX_H
    return out


def network(
    frame: pd.DataFrame,
    *,
    domain_x: list[float],
    domain_y: list[float],
    width: int,
    height: int,
    legend: str = "Standing",
) -> alt.LayerChart:
    """Boxes for the bodies and arrows for the links of `frame` (from `layout`), line style by standing
    (the legend titled `legend`)."""
    xs, ys = alt.Scale(domain=domain_x), alt.Scale(domain=domain_y)
    x = alt.X("_x:Q", axis=None, scale=xs)
    y = alt.Y("_y:Q", axis=None, scale=ys)
    dash = alt.StrokeDash(
        "_border:N",
        title=legend,
        scale=alt.Scale(domain=STANDINGS, range=DASHES),
        legend=alt.Legend(orient="bottom", symbolType="stroke", symbolSize=400, symbolStrokeWidth=2),
    )
    ink = alt.condition("datum.relation == 'money'", alt.value(MONEY), alt.value(INK))
    body_tip = ["name:N", "what:N", "status:N", "source:N"]
    link_tip = ["from:N", "to:N", "name:N", "what:N", "status:N", "source:N"]
    base = alt.Chart().encode(x=x, y=y)

    def edge(x1: str, y1: str, x2: str | None, y2: str | None) -> alt.Chart:
        """One side of every box, drawn in its body's line style (a rect's own outline takes no dashes)."""
        ends = {"x2": f"{x2}:Q"} if x2 else {"y2": f"{y2}:Q"}
        return (
            alt.Chart()
            .mark_rule(strokeWidth=1.6, color=INK)
            .encode(
                x=alt.X(f"{x1}:Q", axis=None, scale=xs),
                y=alt.Y(f"{y1}:Q", axis=None, scale=ys),
                strokeDash=dash,
                tooltip=body_tip,
                **ends,
            )
            .transform_filter("datum.kind == 'body'")
        )

    fill = (
        alt.Chart()
        .mark_rect(fill="#f4f8fb")
        .encode(
            x=alt.X("_bx1:Q", axis=None, scale=xs),
            y=alt.Y("_by1:Q", axis=None, scale=ys),
            x2="_bx2:Q",
            y2="_by2:Q",
            tooltip=body_tip,
        )
        .transform_filter("datum.kind == 'body'")
    )
    sides = [
        edge("_bx1", "_by1", "_bx2", None),
        edge("_bx1", "_by2", "_bx2", None),
        edge("_bx1", "_by1", None, "_by2"),
        edge("_bx2", "_by1", None, "_by2"),
    ]
    # A box's name sits in its middle, or above its line of changes (smaller, italic) where it has one.
    plain = (
        base.mark_text(fontSize=12, lineBreak="\n", color="#111111")
        .encode(text="_label:N", tooltip=body_tip)
        .transform_filter("datum.kind == 'body' && !datum._change")
    )
    raised = (
        base.mark_text(fontSize=12, lineBreak="\n", color="#111111", dy=-10)
        .encode(text="_label:N", tooltip=body_tip)
        .transform_filter("datum.kind == 'body' && datum._change")
    )
    notes = (
        base.mark_text(fontSize=10.5, fontStyle="italic", color="#111111", dy=CHANGE_DY)
        .encode(text="_change:N", tooltip=body_tip)
        .transform_filter("datum.kind == 'body' && datum._change")
    )
    lines = (
        base.mark_rule(strokeWidth=2)
        .encode(x2="_x2:Q", y2="_y2:Q", strokeDash=dash, color=ink, tooltip=link_tip)
        .transform_filter("datum.kind == 'link'")
    )
    heads = (
        alt.Chart()
        .mark_point(shape="triangle-up", filled=True, size=90, opacity=1)
        .encode(
            x=alt.X("_x2:Q", axis=None, scale=alt.Scale(domain=domain_x)),
            y=alt.Y("_y2:Q", axis=None, scale=alt.Scale(domain=domain_y)),
            angle=alt.Angle("_angle:Q", scale=None),
            color=ink,
            tooltip=link_tip,
        )
        .transform_filter("datum.kind == 'link'")
    )
    # A white outline of the link's name, as wide as a space between its words, so no line shows through it.
    halo = (
        base.mark_text(fontSize=11, fontStyle="italic", stroke="white", strokeWidth=7, strokeJoin="round")
        .encode(
            x=alt.X("_lx:Q", axis=None, scale=alt.Scale(domain=domain_x)),
            y=alt.Y("_ly:Q", axis=None, scale=alt.Scale(domain=domain_y)),
            text="_label:N",
        )
        .transform_filter("datum.kind == 'link'")
    )
    link_names = (
        base.mark_text(fontSize=11, fontStyle="italic")
        .encode(
            x=alt.X("_lx:Q", axis=None, scale=alt.Scale(domain=domain_x)),
            y=alt.Y("_ly:Q", axis=None, scale=alt.Scale(domain=domain_y)),
            text="_label:N",
            color=ink,
            tooltip=link_tip,
        )
        .transform_filter("datum.kind == 'link'")
    )
    return alt.layer(lines, heads, fill, *sides, plain, raised, notes, halo, link_names, data=frame).properties(
        width=width, height=height
    )


def link_list(frame: pd.DataFrame, order: list[str], legend: str = "Standing") -> alt.LayerChart:
    """The links and changes of `frame` as a list down the page, for a phone: a sample of each one's line
    style with an arrow, then 'from → to' and what runs along it, wrapped rather than cut."""
    rank = {body: i for i, body in enumerate(order)}
    rows = frame[frame["kind"] != "body"].copy()
    rows["_first"] = [rank.get(b, len(rank)) for b in rows["from_body"].where(rows["kind"] == "link", rows["to_body"])]
    rows = rows.sort_values(["_first", "kind"], kind="stable").reset_index(drop=True)
    rows["_row"] = rows.index
    rows["_text"] = [
        textwrap.fill(f"{f} → {t}: {n}" if k == "link" else f"{t}: {n}", LIST_CHARS) + f"\n({s})"
        for k, f, t, n, s in zip(rows["kind"], rows["from"], rows["to"], rows["name"], rows["status"], strict=True)
    ]
    tip = ["from:N", "to:N", "name:N", "what:N", "status:N", "source:N"]
    y = alt.Y("_row:O", axis=None)
    dash = alt.StrokeDash(
        "status:N",
        title=legend,
        scale=alt.Scale(domain=STANDINGS, range=DASHES),
        legend=alt.Legend(orient="top", columns=1, symbolType="stroke", symbolSize=400, symbolStrokeWidth=2),
    )
    ink = alt.condition("datum.relation == 'money'", alt.value(MONEY), alt.value(INK))
    sample = (
        alt.Chart()
        .mark_rule(strokeWidth=2, x=2, x2=LIST_TEXT_X - 14)
        .encode(y=y, strokeDash=dash, color=ink, tooltip=tip)
    )
    head = (
        alt.Chart()
        .mark_point(shape="triangle-right", filled=True, size=60, opacity=1, x=LIST_TEXT_X - 12)
        .encode(y=y, color=ink, tooltip=tip)
        .transform_filter("datum.kind == 'link'")
    )
    text = (
        alt.Chart()
        .mark_text(align="left", fontSize=12, lineBreak="\n", x=LIST_TEXT_X)
        .encode(y=y, text="_text:N", tooltip=tip)
    )
    return alt.layer(sample, head, text, data=rows).properties(width=LIST_TEXT_X + 280, height=alt.Step(ROW_PX))
