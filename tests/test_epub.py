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
    charts = [name for name in names if name.startswith("_images/") and name.endswith(".svg")]
    assert charts, "the charts should be in the EPUB as SVG images"
    images = [tag for text in pages.values() for tag in re.findall(r"<img [^>]*>", text)]
    assert images, "the chapters should show their charts as images"
    unlabelled = [tag for tag in images if re.search(r'alt="[^"]*_images/', tag) or 'alt=""' in tag]
    assert not unlabelled, f"images whose alt text is a file name, not what they show: {unlabelled[:2]}"
    assert not [name for name in names if "_static/data/" in name or "_static/code/" in name or name.endswith(".sty")]
    assert not [name for name, text in pages.items() if "<script" in text]


def test_epub_is_linked_from_the_published_site(built_epub: Path):
    script = (ROOT / "_build" / "html" / "_static" / "carebook-editions.js").read_text(encoding="utf-8")
    assert '"epub": {"file": "joined-up.epub", "link": "Download the EPUB edition' in script
    assert (ROOT / "_build" / "html" / "joined-up.epub").read_bytes() == built_epub.read_bytes()


def test_epub_check_tool_is_installed_by_system_deps():
    assert re.search(r'^epub_packages="[^"]*\bepubcheck\b', (ROOT / "scripts" / "system-deps").read_text(), re.M)


# --- issue 26: contents an e-reader can navigate, charts legible at a reader's width ----------------------

READER_PX = 360
MIN_READER_PX = 9


def test_navigation_lists_every_page_and_its_sections(built_epub: Path):
    from carebook.build.toc import pages

    with zipfile.ZipFile(built_epub) as book:
        nav = book.read("nav.xhtml").decode()
    assert "<h1>Contents</h1>" in nav and "<title>Contents</title>" in nav, "the contents are not titled Contents"
    links = re.findall(r'<a href="([^"]+)">', nav)
    for page in pages(ROOT):
        own = [link for link in links if link.split("#")[0] == f"{page.name}.xhtml"]
        assert own, f"the e-book's contents do not reach {page.name}"
        sections = re.search(r"^## ", page.path.read_text(encoding="utf-8"), re.M)
        if sections and page.name not in ("book/index", "book/glossary", "book/references"):
            assert any("#" in link for link in own), f"the contents list no section of {page.name}"


def test_charts_are_vector_and_legible_at_a_readers_width(built_epub: Path):
    """Each chart is SVG (its lettering is text); shown at most READER_PX wide, its smallest lettering is at
    least MIN_READER_PX (its font size times the ratio of the reader's width to the drawing's)."""
    with zipfile.ZipFile(built_epub) as book:
        svgs = {name: book.read(name).decode() for name in book.namelist() if name.endswith(".svg")}
        pages = [book.read(name).decode() for name in book.namelist() if name.startswith("book/")]
    shown = {src.rsplit("/", 1)[-1] for text in pages for src in re.findall(r'<img [^>]*src="([^"]+\.svg)"', text)}
    assert len(shown) >= 10, f"only {len(shown)} charts are drawn as SVG in the chapters"
    for name, svg in svgs.items():
        if name.rsplit("/", 1)[-1] not in shown:
            continue
        width = float(re.search(r'<svg\b[^>]*\bwidth="([0-9.]+)"', svg).group(1))
        sizes = [float(size) for size in re.findall(r'font-size="([0-9.]+)px"', svg)]
        assert sizes and "<text" in svg, f"{name} has no text lettering"
        drawn = min(sizes) * min(1.0, READER_PX / width)
        assert drawn >= MIN_READER_PX - 0.05, f"{name}: lettering {drawn:.1f} px on a {READER_PX} px reader"


def test_the_e_books_catalogue_entry_describes_it(built_epub: Path):
    """An e-reader's library shows the package's description and contributor: never Sphinx's "unknown"."""
    import yaml

    with zipfile.ZipFile(built_epub) as book:
        package = book.read("content.opf").decode()
    assert ">unknown<" not in package
    abstract = yaml.safe_load((ROOT / "CITATION.cff").read_text(encoding="utf-8"))["abstract"]
    assert f"<dc:description>{abstract}</dc:description>" in package
