"""The PDF edition (issue 8): what it contains, how it looks, and that a failed build keeps the last PDF.

The checks read the PDF the way a reader gets it: its text layer (pdftotext), its images
(pdfimages), its links (pdftohtml) and a few pages rendered to PNG (pdftoppm), kept under
_build/pdf/pages/ for people to look at.
"""

from __future__ import annotations

import json
import re
import subprocess
from functools import cache
from pathlib import Path

import pytest
import yaml
from conftest import ROOT, carebook, need

from carebook.build.edition import edition
from carebook.build.toc import pages

pytestmark = pytest.mark.pdf

PAGES = ROOT / "_build" / "pdf" / "pages"
CITE = re.compile(r"\{cite:[a-z]+\}`([^`]+)`")
GLUE_FIGURE = re.compile(r"^(`{3,}|:{3,})\{glue:figure\}\s+(\S+)\s*\n(.*?)^\1\s*$", re.M | re.S)
ROLE = re.compile(r"\{[\w:-]+\}`[^`]*`")


def squash(text: str) -> str:
    """Text reduced to its letters and digits, lower case: line breaks, hyphenation, quotes and
    spacing as typeset no longer matter when looking for a phrase."""
    return re.sub(r"[\W_]+", "", text.lower())


def run(*args: str) -> str:
    """Run a poppler tool and return its output."""
    need(args[0])
    done = subprocess.run(args, capture_output=True, text=True, errors="replace")
    assert done.returncode == 0, f"{' '.join(args)}: {done.stderr}"
    return done.stdout


@cache
def pdf_pages(pdf: Path) -> tuple[str, ...]:
    """The text of each page (pdftotext separates pages with form feeds)."""
    return tuple(run("pdftotext", "-layout", str(pdf), "-").split("\f")[:-1])


def pdf_text(pdf: Path) -> str:
    return "\n".join(pdf_pages(pdf))


def source_body(path: Path) -> str:
    """A page's MyST source without its front matter."""
    text = path.read_text(encoding="utf-8")
    if text.startswith("---"):
        text = text.split("\n---", 1)[1]
    return text


def title_of(path: Path) -> str:
    """A page's title: its first level-one heading."""
    found = re.search(r"^# (.+)$", source_body(path), re.M)
    assert found, f"{path} has no # title"
    return re.sub(r"[`*_]", "", found.group(1)).strip()


def book_pages() -> list:
    """The pages the PDF prints: the table of contents without the web-only pages (the list of changes is
    printed as front matter instead)."""
    from carebook.build.stage import WEB_ONLY_PAGES

    return [page for page in pages(ROOT) if page.name not in WEB_ONLY_PAGES]


def figure_directives() -> list[tuple[str, str, str]]:
    """(page, glued name, caption) of every {glue:figure} in the book's sources."""
    found = []
    for page in book_pages():
        for _fence, name, body in GLUE_FIGURE.findall(source_body(page.path)):
            caption = "\n".join(line for line in body.splitlines() if not line.startswith(":")).strip()
            found.append((page.name, name, caption))
    return found


def glued_outputs() -> dict[str, dict[str, str]]:
    """Every glued value in the executed chapters: its name and its data by MIME type."""
    found: dict[str, dict[str, str]] = {}
    for notebook in sorted((ROOT / "_build" / "executed").glob("*.ipynb")):
        for cell in json.loads(notebook.read_text(encoding="utf-8"))["cells"]:
            for output in cell.get("outputs", []):
                record = output.get("metadata", {}).get("scrapbook", {})
                if record.get("name"):
                    prefix = record.get("mime_prefix", "")
                    found[record["name"]] = {key.removeprefix(prefix): v for key, v in output.get("data", {}).items()}
    return found


# --- what is in it -------------------------------------------------------------------------


def test_pdf_exists_with_a_plausible_page_count(built_pdf: Path):
    assert built_pdf.exists() and built_pdf.stat().st_size > 100_000
    count = len(pdf_pages(built_pdf))
    assert 4 * len(book_pages()) <= count <= 600, f"{count} pages for {len(book_pages())} pages of the book"
    info = run("pdfinfo", str(built_pdf))
    assert re.search(r"Page size:\s+595\.\d+ x 841\.\d+ pts \(A4\)", info), "the PDF should be A4"


def test_title_page_names_book_authors_edition_and_commit(built_pdf: Path):
    config = yaml.safe_load((ROOT / "_config.yml").read_text(encoding="utf-8"))
    title_page = squash(pdf_pages(built_pdf)[0])
    this = edition(ROOT)
    assert squash(config["title"]) in title_page
    assert squash(config["author"]) in title_page
    assert squash(f"Edition of {this.date}") in title_page
    assert this.commit in pdf_pages(built_pdf)[0], "the title page should name the commit the PDF was built from"


def test_contents_lists_every_chapter(built_pdf: Path):
    front = pdf_pages(built_pdf)[:10]
    first = next(i for i, text in enumerate(front) if "Contents" in text)
    last = next((i for i, text in enumerate(front) if "List of Figures" in text), len(front))
    contents = " ".join(front[first:last])
    for page in book_pages()[1:]:
        assert squash(title_of(page.path)) in squash(contents), f"{title_of(page.path)!r} missing from the contents"


def test_every_chapter_title_is_in_the_text(built_pdf: Path):
    text = squash(pdf_text(built_pdf))
    for page in book_pages():
        assert squash(title_of(page.path)) in text, f"{page.name}: title {title_of(page.path)!r} not in the PDF"


def test_chapters_start_on_new_pages(built_pdf: Path):
    openings = {}
    for text in pdf_pages(built_pdf):
        lines = [line.strip() for line in text.splitlines() if line.strip()]
        if lines and re.fullmatch(r"Chapter \d+", lines[0]):
            openings[int(lines[0].split()[1])] = squash(" ".join(lines[1:4]))
    for number, page in enumerate(book_pages()[1:], start=1):
        assert number in openings, f"no page opens with Chapter {number} ({title_of(page.path)})"
        assert openings[number].startswith(squash(title_of(page.path))), f"Chapter {number} should be {page.name}"


def test_tables_and_figures_stay_within_the_margins(built_pdf: Path):
    log = (ROOT / "_build" / ".work" / "latex" / "joined-up.log").read_text(encoding="utf-8", errors="replace")
    overfull = [float(width) for width in re.findall(r"^Overfull \\hbox \(([\d.]+)pt too wide\)", log, re.M)]
    assert not [width for width in overfull if width > 5], f"lines sticking into the margin: {sorted(overfull)[-5:]} pt"


def test_every_figure_caption_is_in_the_text(built_pdf: Path):
    text = squash(pdf_text(built_pdf))
    figures = figure_directives()
    assert figures, "the chapters should place figures with {glue:figure}"
    for page, name, caption in figures:
        # roles ({term}, {glue:md}, ...) print as other text: check the words between them
        for fragment in ROLE.split(caption):
            words = squash(re.sub(r"[*_`]", "", re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", fragment)))
            if len(words) >= 8:
                assert words in text, f"{page}: caption of {name} not in the PDF: {fragment.strip()!r}"


def test_bibliography_lists_every_cited_source(built_pdf: Path):
    import csv

    with open(ROOT / "data" / "sources.csv", encoding="utf-8") as handle:
        titles = {row["id"]: row["title"] for row in csv.DictReader(handle)}
    cited = set()
    for page in book_pages():
        for keys in CITE.findall(source_body(page.path)):
            # a key may carry a prefix and a locator: {quoted in}hscc-2018{para. 23}
            cited |= {re.sub(r"\{.*", "", re.sub(r"^\s*\{[^}]*\}", "", key)).strip() for key in keys.split(",")}
    assert cited, "the chapters should cite their sources"
    pages_text = pdf_pages(built_pdf)
    start = max(i for i, page in enumerate(pages_text) if re.search(r"^\s*Bibliography\s*$", page, re.M))
    # An entry may run across a page break: leave out the running head and foot (chapter, title, edition, page).
    foot = re.compile(r"^\s*(Edition of .*|\d+|Chapter \d+\. .*|Joined Up\?)\s*$", re.M)
    bibliography = squash("\n".join(foot.sub("", page) for page in pages_text[start:]))
    for key in sorted(cited):
        assert key in titles, f"{key} is cited but not in data/sources.csv"
        assert squash(titles[key]) in bibliography, f"{key}: {titles[key]!r} not in the Bibliography chapter"


def test_no_unresolved_reference(built_pdf: Path):
    text = pdf_text(built_pdf)
    assert "??" not in text, "a reference LaTeX could not resolve prints as ??"
    assert not re.search(r"\[\?\]|\bcite\.|\\ref\b", text)


def test_pound_sign_en_dash_and_curly_quotes_survive(built_pdf: Path):
    text = pdf_text(built_pdf)
    assert re.search(r"£\d", text), "amounts in pounds should print with £"
    assert re.search(r"\d–\d", text), "ranges such as 2015–16 should print with an en dash"
    assert "“" in text and "”" in text and "’" in text, "quotation marks should print curly"


def test_no_code_html_or_script_in_the_text(built_pdf: Path):
    text = pdf_text(built_pdf)
    for leak in ("Show code cell", "<div", "</", "<script", "vegaEmbed", "import altair", "charts.figure(", "{glue"):
        assert leak not in text, f"{leak!r} leaked into the PDF"
    flat = squash(text)
    for page in book_pages():
        for cell in re.findall(r"```\{code-cell\}[^\n]*\n(.*?)```", source_body(page.path), re.S):
            for line in cell.splitlines():
                code = line.strip()
                words = code.lstrip("[(").startswith(('"', "'"))  # a string alone: chart lettering may show it
                code_like = "(" in code or code.startswith("import")
                if len(code) >= 20 and not code.startswith(("#", ":")) and code_like and not words:
                    assert squash(code) not in flat, f"{page.name}: code printed in the PDF: {code!r}"


def test_pages_are_numbered(built_pdf: Path):
    numbers = []
    for text in pdf_pages(built_pdf):
        lines = [line.strip() for line in text.splitlines() if line.strip()]
        last = re.search(r"(\d+)$", lines[-1]) if lines else None
        numbers.append(int(last.group(1)) if last else None)
    body = [n for n in numbers if n is not None]
    assert len(body) >= len(numbers) * 0.8, "most pages should carry a page number"
    assert body == list(range(body[0], body[0] + len(body))), "page numbers should run on without gaps"


def test_links_inside_the_document(built_pdf: Path):
    need("pdftohtml")
    xml = subprocess.run(
        ["pdftohtml", "-xml", "-i", "-q", "-stdout", str(built_pdf)], capture_output=True, text=True, errors="replace"
    ).stdout
    internal = re.findall(r'<a href="[^"#]*\.html#\d+', xml)
    assert len(internal) > 100, f"only {len(internal)} links inside the PDF (contents, figures, citations, glossary)"
    destinations = run("pdfinfo", "-dests", str(built_pdf))
    assert "cite." in destinations, "citations should link to their bibliography entries"


def test_render_pages_for_people_to_look_at(built_pdf: Path):
    """Title page, contents, the first chapter's opening and a page with a chart, as PNGs."""
    texts = pdf_pages(built_pdf)
    chapter = next(i for i, text in enumerate(texts) if re.search(r"^\s*Chapter 1\s*$", text, re.M)) + 1
    figures = (i + 1 for i, text in enumerate(texts) if i + 1 > chapter and re.search(r"^\s*Figure \d+:", text, re.M))
    chart = next(figures)
    PAGES.mkdir(parents=True, exist_ok=True)
    for stale in PAGES.glob("*.png"):
        stale.unlink()
    for name, number in (("title", 1), ("contents", 2), ("chapter-1", chapter), ("chart", chart)):
        run("pdftoppm", "-png", "-r", "60", "-f", str(number), "-l", str(number), "-singlefile", str(built_pdf),
            str(PAGES / f"{number:03d}-{name}"))  # fmt: skip
        png = PAGES / f"{number:03d}-{name}.png"
        assert png.exists() and png.stat().st_size > 5_000, f"{png} was not rendered"


# --- failures keep the last PDF ------------------------------------------------------------


def pdf_ready(minibook: Path) -> Path:
    """The small book, given the real book's print settings; returns where its PDF goes."""
    need("xelatex")
    need("latexmk")
    book = yaml.safe_load((ROOT / "_config.yml").read_text(encoding="utf-8"))
    config = yaml.safe_load((minibook / "_config.yml").read_text(encoding="utf-8"))
    config["latex"] = book["latex"]
    settings = config.setdefault("sphinx", {}).setdefault("config", {})
    settings.update({k: v for k, v in book["sphinx"]["config"].items() if k.startswith("latex_")})
    (minibook / "_config.yml").write_text(yaml.safe_dump(config), encoding="utf-8")
    return minibook / "_build" / "pdf" / "joined-up.pdf"


def add_to_page(minibook: Path, text: str) -> None:
    page = minibook / "book" / "index.md"
    page.write_text(page.read_text(encoding="utf-8") + text, encoding="utf-8")


def test_failed_builds_keep_the_last_pdf_and_say_why(minibook: Path):
    pdf = pdf_ready(minibook)
    first = carebook("pdf", cwd=minibook)
    assert first.returncode == 0, first.stdout + first.stderr
    good = pdf.read_bytes()
    assert good.startswith(b"%PDF")
    again = carebook("pdf", cwd=minibook)
    assert again.returncode == 0 and "pdf... unchanged" in again.stdout, "an unchanged book is not typeset again"
    page = minibook / "book" / "index.md"
    original = page.read_text(encoding="utf-8")

    # a LaTeX error: the message, the page it came from, and the last PDF kept byte for byte
    page.write_text(original + "\n```{raw} latex\n\\carebookNoSuchCommand\n```\n", encoding="utf-8")
    broken = carebook("pdf", cwd=minibook)
    assert broken.returncode != 0
    assert "LaTeX failed" in broken.stderr and "Undefined control sequence" in broken.stderr, broken.stderr
    assert "book/index" in broken.stderr, "the error should name the page it came from"
    assert "last good build is untouched" in broken.stderr
    assert pdf.read_bytes() == good

    # a reference Sphinx cannot resolve
    page.write_text(original + "\nAs {numref}`fig-nowhere` shows.\n", encoding="utf-8")
    done = carebook("pdf", cwd=minibook)
    assert done.returncode != 0 and "fig-nowhere" in done.stderr, done.stderr
    assert pdf.read_bytes() == good

    # a reference only LaTeX sees, which would print as ??
    page.write_text(original + "\n```{raw} latex\nSee \\ref{nowhere}.\n```\n", encoding="utf-8")
    done = carebook("pdf", cwd=minibook)
    assert done.returncode != 0
    assert "unresolved reference" in done.stderr and "nowhere" in done.stderr, done.stderr
    assert pdf.read_bytes() == good

    # fixed: the PDF is built again
    page.write_text(original, encoding="utf-8")
    assert carebook("pdf", cwd=minibook).returncode == 0
    assert pdf.read_bytes().startswith(b"%PDF")


# --- print for readers (issue 16) ----------------------------------------------------------


def test_no_build_commands_or_footnote_artefacts_in_the_pdf(built_pdf: Path):
    text = pdf_text(built_pdf)
    assert "carebook build" not in text, "a build command is printed in the PDF"
    assert "carebook" not in squash(text).replace("carebookpdf", ""), "the build tool is named in the PDF"
    stray = re.findall(r"Page \d+, \d+", text)
    assert not stray, f"footnote marks printed as text: {stray[:5]}"


def test_contents_list_sections_and_a_list_of_figures(built_pdf: Path):
    front = pdf_pages(built_pdf)[:8]
    contents = squash(" ".join(text for text in front if "Contents" in text))
    assert squash("Two systems, two bodies of law") in contents, "the contents should list sections"
    figures = next((text for text in front if "List of Figures" in text), "")
    assert figures, "the PDF should have a list of figures"
    captions = [caption for _, _, caption in figure_directives()]
    listed = [c for c in captions if squash(ROLE.sub("", c).split(".")[0])[:30] in squash(figures)]
    assert len(listed) >= len(captions) // 2, f"only {len(listed)} of {len(captions)} figures in the list of figures"


def test_data_schema_is_a_compact_appendix(built_pdf: Path):
    pages_ = pdf_pages(built_pdf)
    start = next(i for i, text in enumerate(pages_) if re.search(r"The data behind the book", text) and i > 8)
    end = next(i for i, text in enumerate(pages_) if i > start and re.search(r"^\s*Chapter \d+\s*$", text, re.M))
    assert end - start <= 4, f"the data appendix takes {end - start} pages"


def list_of_figures(pdf: Path) -> list[str]:
    """The entries of the list of figures, one string each (an entry may wrap onto a second line)."""
    pages_ = pdf_pages(pdf)
    start = next(i for i, text in enumerate(pages_[:10]) if "List of Figures" in text)
    lines = []
    for text in pages_[start : start + 4]:
        if text is not pages_[start] and ". . ." not in text:
            break
        lines += text.split("List of Figures")[-1].splitlines()
    entries: list[str] = []
    for line in lines:
        if re.match(r"^\s{0,3}\d+(\.\d+)?\s{2,}\S", line):
            entries.append(line.strip())
        elif entries and line.strip() and not re.match(r"^\s*(Contents|Joined Up\?)", line):
            entries[-1] += " " + line.strip()
    return entries


def test_list_of_figures_gives_every_figure_a_short_caption(built_pdf: Path):
    entries = list_of_figures(built_pdf)
    assert len(entries) == len(figure_directives()), f"{len(entries)} entries for {len(figure_directives())} figures"
    long = [entry for entry in entries if "web edition" in entry or "point at" in entry or len(entry) > 200]
    assert not long, f"the list of figures prints long captions: {long[:3]}"


def test_short_caption_is_the_first_sentence():
    from carebook.sphinxext.latex import short_caption

    assert short_caption("Events by category. A date known only to the month.") == "Events by category"
    assert short_caption("Pressures, as reported. “Cash” means as stated.") == "Pressures, as reported"
    cut = short_caption("word " * 40)
    assert len(cut) <= 111 and cut.endswith("word…")


WEB_EDITION = "https://example.org/joined-up/"


def title_page(pdf: Path) -> str:
    """The first page's text, read afresh (`pdf_pages` caches by path; this PDF is rebuilt in place)."""
    return run("pdftotext", "-layout", "-l", "1", str(pdf), "-")


def test_title_page_names_the_web_edition_only_when_a_base_url_is_set(minibook: Path):
    pdf = pdf_ready(minibook)
    plain = carebook("pdf", cwd=minibook)
    assert plain.returncode == 0, plain.stdout + plain.stderr
    first = title_page(pdf)
    assert "Web edition" not in first and "example.org" not in first, "a web edition is named with no html_baseurl"

    config = yaml.safe_load((minibook / "_config.yml").read_text(encoding="utf-8"))
    config["sphinx"]["config"]["html_baseurl"] = WEB_EDITION
    (minibook / "_config.yml").write_text(yaml.safe_dump(config), encoding="utf-8")
    named = carebook("pdf", cwd=minibook)
    assert named.returncode == 0, named.stdout + named.stderr
    first = " ".join(title_page(pdf).split())
    assert f"Web edition: {WEB_EDITION}" in first, f"the title page does not name the web edition:\n{first}"


def test_the_book_names_its_web_edition_as_configured(built_pdf: Path):
    base = yaml.safe_load((ROOT / "_config.yml").read_text(encoding="utf-8"))["sphinx"]["config"].get("html_baseurl")
    first = " ".join(pdf_pages(built_pdf)[0].split())
    if base:
        assert f"Web edition: {base}" in first
    else:
        assert "Web edition" not in first, "the title page names a web edition that is not configured"
