"""The built book in a real browser: charts drawn and named, nothing fetched from outside, axe-clean, interactive.

Serves `_build/html` on loopback and drives Debian's Chromium through Playwright (never a downloaded
browser). Each page of the table of contents is visited once; its screenshot is saved under
`_build/screenshots/<page>.png` for people to look at.
"""

from __future__ import annotations

import functools
import http.server
import re
import threading
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from conftest import ROOT, need

from carebook.build.toc import pages

pytestmark = [pytest.mark.build, pytest.mark.browser]

CHROMIUM = ("/usr/lib/chromium/chromium", "/usr/bin/chromium")  # the first avoids the wrapper's warning
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
VIEWPORT = {"width": 1280, "height": 900}
DRAW_TIMEOUT_MS = 20_000
PAGES = pages(ROOT)
BAD_IMPACTS = ("serious", "critical")
LOCAL_SCHEMES = ("data", "blob", "about")

# axe rules excused for one element of the third-party theme, each with why it cannot be fixed in our files:
# {rule id: (CSS selector of the element, reason)}. Keep this empty unless a violation is truly the theme's.
THEME_EXCUSES: dict[str, tuple[str, str]] = {}


def chromium() -> str:
    """Debian's Chromium; missing, it skips the test outside CI and fails it in CI (see `need`)."""
    for path in CHROMIUM:
        if Path(path).exists():
            return path
    return need("chromium")


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    """Serves the built book without logging each request to stderr."""

    def log_message(self, format, *args):  # noqa: A002 (the base class names it so)
        pass


@pytest.fixture(scope="module")
def site(built_book: Path):
    """The built HTML served by a thread on a free loopback port; yields its base URL."""
    handler = functools.partial(QuietHandler, directory=str(built_book))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()
    thread.join()


@pytest.fixture(scope="module")
def browser():
    """Headless Chromium from the system, driven by Playwright."""
    executable = chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=executable, headless=True, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@dataclass(repr=False)
class Visit:
    """What one page did in the browser."""

    name: str
    url: str
    requests: list[str] = field(default_factory=list)
    console_errors: list[str] = field(default_factory=list)
    charts: list[dict] = field(default_factory=list)
    names: list[str] = field(default_factory=list)  # each chart's SVG accessible name, as the browser computes it
    violations: list[dict] = field(default_factory=list)
    screenshot: Path | None = None


def wait_for_charts(page) -> None:
    """Wait until every chart is drawn at its final width (carebook.js marks it ready) or has failed and said so."""
    page.wait_for_function(
        """() => [...document.querySelectorAll('.carebook-vis')]
                 .every(el => el.dataset.ready || el.textContent.includes('could not be drawn'))""",
        timeout=DRAW_TIMEOUT_MS,
    )


CHART_FACTS = """() => [...document.querySelectorAll('.carebook-vis')].map(el => {
    const svg = el.querySelector('svg.marks');  // vega's drawing (the menu button has an SVG icon too)
    const script = document.querySelector(`script.carebook-spec[data-for="${el.id}"]`);
    const box = svg ? svg.getBoundingClientRect() : null;
    return {
        id: el.id,
        alt: el.dataset.alt || '',
        description: script ? (JSON.parse(script.textContent).description || '') : '',
        svg: !!svg,
        width: box ? box.width : 0,
        height: box ? box.height : 0,
        text: svg ? '' : el.textContent,
        table: !!el.closest('.carebook-chart').querySelector('details.carebook-data table, a[href$=".csv"]'),
    };
})"""


def serious(violations: list[dict]) -> list[dict]:
    """Serious and critical violations, less the excused theme elements."""
    found = []
    for violation in violations:
        if violation["impact"] not in BAD_IMPACTS:
            continue
        nodes = violation["nodes"]
        if violation["id"] in THEME_EXCUSES:
            selector = THEME_EXCUSES[violation["id"]][0]
            nodes = [n for n in nodes if selector not in " ".join(map(str, n["target"]))]
        if nodes:
            found.append({**violation, "nodes": nodes})
    return found


def describe(violations: list[dict]) -> str:
    """One line per violating element."""
    lines = []
    for v in violations:
        for node in v["nodes"]:
            lines.append(f"{v['id']} ({v['impact']}): {' '.join(map(str, node['target']))}: {node['html'][:160]}")
    return "\n".join(lines)


@pytest.fixture(scope="module")
def visit(site: str, browser, built_book: Path):
    """visit(page name) -> Visit, each page loaded once: requests, console, charts, axe and a screenshot."""
    from axe_playwright_python.sync_playwright import Axe
    from playwright.sync_api import expect

    axe = Axe()
    shots = built_book.parent / "screenshots"
    shots.mkdir(parents=True, exist_ok=True)
    host = urlsplit(site).netloc
    done: dict[str, Visit] = {}

    def load(name: str) -> Visit:
        if name in done:
            return done[name]
        result = Visit(name, f"{site}/{name}.html")
        context = browser.new_context(viewport=VIEWPORT, service_workers="block")

        def guard(route):
            # Anything not on the loopback server is recorded by the listener below and never leaves the machine.
            parts = urlsplit(route.request.url)
            if parts.scheme in LOCAL_SCHEMES or parts.netloc == host:
                route.continue_()
            else:
                route.abort()

        context.route("**/*", guard)
        page = context.new_page()
        page.on("request", lambda request: result.requests.append(request.url))
        page.on("console", lambda msg: msg.type == "error" and result.console_errors.append(msg.text))
        page.on("pageerror", lambda error: result.console_errors.append(f"uncaught: {error}"))
        page.on(
            "response",
            lambda response: (
                response.status >= 400 and result.console_errors.append(f"HTTP {response.status}: {response.url}")
            ),
        )
        page.goto(result.url, wait_until="load")
        wait_for_charts(page)
        page.wait_for_load_state("networkidle")
        result.charts = page.evaluate(CHART_FACTS)
        for chart in result.charts:
            if chart["svg"]:
                svg = page.locator(f"#{chart['id']} svg.marks")
                try:
                    expect(svg).to_have_accessible_name(chart["description"], timeout=2000)
                    result.names.append(chart["description"])
                except AssertionError:
                    result.names.append(svg.get_attribute("aria-label") or "")
            else:
                result.names.append("")
        # axe-core fetches stylesheets itself and resolves the theme's `@import "../basic.css"` against the
        # page, not the sheet (a 404 of its own): the page's own console and requests end here.
        errors, result.console_errors = result.console_errors, []
        result.violations = axe.run(page).response["violations"]
        result.console_errors = errors
        result.screenshot = shots / f"{Path(name).name}.png"
        page.screenshot(path=str(result.screenshot), full_page=True)
        context.close()
        done[name] = result
        return result

    return load


def foreign(page_url: str, requests: list[str]) -> list[str]:
    """The requests a page made to anything but the server it came from."""
    host = urlsplit(page_url).netloc
    return [u for u in requests if urlsplit(u).scheme not in LOCAL_SCHEMES and urlsplit(u).netloc != host]


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.slug)
def test_page_loads_only_from_the_book(visit, page):
    seen = visit(page.name)
    assert seen.requests, "the listener recorded no requests at all"
    outside = foreign(seen.url, seen.requests)
    assert not outside, f"{page.name} requested {len(outside)} URL(s) outside the book:\n" + "\n".join(outside)


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.slug)
def test_page_has_no_console_errors(visit, page):
    errors = visit(page.name).console_errors
    assert not errors, f"{page.name}:\n" + "\n".join(errors)


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.slug)
def test_every_chart_is_drawn_and_named(visit, page):
    seen = visit(page.name)
    for chart, name in zip(seen.charts, seen.names, strict=True):
        where = f"{page.name} #{chart['id']}"
        assert chart["svg"], f"{where} has no SVG: {chart['text']!r}"
        assert chart["width"] > 200 and chart["height"] > 100, f"{where} is drawn too small: {chart}"
        assert chart["description"], f"{where}: the spec has no description (alt text)"
        assert chart["alt"] == chart["description"], f"{where}: data-alt and the spec's description differ"
        assert name == chart["description"], f"{where}: the SVG's accessible name is {name!r}, not its alt text"
        assert chart["table"], f"{where} has neither a data table nor a CSV link beneath it"


def test_chapters_have_charts(visit):
    """Guards the check above against passing vacuously: the book's chapters do draw charts."""
    drawn = sum(len(visit(page.name).charts) for page in PAGES if page.is_notebook)
    assert drawn >= 5, f"only {drawn} charts found across the chapters"


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.slug)
def test_page_has_no_serious_accessibility_violations(visit, page):
    bad = serious(visit(page.name).violations)
    assert not bad, f"axe on {page.name}:\n{describe(bad)}"


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.slug)
def test_page_screenshot_saved(visit, page):
    seen = visit(page.name)
    assert seen.screenshot and seen.screenshot.stat().st_size > 10_000, seen.screenshot


@pytest.fixture
def tab(site: str, browser):
    """A fresh page in its own context (loopback only)."""
    context = browser.new_context(viewport=VIEWPORT)
    context.route("**/*", lambda route: route.continue_() if site in route.request.url else route.abort())
    page = context.new_page()
    yield page
    context.close()


def test_a_chart_shows_a_tooltip_on_hover(tab, site):
    """Hovering marks in the chapters' charts brings up vega-tooltip's element for at least one chart."""
    tried = []
    for page in (p for p in PAGES if p.is_notebook):
        tab.goto(f"{site}/{page.name}.html")
        wait_for_charts(tab)
        marks = tab.locator(".carebook-vis svg .mark-rect path, .carebook-vis svg .mark-symbol path")
        for index in range(min(marks.count(), 12)):
            mark = marks.nth(index)
            mark.scroll_into_view_if_needed()
            mark.hover(force=True)
            tip = tab.locator("#vg-tooltip-element")
            try:
                tip.wait_for(state="visible", timeout=1500)
            except Exception:  # noqa: BLE001 (Playwright's timeout: try the next mark)
                tried.append(page.slug)
                continue
            assert tip.inner_text().strip(), "the tooltip is visible but empty"
            return
    pytest.fail(f"no tooltip appeared on hovering marks in: {sorted(set(tried)) or 'no marks found'}")


def test_filter_box_hides_rows(tab, site):
    """Typing in a table's filter box hides the rows that do not match, and clearing it shows them again."""
    for page in (p for p in PAGES if p.is_notebook):
        tab.goto(f"{site}/{page.name}.html")
        boxes = tab.locator("input.carebook-filter")
        if boxes.count():
            break
    else:
        pytest.fail("no page has a filterable table (input.carebook-filter)")
    box = boxes.first
    rows = box.locator("xpath=ancestor::div[contains(@class,'carebook-filterable')]//tbody/tr")
    texts = [text.lower() for text in rows.all_inner_texts()]
    assert len(texts) >= 2, "the first filterable table needs at least two rows to test"
    query = rows.first.locator("td").first.inner_text().strip()
    box.scroll_into_view_if_needed()

    def shown() -> list[bool]:
        return [row.is_visible() for row in rows.all()]

    box.fill(query)
    assert shown() == [query.lower() in text for text in texts], f"filtering by {query!r} showed the wrong rows"
    box.fill("no row says this: qqqzzz")
    assert not any(shown()), "rows that do not match stayed visible"
    box.fill("")
    assert all(shown()), "clearing the filter did not show every row"


# --- every screen: a phone with touch, the wheel, taps, glossary previews, the self-test (issue 16) -----

PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}
MIN_LETTERING_PX = 10

# Each chart's smallest lettering as drawn: its SVG font-size times the ratio of the SVG's rendered width
# to its own width (a chart drawn wider than its column is scaled down, and its lettering with it).
LETTERING = """() => [...document.querySelectorAll('.carebook-vis svg.marks')].map(svg => {
    const own = +svg.getAttribute('width') || 1;
    const ratio = svg.getBoundingClientRect().width / own;
    const sizes = [...svg.querySelectorAll('text')].filter(t => t.textContent.trim())
        .map(t => ({text: t.textContent.slice(0, 40), px: parseFloat(getComputedStyle(t).fontSize) * ratio}));
    sizes.sort((a, b) => a.px - b.px);
    const cut = [...svg.querySelectorAll('text')].map(t => t.textContent.trim()).filter(s => s.endsWith('…'));
    return {id: svg.closest('.carebook-vis').id, smallest: sizes[0] || null, cut};
})"""


# Charts with a phone layout of their own (charts.figure's `narrow`): which layout was drawn, and any two
# pieces of lettering whose boxes overlap, or lettering that runs out of the drawing (clipped).
LAYOUTS = """() => [...document.querySelectorAll('.carebook-vis')]
  .filter(el => document.querySelector(`script.carebook-spec-narrow[data-for="${el.id}"]`))
  .map(el => {
    const svg = el.querySelector('svg.marks');
    const frame = svg.getBoundingClientRect();
    // lettering vega hides (an axis label that would crowd its neighbour) is not seen: it is skipped
    const boxes = [...svg.querySelectorAll('text')]
        .filter(t => t.textContent.trim() && !t.closest('[opacity="0"]') && getComputedStyle(t).opacity !== '0')
        .map(t => ({text: t.textContent.slice(0, 40), box: t.getBoundingClientRect()}));
    const overlaps = [], outside = [];
    boxes.forEach((a, i) => {
        const b = a.box;
        const out = b.left < frame.left - 1 || b.right > frame.right + 1;
        if (out || b.top < frame.top - 1 || b.bottom > frame.bottom + 1) outside.push(a.text);
        boxes.slice(i + 1).forEach(c => {
            const d = c.box;
            const w = Math.min(b.right, d.right) - Math.max(b.left, d.left);
            const h = Math.min(b.bottom, d.bottom) - Math.max(b.top, d.top);
            if (w > 1 && h > 1) overlaps.push(a.text + ' / ' + c.text);
        });
    });
    return {id: el.id, layout: el.dataset.layout, texts: boxes.length, overlaps, outside};
  })"""


@dataclass(repr=False)
class PhoneVisit:
    """What one page looked like on a 390 px phone with touch."""

    scroll_width: int
    lettering: list[dict]
    screenshot: Path
    layouts: list[dict] = field(default_factory=list)


@pytest.fixture(scope="module")
def phone(site: str, browser, built_book: Path):
    """phone(page name) -> PhoneVisit, each page loaded once at 390 x 844 with touch; screenshot saved."""
    shots = built_book.parent / "screenshots"
    shots.mkdir(parents=True, exist_ok=True)
    done: dict[str, PhoneVisit] = {}
    context = browser.new_context(**PHONE, service_workers="block")
    context.route("**/*", lambda route: route.continue_() if site in route.request.url else route.abort())

    def load(name: str) -> PhoneVisit:
        if name not in done:
            page = context.new_page()
            page.goto(f"{site}/{name}.html", wait_until="load")
            wait_for_charts(page)
            shot = shots / f"phone-{Path(name).name}.png"
            page.screenshot(path=str(shot), full_page=True)
            done[name] = PhoneVisit(
                page.evaluate("document.documentElement.scrollWidth"),
                page.evaluate(LETTERING),
                shot,
                page.evaluate(LAYOUTS),
            )
            page.close()
        return done[name]

    yield load
    context.close()


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.slug)
def test_no_page_is_wider_than_a_phone(phone, page):
    seen = phone(page.name)
    assert seen.scroll_width <= PHONE["viewport"]["width"], f"{page.name} is {seen.scroll_width} px wide on a phone"
    assert seen.screenshot.stat().st_size > 10_000


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.slug)
def test_chart_lettering_is_legible_on_a_phone(phone, page):
    for chart in phone(page.name).lettering:
        smallest = chart["smallest"]
        assert smallest, f"{page.name} #{chart['id']} has no lettering"
        assert smallest["px"] >= MIN_LETTERING_PX, (
            f"{page.name} #{chart['id']}: {smallest['text']!r} is drawn {smallest['px']:.1f} px high on a phone"
        )


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.slug)
def test_no_chart_lettering_is_cut_short_on_a_phone(phone, page):
    """Labels and notes wrap on a phone rather than end in "…" (a cut caveat or name misleads)."""
    for chart in phone(page.name).lettering:
        assert not chart["cut"], f"{page.name} #{chart['id']}: cut short on a phone: {chart['cut'][:3]}"


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.slug)
def test_phone_layouts_are_drawn_on_a_phone_without_overlaps(phone, page):
    for chart in phone(page.name).layouts:
        where = f"{page.name} #{chart['id']}"
        assert chart["layout"] == "narrow", f"{where}: the wide layout was drawn on a phone"
        assert not chart["overlaps"], f"{where}: lettering overlaps: {chart['overlaps'][:5]}"
        assert not chart["outside"], f"{where}: lettering runs out of the chart: {chart['outside'][:5]}"


def test_timelines_have_phone_layouts_and_desktops_keep_the_wide_one(phone, visit, site, browser):
    history = phone("book/history").layouts
    assert len(history) == 2 and all(c["texts"] >= 10 for c in history), f"history on a phone: {history}"
    context = browser.new_context(viewport=VIEWPORT)
    page = context.new_page()
    try:
        page.goto(f"{site}/book/history.html")
        wait_for_charts(page)
        drawn = page.eval_on_selector_all(".carebook-vis", "els => els.map(el => el.dataset.layout)")
        assert drawn == ["wide", "wide"], f"history on a desktop drew {drawn}"
    finally:
        context.close()


def test_phone_check_covers_charts(phone):
    """Guards the check above against passing vacuously."""
    assert sum(len(phone(page.name).lettering) for page in PAGES if page.is_notebook) >= 5


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.slug)
def test_no_code_toggles_and_no_link_inside_a_link(tab, site, page):
    tab.goto(f"{site}/{page.name}.html")
    assert "Show code cell source" not in tab.inner_text("body"), f"{page.name} shows code toggles"
    assert tab.locator("a a").count() == 0, f"{page.name} has a link inside a link"
    assert tab.locator("div.cell_input, .cell .highlight-ipython3").count() == 0, f"{page.name} shows code cells"


def test_each_chapter_links_how_it_was_computed(tab, site):
    for page in (p for p in PAGES if p.is_notebook):
        tab.goto(f"{site}/{page.name}.html")
        links = tab.get_by_role("link", name="How this page was computed")
        assert links.count() == 1, f"{page.name}: {links.count()} links to how the page was computed"
        heading = tab.locator("h1").first.inner_text().rstrip("#").strip()
        links.first.click()
        tab.wait_for_load_state()
        shown = tab.inner_text("body")  # as the browser decoded it: the chapter's en dashes, not "â€“"
        assert "```{code-cell}" in shown, f"{page.name}: the link does not reach its code"
        assert heading in shown and "â€" not in shown, f"{page.name}: its source is not read as UTF-8"
        download = tab.locator("a[download]", has_text="Download")
        assert tab.request.get(download.evaluate("a => a.href")).body().decode("utf-8") in shown.replace("\r", "")


def test_the_wheel_over_every_chart_scrolls_the_page(tab, site):
    wheeled = 0
    for page in (p for p in PAGES if p.is_notebook):
        tab.goto(f"{site}/{page.name}.html")
        wait_for_charts(tab)
        for chart in tab.locator(".carebook-vis svg.marks").all():
            chart.scroll_into_view_if_needed()
            tab.evaluate("window.scrollBy(0, -100)")  # the chart below the top, the page free to scroll down
            box = chart.bounding_box()
            before = tab.evaluate("window.scrollY")
            tab.mouse.move(box["x"] + box["width"] / 2, box["y"] + min(box["height"] / 2, 200))
            tab.mouse.wheel(0, 240)
            tab.wait_for_function(f"window.scrollY !== {before}", timeout=2000)
            wheeled += 1
    assert wheeled >= 5, f"only {wheeled} charts tried"


def test_a_zoomable_chart_has_a_reset_button(tab, site):
    for page in (p for p in PAGES if p.is_notebook):
        tab.goto(f"{site}/{page.name}.html")
        wait_for_charts(tab)
        if tab.locator("button.carebook-reset").count():
            button = tab.get_by_role("button", name="Reset the view").first
            button.click()
            tab.wait_for_function("[...document.querySelectorAll('.carebook-vis svg.marks')].length > 0")
            return
    pytest.fail("no chart that can be dragged and zoomed has a reset button")


def test_a_tap_on_a_chart_mark_shows_its_details(site, browser):
    context = browser.new_context(**PHONE)
    context.route("**/*", lambda route: route.continue_() if site in route.request.url else route.abort())
    page = context.new_page()
    try:
        for chapter in (p for p in PAGES if p.is_notebook):
            page.goto(f"{site}/{chapter.name}.html")
            wait_for_charts(page)
            marks = page.locator(".carebook-vis svg .mark-rect path, .carebook-vis svg .mark-symbol path")
            if not marks.count():
                continue
            mark = marks.first
            mark.scroll_into_view_if_needed()
            mark.tap(force=True)
            tip = page.locator("#vg-tooltip-element")
            tip.wait_for(state="visible", timeout=3000)
            assert tip.inner_text().strip(), "the details box is empty"
            return
        pytest.fail("no chart marks found to tap")
    finally:
        context.close()


def test_glossary_terms_preview_their_definition_on_focus(tab, site):
    tab.goto(f"{site}/book/legislation.html")
    term = tab.locator("a.carebook-term").first
    definition = term.get_attribute("data-definition")
    assert definition and len(definition.split()) >= 3, "a glossary link carries no definition"
    term.focus()
    tip = tab.locator(f"[id='{term.get_attribute('aria-describedby')}']")  # other links' cards are tooltips too
    expect_visible(tip)
    assert tip.get_attribute("role") == "tooltip"
    assert tip.inner_text().strip() == definition
    tab.keyboard.press("Tab")
    assert tip.is_hidden(), "the preview stays after focus moves on"


def expect_visible(locator) -> None:
    from playwright.sync_api import expect

    expect(locator).to_be_visible(timeout=2000)


def test_the_self_test_gives_feedback_from_the_keyboard(tab, site):
    for page in (p for p in PAGES[1:] if p.is_notebook):  # every chapter; the home page has none
        tab.goto(f"{site}/{page.name}.html")
        questions = tab.locator("section#check-your-understanding details")
        assert questions.count() >= 2, f"{page.name}: no self-test questions"
    box = tab.get_by_label("Your answer").first
    box.focus()
    tab.keyboard.type("My own answer")
    tab.keyboard.press("Tab")  # to the model answer's summary
    tab.keyboard.press("Enter")
    details = tab.locator("section#check-your-understanding details").first
    assert details.evaluate("d => d.open"), "Enter on the summary did not open the model answer"
    feedback = tab.locator(".carebook-quiz-feedback").first
    expect_visible(feedback)
    assert "Compare your answer" in feedback.inner_text()
    assert details.locator(".sd-summary-content").inner_text().strip(), "the model answer is empty"


PDF_LINK = "Download the PDF edition of this book"


def test_every_page_links_the_pdf_once_it_is_built(built_pdf: Path, site: str, browser):
    context = browser.new_context(viewport=VIEWPORT)
    context.route("**/*", lambda route: route.continue_() if site in route.request.url else route.abort())
    page = context.new_page()
    try:
        for chapter in PAGES:
            page.goto(f"{site}/{chapter.name}.html")
            links = page.get_by_role("link", name=PDF_LINK)
            assert links.count() == 1, f"{chapter.name}: {links.count()} links to the PDF edition"
            assert links.first.is_visible(), f"{chapter.name}: the link to the PDF is hidden"
        response = page.request.get(links.first.evaluate("a => a.href"))
        assert response.ok and response.body().startswith(b"%PDF"), "the PDF link does not reach the PDF"
        assert response.body() == built_pdf.read_bytes(), "the site links a PDF other than the one just built"
        # A site whose editions script names no PDF (as before `carebook pdf` has run) shows no link.
        unbuilt = ROOT / "_static" / "carebook-editions.js"
        assert "carebookEditions = {};" in unbuilt.read_text(encoding="utf-8")
        page.route(re.compile(r"/_static/carebook-editions\.js"), lambda route: route.fulfill(path=str(unbuilt)))
        page.goto(f"{site}/{PAGES[1].name}.html")
        assert page.get_by_role("link", name=PDF_LINK).count() == 0, "a PDF link shows with no PDF built"
    finally:
        context.close()
