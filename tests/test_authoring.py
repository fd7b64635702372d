"""Authors' tools: a new chapter from the template builds at once; the live preview rebuilds on save."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest
from conftest import ROOT, carebook

pytestmark = pytest.mark.build  # runs carebook builds itself


def visible(html: str) -> str:
    """A page's text as a reader sees it: whitespace collapsed, figures' source cards (shown on demand) left out."""
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(html, "html.parser")
    for card in soup.select(".carebook-card"):
        card.decompose()
    return re.sub(r"\s+", " ", soup.get_text(" "))


def real_data_book(tmp_path: Path) -> Path:
    """A book with the real config, data and bibliography, and only a home page."""
    book = tmp_path / "book-root"
    (book / "book").mkdir(parents=True)
    for name in ("_config.yml", "references.bib"):
        shutil.copy(ROOT / name, book / name)
    for name in ("_static", "latex", "data"):
        shutil.copytree(ROOT / name, book / name)
    (book / "_toc.yml").write_text("format: jb-book\nroot: book/index\nchapters: []\n", encoding="utf-8")
    (book / "book" / "index.md").write_text("# A test book\n\nThe home page.\n", encoding="utf-8")
    return book


def test_new_chapter_builds_at_once(tmp_path: Path):
    book = real_data_book(tmp_path)
    done = carebook("new-chapter", "Care at home", cwd=book)
    assert done.returncode == 0, done.stderr
    assert "file: book/care_at_home" in (book / "_toc.yml").read_text()
    built = carebook("build", cwd=book)
    assert built.returncode == 0, built.stdout + built.stderr
    page = (book / "_build" / "html" / "book" / "care_at_home.html").read_text(encoding="utf-8")
    assert "Care at home" in page
    events = sum(1 for _ in (book / "data" / "timeline.csv").open(encoding="utf-8")) - 1
    assert re.search(rf"has\s+{events}\s+events", visible(page)), "the example glued figure"
    assert carebook("new-chapter", "Care at home", cwd=book).returncode == 1  # never overwrites


def fetch(url: str) -> str:
    with urllib.request.urlopen(url, timeout=10) as response:
        return response.read().decode("utf-8")


def test_serve_rebuilds_on_save(minibook: Path):
    server = subprocess.Popen(
        [sys.executable, "-m", "carebook.cli", "serve", "--port", "0"],
        cwd=minibook,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=os.environ.copy(),
    )
    try:
        url = None
        for line in server.stdout:
            found = re.search(r"serving (http://127\.0\.0\.1:\d+/)", line)
            if found:
                url = found.group(1)
                break
        assert url, "serve printed no URL"
        assert "The total is 7" in visible(fetch(url + "book/alpha.html"))
        table = minibook / "data" / "alpha.csv"
        table.write_text(table.read_text().replace(",4,", ",6,"), encoding="utf-8")
        for line in server.stdout:
            if line.startswith(("rebuilt", "build failed")):
                assert line.startswith("rebuilt"), line
                break
        assert "The total is 9" in visible(fetch(url + "book/alpha.html"))
    finally:
        server.terminate()
        server.wait(timeout=30)
