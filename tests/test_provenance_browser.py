"""Provenance cards in a real browser (Debian's Chromium through Playwright): keyboard focus, a tap on a
phone, and a key-number card on the home page whose figure stays reachable."""

from __future__ import annotations

import pytest
from test_browser import browser, site  # noqa: F401 (pytest fixtures)

pytestmark = [pytest.mark.build, pytest.mark.browser]

PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}
MAX_TABS = 400


def loopback_only(context, base: str) -> None:
    """Nothing but the book's own server is reachable."""
    context.route("**/*", lambda route: route.continue_() if route.request.url.startswith(base) else route.abort())


def test_card_appears_on_keyboard_focus(browser, site):  # noqa: F811
    context = browser.new_context(viewport={"width": 1366, "height": 900})
    loopback_only(context, site)
    tab = context.new_page()
    tab.goto(f"{site}/book/funding.html")
    for _ in range(MAX_TABS):
        tab.keyboard.press("Tab")
        if tab.evaluate("document.activeElement.matches('.carebook-fig:not(.carebook-cite)')"):
            break
    else:
        pytest.fail(f"no figure link reached in {MAX_TABS} presses of Tab")
    card_id = tab.evaluate("document.activeElement.getAttribute('aria-describedby')")
    card = tab.locator(f"#{card_id}")
    assert card.get_attribute("role") == "tooltip"
    assert card.is_visible(), "the focused figure's card is not shown"
    assert "Source:" in card.inner_text()
    box, view = card.bounding_box(), tab.viewport_size
    assert box["x"] >= 0 and box["x"] + box["width"] <= view["width"], f"the card leaves the window: {box}"
    tab.keyboard.press("Escape")
    assert not card.is_visible(), "Escape does not dismiss the card"
    context.close()


def test_card_opens_on_tap_at_390px_and_a_second_tap_follows_the_link(browser, site):  # noqa: F811
    context = browser.new_context(**PHONE)
    loopback_only(context, site)
    tab = context.new_page()
    tab.goto(f"{site}/book/funding.html")
    figure = tab.locator('.carebook-fig-wrap[data-kind="computed"] a.carebook-fig').first
    figure.scroll_into_view_if_needed()
    href = figure.get_attribute("href")
    card = tab.locator(f"#{figure.get_attribute('aria-describedby')}")
    figure.tap()
    card.wait_for(state="visible", timeout=3000)
    assert tab.url.endswith("/book/funding.html"), "the first tap left the page"
    assert "Computed from" in card.inner_text() or "From this row" in card.inner_text()
    box = card.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= 390 + 1, f"the card does not fit the phone's screen: {box}"
    tab.touchscreen.tap(4, 420)  # a tap elsewhere (the page's margin) closes it
    assert not card.is_visible()
    figure.tap()
    card.wait_for(state="visible", timeout=3000)
    figure.tap()
    tab.wait_for_url(f"**/book/{href}", timeout=5000)
    context.close()


def test_key_number_figure_is_reachable_inside_its_card_link(browser, site):  # noqa: F811
    """The home page's key-number cards link to chapters; the figure in each sits above that link, so
    hovering or tapping the figure reaches the figure, not the card's link."""
    context = browser.new_context(viewport={"width": 1366, "height": 900})
    loopback_only(context, site)
    tab = context.new_page()
    tab.goto(f"{site}/book/index.html")
    figures = tab.locator(".sd-card a.carebook-fig")
    assert figures.count() >= 3, "the key-number cards hold no figure links"
    for index in range(figures.count()):
        figure = figures.nth(index)
        figure.scroll_into_view_if_needed()
        # the middle of the figure's first line (a figure can wrap onto two lines)
        hit = figure.evaluate(
            """el => { const r = el.getClientRects()[0];
                       const a = document.elementFromPoint(r.x + r.width / 2, r.y + r.height / 2).closest('a');
                       return a ? a.className : ''; }"""
        )
        assert "carebook-fig" in hit, f"figure {index} is covered by {hit!r}"
    context.close()
