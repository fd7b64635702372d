"""Chart lettering with room to breathe, at 1366 px and on a 390 px phone (the leftovers of issue 26's item 2):
a bar's label keeps clear of the axis beside it, category names lie flat where they fit, and a figure in the
Better Care Fund grid never runs over the end of its bar."""

from __future__ import annotations

import pytest
from test_browser import browser, site, wait_for_charts  # noqa: F401 (pytest fixtures)
from test_editions_browser import screens  # noqa: F401 (pytest fixture)

pytestmark = [pytest.mark.build, pytest.mark.browser]

CLEAR_PX = 6  # the least room between a bar's label and the axis labels and ticks beside it
# The text boxes of a figure's chart ({text, left, right, top, bottom, flat}) and the boxes of its bars.
DRAWN = """(figure) => {
  const svg = document.getElementById(figure).querySelector('.carebook-vis svg.marks');
  const box = e => { const r = e.getBoundingClientRect(); return {left: r.left, right: r.right, top: r.top,
                                                                   bottom: r.bottom}; };
  const texts = [...svg.querySelectorAll('text')].filter(t => t.textContent.trim()).map(t => {
    const m = t.getScreenCTM();
    return Object.assign(box(t), {text: t.textContent, flat: Math.abs(m.b) < 1e-6 && Math.abs(m.c) < 1e-6,
                                  axis: !!t.closest('.role-axis')});
  });
  const yAxes = [...svg.querySelectorAll('.role-axis')].filter(g => /Planned|Actual/.test(g.textContent)).map(box);
  const bars = [...svg.querySelectorAll('.mark-rect path, .mark-rect rect')]
    .filter(p => !['#e8eef4', 'transparent', 'none'].includes((p.getAttribute('fill') || 'none').toLowerCase()))
    .map(box);  // the bars, not the tint behind a rise (carebook.series.RISE)
  return {texts, yAxes, bars};
}"""


def drawn(tab, site, page: str, figure: str) -> dict:  # noqa: F811
    tab.goto(f"{site}/book/{page}.html")
    wait_for_charts(tab)
    return tab.evaluate(DRAWN, figure)


@pytest.mark.parametrize("screen", ["desktop", "phone"])
def test_first_year_labels_keep_clear_of_the_axis(screens, site, screen):  # noqa: F811
    chart = drawn(screens[screen], site, "funding", "fig-funding-bcf-first-year")
    labels = [t for t in chart["texts"] if t["text"].startswith(("down ", "up ")) and not t["axis"]]
    assert len(labels) == 4 and chart["yAxes"], f"the planned and actual labels or the axis were not found ({screen})"
    axis_end = max(axis["right"] for axis in chart["yAxes"])
    room = min(label["left"] for label in labels) - axis_end
    assert room >= CLEAR_PX, f"a label is {room:.1f} px from the axis beside it ({screen})"


def test_category_names_lie_flat_on_a_phone_where_they_fit(screens, site):  # noqa: F811
    chart = drawn(screens["phone"], site, "vanguards", "fig-vanguards-admissions")
    names = [t for t in chart["texts"] if t["text"] in ("vanguard areas", "non-vanguard areas")]
    assert len(names) == 2, "the two categories' names were not found"
    assert all(name["flat"] for name in names), "the category names are slanted though they fit side by side"
    assert names[0]["right"] < names[1]["left"], "the flat names run into each other"


@pytest.mark.parametrize("screen", ["desktop", "phone"])
def test_the_fund_grids_figures_never_run_over_their_bars(screens, site, screen):  # noqa: F811
    chart = drawn(screens[screen], site, "systems", "fig-systems-bcf")
    figures = [t for t in chart["texts"] if t["text"].startswith(("£", "over £", "about £"))]
    assert len(chart["bars"]) >= 10 and len(figures) >= 10, f"the grid's bars and figures were not found ({screen})"
    over = [
        f["text"]
        for f in figures
        for b in chart["bars"]
        if f["left"] < b["right"]
        and b["left"] < f["right"]
        and f["top"] < b["bottom"] - 0.5
        and b["top"] < f["bottom"] - 0.5
    ]
    assert not over, f"figures drawn over a bar ({screen}): {over[:4]}"
