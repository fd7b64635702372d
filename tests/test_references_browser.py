"""Citation cards in a real browser (Debian's Chromium through Playwright): hover and keyboard focus on a wide
screen, a tap on a phone; the card gives the full reference and stays on screen."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import ROOT
from test_browser import browser, site  # noqa: F401 (pytest fixtures)

pytestmark = [pytest.mark.build, pytest.mark.browser]

PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}
SHOTS = ROOT / "_build" / "screenshots"
CITATION = ".bibtex-citation a.carebook-cite"


def shot(tab, name: str) -> Path:
    SHOTS.mkdir(parents=True, exist_ok=True)
    path = SHOTS / name
    tab.screenshot(path=str(path))
    return path


def test_citation_card_on_hover_and_focus_at_1366px(browser, site):  # noqa: F811
    context = browser.new_context(viewport={"width": 1366, "height": 900})
    tab = context.new_page()
    tab.goto(f"{site}/book/systems.html")
    link = tab.locator(CITATION).nth(3)
    link.scroll_into_view_if_needed()
    card = tab.locator(f"#{link.get_attribute('aria-describedby')}")
    assert not card.is_visible()
    link.hover()
    card.wait_for(state="visible", timeout=3000)
    text = card.inner_text()
    assert "(" in text and "URL:" in text, text
    box = card.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= 1366, box
    shot(tab, "citation-card-1366.png")
    tab.mouse.move(0, 0)
    other = tab.locator(CITATION).nth(5)
    other.focus()
    tab.locator(f"#{other.get_attribute('aria-describedby')}").wait_for(state="visible", timeout=3000)
    tab.keyboard.press("Escape")
    assert not tab.locator(f"#{other.get_attribute('aria-describedby')}").is_visible()
    context.close()


def test_citation_card_opens_on_tap_at_390px(browser, site):  # noqa: F811
    context = browser.new_context(**PHONE)
    tab = context.new_page()
    tab.goto(f"{site}/book/systems.html")
    link = tab.locator(CITATION).nth(3)
    link.scroll_into_view_if_needed()
    card = tab.locator(f"#{link.get_attribute('aria-describedby')}")
    link.tap()
    card.wait_for(state="visible", timeout=3000)
    assert tab.url.endswith("/book/systems.html"), "the first tap left the page"
    box = card.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= 390 + 1, f"the card does not fit the phone: {box}"
    assert box["y"] >= 0 and box["y"] + box["height"] <= 844 + 1, f"the card is off screen: {box}"
    shot(tab, "citation-card-390.png")
    tab.touchscreen.tap(4, 420)
    assert not card.is_visible()
    context.close()
