"""The live preview: `carebook serve` rebuilds on save, the open page reloads itself, a failed build shows its error
in the page and the last good page stays, and what it serves equals a clean build."""

from __future__ import annotations

import json
import os
import queue
import re
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

import pytest
from conftest import carebook
from test_engine import EPOCH, add_cell, site

pytestmark = pytest.mark.build  # runs carebook builds itself

SENTENCE = "A sentence saved while the preview was open."
WAIT = 180  # seconds: a build of the small book on a busy machine


class Preview:
    """`carebook serve` on a free loopback port, in `book`; its output and its build events, read as they come."""

    def __init__(self, book: Path):
        self.process = subprocess.Popen(
            [sys.executable, "-m", "carebook.cli", "serve", "--port", "0"],
            cwd=book,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            env={**os.environ, **EPOCH},
        )
        self.lines: queue.Queue[str] = queue.Queue()
        self.output: list[str] = []
        threading.Thread(target=self._read, daemon=True).start()
        self.url = self.wait_for(r"serving (http://127\.0\.0\.1:\d+/)").group(1)

    def _read(self) -> None:
        for line in self.process.stdout:
            self.output.append(line)
            self.lines.put(line)

    def wait_for(self, pattern: str) -> re.Match:
        """The first line of output from now on matching `pattern`."""
        deadline = time.monotonic() + WAIT
        while time.monotonic() < deadline:
            try:
                line = self.lines.get(timeout=1)
            except queue.Empty:
                assert self.process.poll() is None, "serve stopped:\n" + "".join(self.output)
                continue
            if found := re.search(pattern, line):
                return found
        raise AssertionError(f"no line matching {pattern!r}:\n" + "".join(self.output))

    def fetch(self, path: str) -> str:
        with urllib.request.urlopen(self.url + path, timeout=30) as response:
            return response.read().decode("utf-8")

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=30)


class Events:
    """The preview's server-sent events, each state (build number and error) put on a queue as it arrives."""

    def __init__(self, url: str):
        self.states: queue.Queue[dict] = queue.Queue()
        self.response = urllib.request.urlopen(url + "__carebook__/events", timeout=WAIT)
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        for raw in self.response:
            line = raw.decode("utf-8").strip()
            if line.startswith("data: "):
                self.states.put(json.loads(line[len("data: ") :]))

    def next_where(self, test) -> dict:
        """The next state for which `test` is true."""
        deadline = time.monotonic() + WAIT
        while time.monotonic() < deadline:
            try:
                state = self.states.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                break
            if test(state):
                return state
        raise AssertionError("no such build event")


def edit_prose(book: Path) -> None:
    chapter = book / "book" / "alpha.md"
    chapter.write_text(chapter.read_text().replace("The total is", f"{SENTENCE} The total is"), encoding="utf-8")


@pytest.fixture
def preview(minibook: Path):
    running = Preview(minibook)
    yield running
    running.stop()


def test_a_saved_edit_is_served_and_signalled_and_a_failure_keeps_the_last_good_page(
    minibook: Path, preview: Preview, tmp_path: Path
):
    events = Events(preview.url)
    first = events.next_where(lambda state: True)
    assert first["error"] == ""
    page = preview.fetch("book/alpha.html")
    assert f'data-build="{first["build"]}"' in page, "the served page carries the reload script"
    assert "__carebook__" not in (minibook / "_build" / "html" / "book" / "alpha.html").read_text(), "not on disk"

    edit_prose(minibook)
    landed = events.next_where(lambda state: state["build"] > first["build"])
    assert landed["error"] == ""
    assert SENTENCE in preview.fetch("book/alpha.html")
    clean = tmp_path / "clean"
    done = carebook("--build-dir", str(clean), "build", cwd=minibook, env=EPOCH)
    assert done.returncode == 0, done.stdout + done.stderr
    served, fresh = site(minibook / "_build"), site(clean)
    assert sorted(served) == sorted(fresh)
    assert [path for path in fresh if served[path] != fresh[path]] == [], "the preview's site equals a clean build"

    line = add_cell(minibook / "book" / "alpha.md", "raise ValueError('saved by mistake')")
    failed = events.next_where(lambda state: state["error"])
    assert failed["error"] == f"book/alpha.md:{line}: chapter 'alpha', code cell 3: ValueError: saved by mistake"
    assert failed["build"] == landed["build"]
    assert SENTENCE in preview.fetch("book/alpha.html"), "the last good page stays"


def test_prose_edits_on_a_built_book_use_the_warm_sphinx_and_equal_a_clean_build(minibook: Path, tmp_path: Path):
    done = carebook("build", cwd=minibook, env=EPOCH)  # the author's site is up to date when the preview starts
    assert done.returncode == 0, done.stdout + done.stderr
    preview = Preview(minibook)
    try:
        edit_prose(minibook)
        assert "Sphinx kept warm" in preview.wait_for(r"^(rebuilt in |build failed).*").group(0)
        chapter = minibook / "book" / "alpha.md"
        second = "A second sentence, saved later in the same session."
        chapter.write_text(chapter.read_text().replace(SENTENCE, f"{SENTENCE} {second}"), encoding="utf-8")
        line = preview.wait_for(r"^(rebuilt in |build failed).*").group(0)
        assert "Sphinx kept warm" in line, line
        page = preview.fetch("book/alpha.html")
        assert SENTENCE in page and second in page
    finally:
        preview.stop()
    clean = tmp_path / "clean"
    done = carebook("--build-dir", str(clean), "build", cwd=minibook, env=EPOCH)
    assert done.returncode == 0, done.stdout + done.stderr
    served, fresh = site(minibook / "_build"), site(clean)
    assert served["book/alpha.html"] == fresh["book/alpha.html"], "the edited page equals a clean build's"
    assert sorted(served) == sorted(fresh)
    assert [path for path in fresh if served[path] != fresh[path]] == [], "the preview's site equals a clean build"


@pytest.mark.browser
def test_the_open_page_reloads_itself_and_shows_a_failed_build(minibook: Path, preview: Preview):
    from playwright.sync_api import sync_playwright
    from test_browser import CHROMIUM_ARGS, chromium

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium(), headless=True, args=CHROMIUM_ARGS)
        page = browser.new_page()
        page.goto(preview.url + "book/alpha.html")
        page.evaluate("window.carebookNotReloaded = true")
        edit_prose(minibook)
        page.wait_for_function(f"document.body.innerText.includes({json.dumps(SENTENCE)})", timeout=WAIT * 1000)
        assert page.evaluate("window.carebookNotReloaded === undefined"), "the page reloaded itself"
        add_cell(minibook / "book" / "alpha.md", "raise ValueError('saved by mistake')")
        banner = page.wait_for_selector("#carebook-build-error", timeout=WAIT * 1000)
        assert "code cell 3: ValueError: saved by mistake" in banner.inner_text()
        assert SENTENCE in page.inner_text("body"), "the last good page stays"
        browser.close()
