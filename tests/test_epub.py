"""The EPUB edition: valid by epubcheck, charts as images, the glossary and bibliography, the edition named."""

from __future__ import annotations

import re
import subprocess
import zipfile
from pathlib import Path

import pytest
from conftest import ROOT, carebook, need

from carebook.build.edition import edition

pytestmark = [pytest.mark.build, pytest.mark.epub]


@pytest.fixture(scope="module")
def built_epub(built_book: Path) -> Path:
    """The EPUB edition, built from the same executed chapters."""
    done = carebook("epub")
    assert done.returncode == 0, done.stdout + done.stderr
    return ROOT / "_build" / "epub" / "joined-up.epub"


def test_epub_passes_epubcheck(built_epub: Path):
    need("java")
    jar = Path(need("epubcheck")).resolve()  # Debian installs the jar itself as /usr/bin/epubcheck
    done = subprocess.run(["java", "-jar", str(jar), str(built_epub)], capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "0 fatals / 0 errors / 0 warnings" in done.stdout + done.stderr


def test_epub_holds_the_book_and_not_the_web_machinery(built_epub: Path):
    with zipfile.ZipFile(built_epub) as book:
        names = book.namelist()
        title = book.read("title.xhtml").decode()
        pages = {name: book.read(name).decode() for name in names if name.endswith(".xhtml")}
    assert f"Edition of {edition(ROOT).label}." in title
    assert "book/glossary.xhtml" in names and "book/references.xhtml" in names
    charts = [name for name in names if name.startswith("_images/") and name.endswith(".png")]
    assert charts, "the charts should be in the EPUB as images"
    images = [tag for text in pages.values() for tag in re.findall(r"<img [^>]*>", text)]
    assert images, "the chapters should show their charts as images"
    unlabelled = [tag for tag in images if re.search(r'alt="[^"]*_images/', tag) or 'alt=""' in tag]
    assert not unlabelled, f"images whose alt text is a file name, not what they show: {unlabelled[:2]}"
    assert not [name for name in names if "_static/data/" in name or "_static/code/" in name or name.endswith(".sty")]
    assert not [name for name, text in pages.items() if "<script" in text]


def test_epub_is_linked_from_the_published_site(built_epub: Path):
    script = (ROOT / "_build" / "html" / "_static" / "carebook-editions.js").read_text(encoding="utf-8")
    assert 'window.carebookEpub = "joined-up.epub";' in script
    assert (ROOT / "_build" / "html" / "joined-up.epub").read_bytes() == built_epub.read_bytes()


def test_epub_check_tool_is_installed_by_system_deps():
    assert re.search(r'^epub_packages="[^"]*\bepubcheck\b', (ROOT / "scripts" / "system-deps").read_text(), re.M)
