"""The who-does-what diagram and the year-by-year grid: their data hold together, arrows meet boxes, gaps stay gaps."""

from __future__ import annotations

import math

import pandas as pd
import pytest
from conftest import ROOT

from carebook import data, diagrams, series

POSITIONS = {"a": (0, 0), "b": (2, 0), "c": (2, 2)}
SCALE = (100.0, 100.0)


def rows(*specs: tuple[str, str, str, str, str]) -> pd.DataFrame:
    """Rows of who_does_what: (id, kind, from_body, to_body, status)."""
    frame = pd.DataFrame(specs, columns=["id", "kind", "from_body", "to_body", "status"])
    frame["name"] = frame["id"]
    return frame


BODIES = [("a", "body", "", "", "in force"), ("b", "body", "", "", "in force"), ("c", "body", "", "", "in force")]


def test_every_link_and_change_in_the_table_names_bodies_that_are_drawn():
    who = data.load("who_does_what")
    bodies = set(who.loc[who["kind"] == "body", "id"])
    links = who[who["kind"] == "link"]
    assert len(links) and set(links["from_body"]) <= bodies and set(links["to_body"]) <= bodies
    changes = who[who["kind"] == "change"]
    assert len(changes) and set(changes["to_body"]) <= bodies
    assert set(who["status"]) == set(diagrams.STANDINGS), "law, the Bill and plans are all on the map"


def test_arrows_stop_at_the_edges_of_the_boxes_they_join():
    drawn = diagrams.layout(rows(*BODIES, ("ab", "link", "a", "b", "in force")), POSITIONS, SCALE).set_index("id")
    link = drawn.loc["ab"]
    assert link["_x"] == pytest.approx(diagrams.BOX_W)  # leaves a's right edge
    assert 2 - diagrams.BOX_W - 0.2 < link["_x2"] < 2 - diagrams.BOX_W  # its head stops just short of b's left edge
    assert link["_angle"] == pytest.approx(90)  # and points right


def test_two_links_between_the_same_bodies_run_apart_and_their_labels_too():
    drawn = diagrams.layout(
        rows(*BODIES, ("ab", "link", "a", "b", "in force"), ("ba", "link", "b", "a", "proposed in the Health Bill")),
        POSITIONS,
        SCALE,
    ).set_index("id")
    assert abs(drawn.loc["ab", "_y"] - drawn.loc["ba", "_y"]) * SCALE[1] >= diagrams.TWIN
    assert drawn.loc["ab", "_ly"] != drawn.loc["ba", "_ly"]
    assert math.isclose(drawn.loc["ba", "_angle"] % 360, 270)


def test_a_body_a_proposal_would_abolish_is_drawn_in_the_proposal_line_style_and_says_so():
    frame = rows(*BODIES, ("a-gone", "change", "", "a", "proposed in the Health Bill"))
    frame.loc[frame["id"] == "a-gone", "name"] = "abolished"
    drawn = diagrams.layout(frame, POSITIONS, SCALE).set_index("id")
    assert drawn.loc["a", "_border"] == "proposed in the Health Bill"
    assert drawn.loc["a", "_change"] == "(Bill: abolished)"
    assert drawn.loc["b", "_border"] == "in force" and drawn.loc["b", "_change"] == ""


def test_a_body_without_a_place_is_a_clear_error():
    with pytest.raises(ValueError, match="no position for d"):
        diagrams.layout(rows(*BODIES, ("d", "body", "", "", "in force")), POSITIONS, SCALE)


def test_the_phone_list_names_every_link_and_change_with_its_standing():
    frame = rows(*BODIES, ("ab", "link", "a", "b", "in force"), ("c-gone", "change", "", "c", "announced plan"))
    listed = diagrams.link_list(diagrams.layout(frame, POSITIONS, SCALE), list(POSITIONS)).data
    assert list(listed["_text"]) == ["a → b: ab\n(in force)", "c: c-gone\n(announced plan)"]


def known_cells() -> pd.DataFrame:
    return pd.DataFrame(
        [
            {"year": "2015-16", "column": "Total", "label": "£3.8bn", "million": 3800.0},
            {"year": "2017-18", "column": "Total", "label": "£6.9bn", "million": 6900.0},
            {"year": "2016-17", "column": "NHS", "label": "up 5.66%", "million": None},
        ]
    )


def test_a_year_with_no_figure_is_a_gap_not_a_zero_and_not_a_value_in_between():
    grid = series.with_gaps(known_cells(), ["2015-16", "2016-17", "2017-18"], ["NHS", "Total"]).set_index(
        ["year", "column"]
    )
    gap = grid.loc[("2016-17", "Total")]
    assert gap["label"] == series.GAP and gap["_kind"] == "gap" and pd.isna(gap["million"])
    assert grid.loc[("2016-17", "NHS"), "_kind"] == "rise"  # a rate, drawn without a bar
    assert grid.loc[("2017-18", "Total"), "_bar"] == pytest.approx(1 + series.CELL)  # the column's largest: full bar


def test_two_figures_for_one_cell_or_a_cell_off_the_grid_is_refused():
    doubled = pd.concat([known_cells(), known_cells().iloc[[0]]])
    with pytest.raises(ValueError, match="two figures for one cell"):
        series.with_gaps(doubled, ["2015-16", "2016-17", "2017-18"], ["NHS", "Total"])
    with pytest.raises(ValueError, match="outside the grid"):
        series.with_gaps(known_cells(), ["2015-16"], ["NHS", "Total"])


def test_money_is_worded_short_as_the_source_states_it():
    assert series.short_money(4048, "GBP_million") == "£4,048m"
    assert series.short_money(3.519, "GBP_billion") == "£3.519bn"
    assert series.short_money(5.66, "percent") == "up 5.66%"


def test_the_who_does_what_map_is_placed_in_the_chapter_and_linked_from_the_home_page():
    assert "```{glue:figure} fig-who-does-what" in (ROOT / "book" / "systems.md").read_text()
    assert "fig-who-does-what" in (ROOT / "book" / "index.md").read_text()
