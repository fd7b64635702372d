"""The web edition as a reader meets it (issue 26), in Debian's Chromium through Playwright: a mark's details
and a figure's card stay inside the screen, chart lettering never collides or runs out of its chart, no word
breaks inside itself, cards name rows in words with one quotation, and the data page highlights its target
row and lets the keyboard reach every table that scrolls."""

from __future__ import annotations

import csv
import re
from pathlib import Path

import pytest
from conftest import ROOT
from test_browser import browser, site, wait_for_charts  # noqa: F401 (pytest fixtures)

from carebook.build.toc import pages

pytestmark = [pytest.mark.build, pytest.mark.browser]

PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}
DESKTOP = {"viewport": {"width": 1366, "height": 900}}
CHAPTERS = [page for page in pages(ROOT) if page.is_notebook]
MARGIN = 1  # pixels of rounding allowed at a screen's edge

# Every piece of chart lettering as drawn (its text box, rotated with it), skipping lettering the chart hides
# (vega hides an axis label that would overlap its neighbour); pairs whose boxes overlap by more than a pixel,
# and lettering that runs out of the chart's drawing (clipped).
LETTERING = """() => {
  function quad(t) {
    const b = t.getBBox(), m = t.getScreenCTM();
    return [[b.x, b.y], [b.x + b.width, b.y], [b.x + b.width, b.y + b.height], [b.x, b.y + b.height]]
      .map(([x, y]) => [m.a * x + m.c * y + m.e, m.b * x + m.d * y + m.f]);
  }
  function apart(P, Q) {  // two convex boxes are apart if some edge's normal separates them
    for (const poly of [P, Q]) for (let i = 0; i < 4; i++) {
      const [x1, y1] = poly[i], [x2, y2] = poly[(i + 1) % 4];
      const nx = y2 - y1, ny = x1 - x2, len = Math.hypot(nx, ny) || 1;
      const a = P.map(p => (p[0] * nx + p[1] * ny) / len), b = Q.map(p => (p[0] * nx + p[1] * ny) / len);
      if (Math.min(Math.max(...a), Math.max(...b)) - Math.max(Math.min(...a), Math.min(...b)) <= 1) return true;
    }
    return false;
  }
  return [...document.querySelectorAll('.carebook-vis')].map(el => {
    const svg = el.querySelector('svg.marks');
    if (!svg) return {id: el.id, texts: 0, overlaps: [], outside: ['the chart was not drawn']};
    const frame = svg.getBoundingClientRect();
    const texts = [...svg.querySelectorAll('text')]
      .filter(t => t.textContent.trim() && t.getBBox().width > 0 && !t.closest('[opacity="0"]')
                   && getComputedStyle(t).opacity !== '0')
      .map(t => ({text: t.textContent.slice(0, 30), quad: quad(t)}));
    const overlaps = [], outside = [];
    texts.forEach((a, i) => {
      const out = ([x, y]) => x < frame.left - 1 || x > frame.right + 1 || y < frame.top - 1 || y > frame.bottom + 1;
      if (a.quad.some(out)) outside.push(a.text);
      // the same words drawn twice in one place are one lettering (a white halo under the text)
      const near = (b, k) => Math.hypot(a.quad[k][0] - b.quad[k][0], a.quad[k][1] - b.quad[k][1]) < 1;
      const halo = b => b.text === a.text && a.quad.every((_, k) => near(b, k));
      texts.slice(i + 1).forEach(b => {
        if (!halo(b) && !apart(a.quad, b.quad)) overlaps.push(a.text + ' / ' + b.text);
      });
    });
    return {id: el.id, texts: texts.length, overlaps, outside};
  });
}"""

AXIS_GAP_PX = 4  # the least room between two neighbouring labels lying flat along one axis

# Per chart, the narrowest gap between two neighbouring flat labels of one axis (on one line), with their words.
AXIS_GAPS = """() => [...document.querySelectorAll('.carebook-vis svg.marks')].map(svg => {
  let least = {gap: Infinity, between: ''};
  svg.querySelectorAll('.role-axis-label').forEach(group => {
    const labels = [...group.querySelectorAll('text')]
      .filter(t => t.textContent.trim() && getComputedStyle(t).opacity !== '0' && t.getAttribute('opacity') !== '0')
      .map(t => ({text: t.textContent, box: t.getBoundingClientRect(), m: t.getScreenCTM()}))
      .filter(l => Math.abs(l.m.b) < 1e-6 && l.box.width > 0);
    const lines = {};
    labels.forEach(l => { (lines[Math.round(l.box.top)] = lines[Math.round(l.box.top)] || []).push(l); });
    Object.values(lines).forEach(line => {
      line.sort((a, b) => a.box.left - b.box.left);
      for (let i = 1; i < line.length; i++) {
        const gap = line[i].box.left - line[i - 1].box.right;
        if (gap < least.gap) least = {gap, between: line[i - 1].text + ' / ' + line[i].text};
      }
    });
  });
  return Object.assign({id: svg.closest('.carebook-vis').id}, least);
})"""

# Words of four letters or more that the page breaks across two lines (links to addresses and code aside).
BROKEN_WORDS = """() => {
  const found = [], range = document.createRange();
  const walker = document.createTreeWalker(document.querySelector('.bd-article'), NodeFilter.SHOW_TEXT);
  while (walker.nextNode()) {
    const node = walker.currentNode;
    const skip = 'svg, script, style, .carebook-card, pre, code, .citation-list, a[href^="http"], [hidden]';
    if (node.parentElement.closest(skip)) continue;
    if (!node.parentElement.getClientRects().length) continue;
    const words = /[A-Za-z]{4,}/g;
    let m;
    while ((m = words.exec(node.textContent))) {
      range.setStart(node, m.index);
      range.setEnd(node, m.index + m[0].length);
      const rects = [...range.getClientRects()].filter(r => r.width > 0);
      if (rects.length > 1 && Math.abs(rects[0].top - rects[rects.length - 1].top) > 2) found.push(m[0]);
    }
  }
  return found;
}"""


def loopback_only(context, base: str) -> None:
    context.route("**/*", lambda route: route.continue_() if route.request.url.startswith(base) else route.abort())


@pytest.fixture(scope="module")
def screens(browser, site):  # noqa: F811
    """{'desktop': page, 'phone': page}: one tab at 1366 px and one on a 390 px touch phone."""
    opened = {}
    for name, options in (("desktop", DESKTOP), ("phone", PHONE)):
        context = browser.new_context(**options)
        loopback_only(context, site)
        opened[name] = (context, context.new_page())
    yield {name: tab for name, (_, tab) in opened.items()}
    for context, _ in opened.values():
        context.close()


@pytest.mark.parametrize("screen", ["desktop", "phone"])
@pytest.mark.parametrize("chapter", CHAPTERS, ids=lambda p: p.slug)
def test_chart_lettering_never_collides_or_runs_out(screens, site, chapter, screen):  # noqa: F811
    tab = screens[screen]
    tab.goto(f"{site}/{chapter.name}.html")
    wait_for_charts(tab)
    charts = tab.evaluate(LETTERING)
    assert charts, f"{chapter.slug} has no charts"
    for chart in charts:
        where = f"{chapter.slug} #{chart['id']} ({screen})"
        assert chart["texts"] >= 3, f"{where}: no lettering found"
        assert not chart["overlaps"], f"{where}: lettering collides: {chart['overlaps'][:4]}"
        assert not chart["outside"], f"{where}: lettering runs out of the chart: {chart['outside'][:4]}"
    # years and amounts along an axis are never set shoulder to shoulder ("1950 1955 1960" 1.4 px apart)
    for chart in tab.evaluate(AXIS_GAPS):
        where = f"{chapter.slug} #{chart['id']} ({screen})"
        assert chart["gap"] >= AXIS_GAP_PX, f"{where}: {chart['gap']:.1f} px between {chart['between']}"


@pytest.mark.parametrize("width", [390, 768, 1366, 1920])
def test_no_word_breaks_inside_itself_on_the_home_page(browser, site, width):  # noqa: F811
    context = browser.new_context(viewport={"width": width, "height": 900})
    loopback_only(context, site)
    tab = context.new_page()
    tab.goto(f"{site}/book/index.html")
    broken = tab.evaluate(BROKEN_WORDS)
    context.close()
    assert not broken, f"words broken across lines at {width} px: {broken[:5]}"


def tip_box(tab) -> dict | None:
    """The details box of a chart mark, where it shows (None when hidden)."""
    return tab.evaluate(
        """() => { const e = document.getElementById('vg-tooltip-element');
                   if (!e || !e.classList.contains('visible')) return null;
                   const r = e.getBoundingClientRect();
                   return {left: r.left, top: r.top, right: r.right, bottom: r.bottom}; }"""
    )


def test_a_tapped_marks_details_stay_on_a_phones_screen_and_a_scroll_closes_them(screens, site):  # noqa: F811
    tab = screens["phone"]
    tried = 0
    for chapter in CHAPTERS:
        tab.goto(f"{site}/{chapter.name}.html")
        wait_for_charts(tab)
        for chart in tab.locator(".carebook-vis").all():
            marks = chart.locator("svg .mark-symbol path, svg .mark-rect path, svg .mark-point path")
            if not marks.count():
                continue
            mark = marks.first
            mark.scroll_into_view_if_needed()
            box = mark.bounding_box()
            tab.touchscreen.tap(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
            tab.wait_for_timeout(200)
            shown = tip_box(tab)
            if shown is None:
                continue
            tried += 1
            assert shown["left"] >= -MARGIN and shown["right"] <= 390 + MARGIN, f"{chapter.slug}: box {shown}"
            assert shown["top"] >= -MARGIN and shown["bottom"] <= 844 + MARGIN, f"{chapter.slug}: box {shown}"
            tab.mouse.wheel(0, 120)
            tab.evaluate("window.scrollBy(0, 60)")
            tab.wait_for_timeout(150)
            assert tip_box(tab) is None, f"{chapter.slug}: a scroll leaves a mark's details on screen"
    assert tried >= 5, f"only {tried} charts showed a mark's details on a tap"


@pytest.mark.parametrize("how", ["hover", "focus"])
def test_a_figures_card_stays_in_the_window_even_low_on_the_screen(screens, site, how):  # noqa: F811
    """Each figure, scrolled to the foot of a 900 px window, shows its whole card inside the window."""
    tab = screens["desktop"]
    tried = 0
    for chapter in ("book/index", "book/funding"):
        tab.goto(f"{site}/{chapter}.html")
        figures = tab.locator("a.carebook-fig")
        for index in range(min(figures.count(), 12)):
            figure = figures.nth(index)
            figure.evaluate("el => window.scrollBy(0, el.getBoundingClientRect().top - (window.innerHeight - 40))")
            if how == "hover":
                figure.hover()
            else:
                figure.focus()
            card = tab.locator(f"#{figure.get_attribute('aria-describedby')}")
            card.wait_for(state="visible", timeout=3000)
            box = card.bounding_box()
            tried += 1
            assert box["y"] >= -MARGIN and box["y"] + box["height"] <= 900 + MARGIN, f"{chapter} #{index}: {box}"
            assert box["x"] >= -MARGIN and box["x"] + box["width"] <= 1366 + MARGIN, f"{chapter} #{index}: {box}"
            tab.mouse.move(1, 1)
            tab.keyboard.press("Escape")
    assert tried >= 12


@pytest.mark.parametrize("how", ["hover", "focus"])
def test_a_card_taller_than_the_room_beside_its_figure_scrolls_inside_the_window(screens, site, how):  # noqa: F811
    """The tallest card of the book (a figure computed from a grid's 26 rows, over 3,000 px as laid out), its figure
    at the top, the middle and the foot of a 900 px window: the card stays inside the window and scrolls."""
    tab = screens["desktop"]
    tab.goto(f"{site}/book/systems.html")
    tallest = tab.evaluate(
        """() => { const cards = [...document.querySelectorAll('.carebook-fig-wrap .carebook-card')];
                   const rows = cards.map(c => c.querySelectorAll('.carebook-card-row').length);
                   return cards[rows.indexOf(Math.max(...rows))].id; }"""
    )
    figure = tab.locator(f'a.carebook-fig[aria-describedby="{tallest}"]')
    card = tab.locator(f"#{tallest}")
    for at in (40, 450, 860):
        figure.evaluate(f"el => window.scrollBy(0, el.getBoundingClientRect().top - {at})")
        figure.hover() if how == "hover" else figure.focus()
        card.wait_for(state="visible", timeout=3000)
        box = card.bounding_box()
        bar = tab.evaluate("() => document.querySelector('.bd-header-article').getBoundingClientRect().bottom")
        assert box["y"] >= bar - MARGIN, f"figure at {at} px: the card's top is under the window's top bar"
        assert box["y"] >= -MARGIN and box["y"] + box["height"] <= 900 + MARGIN, f"figure at {at} px: card {box}"
        assert card.evaluate("el => el.scrollHeight > el.clientHeight + 100"), "the tall card should scroll"
        tab.mouse.move(1, 1)
        tab.keyboard.press("Escape")
        tab.evaluate("document.activeElement.blur()")  # focus returns afresh, as a reader tabbing back would


def row_ids() -> set[str]:
    """Every data row's id that a reader could mistake for words if shown (those with a hyphen)."""
    found = set()
    for path in (ROOT / "data").glob("*.csv"):
        with path.open(encoding="utf-8") as handle:
            found |= {row["id"] for row in csv.DictReader(handle) if "-" in row.get("id", "")}
    return found


def test_cards_name_rows_in_words_with_one_quotation_each(built_book: Path):
    from bs4 import BeautifulSoup

    ids = row_ids()
    cards = 0
    for chapter in CHAPTERS:
        soup = BeautifulSoup((built_book / f"{chapter.name}.html").read_text(encoding="utf-8"), "html.parser")
        for card in soup.select(".carebook-card"):
            cards += 1
            text = card.get_text(" ")
            words = re.sub(r"https?://\S+", " ", text)  # a citation card's address may hold any slug
            shown = [word for word in re.findall(r"[a-z0-9]+(?:-[a-z0-9]+)+", words) if word in ids]
            assert not shown, f"{chapter.slug}: a card shows row ids {shown}: {text[:120]}"
            rows = max(1, len(card.select(".carebook-card-row")))
            assert text.count("“") <= rows, f"{chapter.slug}: a card quotes more than once a row: {text[:200]}"
            assert not re.search(r"\w…", text), f"{chapter.slug}: a card cuts a word short: {text[:200]}"
    assert cards >= 50


def test_the_data_page_highlights_the_row_a_figure_leads_to(screens, site):  # noqa: F811
    tab = screens["desktop"]
    tab.goto(f"{site}/book/funding.html")
    href = tab.locator('.carebook-fig-wrap[data-kind="row"] a.carebook-fig').first.get_attribute("href")
    tab.goto(f"{site}/book/{href}")
    colour = tab.evaluate(
        "() => getComputedStyle(document.querySelector(':target').closest('tr').querySelector('td')).backgroundColor"
    )
    other = tab.evaluate("() => getComputedStyle(document.querySelector('.carebook-rows tr td')).backgroundColor")
    assert colour != other, f"the target row is not highlighted ({colour})"
    heads = tab.locator(".carebook-rows th").all_inner_texts()
    assert "Row" not in heads and not [h for h in heads if "_" in h]


def test_the_data_page_is_compact_on_a_phone_and_speaks_to_readers(screens, site):  # noqa: F811
    tab = screens["phone"]
    tab.goto(f"{site}/book/data.html")
    height = tab.evaluate("document.documentElement.scrollHeight")
    text = tab.inner_text(".bd-article")
    assert "kebab-case" not in text and "tests refer" not in text
    assert height < 100_000, f"the data page is {height} px tall on a phone"


def test_the_data_pages_field_meanings_read_as_blocks_on_a_phone(screens, site):  # noqa: F811
    """Opened on a 390 px phone, each table's "What each field means" gives each field a block as wide as the
    page (its meaning once ran a word a line in a column a fifth of the screen wide) and scrolls nowhere."""
    tab = screens["phone"]
    tab.goto(f"{site}/book/data.html")
    found = tab.evaluate(
        """() => { document.querySelectorAll('details.carebook-fields').forEach(d => { d.open = true; });
                   const boxes = [...document.querySelectorAll('.carebook-fields')];
                   const meanings = boxes.flatMap(b => [...b.querySelectorAll('tbody td:nth-child(3)')]);
                   const sideways = boxes.flatMap(b => [b, ...b.querySelectorAll('*')])
                     .filter(el => el.scrollWidth > el.clientWidth + 1 && getComputedStyle(el).overflowX !== 'visible');
                   return {tables: boxes.length, widths: meanings.map(td => td.getBoundingClientRect().width),
                           names: meanings.map(td => td.parentElement.firstElementChild.innerText),
                           sideways: sideways.map(el => el.tagName + '.' + el.className)}; }"""
    )
    assert found["tables"] >= 12 and len(found["widths"]) >= 50, found["tables"]
    assert min(found["widths"]) >= 300, f"a field's meaning is {min(found['widths']):.0f} px wide on a phone"
    assert not found["sideways"], f"field lists that scroll sideways on a phone: {found['sideways'][:3]}"
    assert not [name for name in found["names"] if re.match(r"(Id|Url) ", name)], "half-word field names"


@pytest.mark.parametrize("name", ["book/data", "book/about"])
def test_tables_that_scroll_are_reachable_by_keyboard(screens, site, name):  # noqa: F811
    tab = screens["phone"]
    tab.goto(f"{site}/{name}.html")
    unreachable = tab.evaluate(
        """() => [...document.querySelectorAll('.bd-article *')].filter(el => {
                 const style = getComputedStyle(el);
                 return ['auto', 'scroll'].includes(style.overflowX) && el.scrollWidth > el.clientWidth + 1
                        && el.getClientRects().length && el.tabIndex < 0
                        && !el.querySelector('a, button, input, [tabindex]');
               }).map(el => el.tagName + '.' + el.className)"""
    )
    assert not unreachable, f"{name}: boxes that scroll but cannot be focused: {unreachable[:4]}"


def test_a_tap_on_a_glossary_term_shows_its_meaning_before_following_it(screens, site):  # noqa: F811
    tab = screens["phone"]
    tab.goto(f"{site}/book/legislation.html")
    term = tab.locator("a.carebook-term").first
    term.scroll_into_view_if_needed()
    term.tap()
    tip = tab.locator("#carebook-term-tip")
    tip.wait_for(state="visible", timeout=3000)
    assert tab.url.endswith("/book/legislation.html"), "the first tap left the page"
    assert len(tip.inner_text().split()) >= 3
    term.tap()
    tab.wait_for_url("**/book/glossary.html*", timeout=5000)


# Each drawn legend key and whether some mark outside the legend is drawn in its colour (fill or stroke).
LEGEND_KEYS = """() => [...document.querySelectorAll('.carebook-vis svg.marks')].map(svg => {
  const probe = document.createElement('i');
  document.body.appendChild(probe);
  const colour = c => {
    if (!c || c === 'none' || c === 'transparent') return null;
    probe.style.color = '';
    probe.style.color = c;
    return getComputedStyle(probe).color;
  };
  const drawn = new Set();
  svg.querySelectorAll('.role-mark path, .role-mark rect, .role-mark line').forEach(shape => {
    if (shape.closest('.role-legend')) return;
    [shape.getAttribute('fill'), shape.getAttribute('stroke')].map(colour).forEach(c => c && drawn.add(c));
  });
  const labels = [...svg.querySelectorAll('.role-legend-label text')].map(t => t.textContent);
  const keys = [...svg.querySelectorAll('.role-legend-symbol path')].map((key, i) => ({
    label: labels[i] || '?',
    marked: [key.getAttribute('fill'), key.getAttribute('stroke')].map(colour).some(c => c && drawn.has(c)),
  }));
  probe.remove();
  return {id: svg.closest('.carebook-vis').id, keys};
})"""


@pytest.mark.parametrize("screen", ["desktop", "phone"])
def test_every_legend_key_has_marks_of_its_colour(screens, site, screen):  # noqa: F811
    """A key with no mark of its colour tells of something the chart does not show (issue 26: a grey key)."""
    tab = screens[screen]
    keys = 0
    for chapter in CHAPTERS:
        tab.goto(f"{site}/{chapter.name}.html")
        wait_for_charts(tab)
        for chart in tab.evaluate(LEGEND_KEYS):
            keys += len(chart["keys"])
            unmarked = [key["label"] for key in chart["keys"] if not key["marked"]]
            assert not unmarked, f"{chapter.slug} #{chart['id']} ({screen}): legend keys with no mark: {unmarked}"
    assert keys >= 20, f"only {keys} legend keys found"


# Points of charts whose scales are bound to drag and zoom (vega clips those marks to the plot): each point's box
# against its plot's, and how many points were measured.
CLIPPED_POINTS = """() => {
  const cut = [];
  let points = 0;
  document.querySelectorAll('.carebook-vis svg.marks .role-frame').forEach(frame => {
    const plot = frame.querySelector(':scope > g > path.background');
    if (!plot) return;
    const p = plot.getBoundingClientRect();
    frame.querySelectorAll(':scope > g > g > .mark-symbol[clip-path] > path').forEach(point => {
      points += 1;
      const b = point.getBoundingClientRect();
      if (b.left < p.left - 0.5 || b.right > p.right + 0.5 || b.top < p.top - 0.5 || b.bottom > p.bottom + 0.5)
        cut.push(point.closest('.carebook-vis').id + ': ' + Math.round(b.left - p.left) + ' px from the left, '
                 + Math.round(p.right - b.right) + ' px from the right');
    });
  });
  return {points, cut};
}"""


def test_the_history_timelines_points_at_both_ends_are_drawn_whole(screens, site):  # noqa: F811
    """The 1948 and 2026 dots sit inside the plot, not half cut off by its edge (at 390 px the phone layout is a
    list with no clipping; the print edition draws the same spec as the desktop)."""
    tab = screens["desktop"]
    tab.goto(f"{site}/book/history.html")
    wait_for_charts(tab)
    found = tab.evaluate(CLIPPED_POINTS)
    assert found["points"] >= 50, f"only {found['points']} points measured"
    assert not found["cut"], f"points cut by the plot's edge: {found['cut'][:4]}"


def test_zoom_hints_are_given_only_where_zooming_works(screens, site):  # noqa: F811
    """A phone has no Shift key and its charts are still pictures: no caption or hint there speaks of Shift;
    a desktop's zoomable chart says how to zoom in the line under it."""
    phone, desktop = screens["phone"], screens["desktop"]
    for chapter in CHAPTERS:
        phone.goto(f"{site}/{chapter.name}.html")
        wait_for_charts(phone)
        shown = phone.evaluate(
            "() => [...document.querySelectorAll('figure, figcaption, .carebook-chart')]"
            ".filter(el => el.getClientRects().length).map(el => el.innerText)"
        )
        told = [text for text in shown if re.search(r"\bShift\b", text)]  # not "Shifting the balance of care"
        assert not told, f"{chapter.slug}: a phone is told to hold Shift"
    desktop.goto(f"{site}/book/history.html")
    wait_for_charts(desktop)
    hints = desktop.locator(".carebook-hint")
    assert hints.count() == 2 and all("Shift" in hint for hint in hints.all_inner_texts())
    assert hints.first.is_visible()


def test_the_data_page_titles_tables_by_what_they_hold(screens, site):  # noqa: F811
    tab = screens["desktop"]
    tab.goto(f"{site}/book/data.html")
    headings = tab.locator(".bd-article h2").all_inner_texts()
    downloads = tab.locator('.bd-article a[download][href$=".csv"]').all_inner_texts()
    assert len(headings) >= 12 and not [h for h in headings if ".csv" in h or "_" in h], headings
    assert "Sources" in [h.rstrip("#").strip() for h in headings]
    assert len(downloads) == len(headings) and "Download sources.csv" in downloads, downloads


def test_a_desktop_page_has_one_search_box(screens, site):  # noqa: F811
    """The theme's top bar held nothing but a second search box above the sidebar's own."""
    tab = screens["desktop"]
    tab.goto(f"{site}/book/history.html")
    shown = tab.locator("button.search-button-field").evaluate_all(
        "els => els.filter(el => el.getClientRects().length)"
    )
    assert len(shown) == 1, f"{len(shown)} search boxes on a desktop page"
