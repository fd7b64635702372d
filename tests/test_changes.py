"""'What changed in this edition': a book in a temporary git repository with two edition tags."""

from __future__ import annotations

import html
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml
from sphinxrun import sphinx_build

from carebook.build import build_html, changes, check

ROOT = Path(__file__).resolve().parents[1]


def git(root: Path, *args: str) -> str:
    """Run git in `root` (a throwaway identity, never the user's configuration)."""
    env = {
        "GIT_AUTHOR_NAME": "Test",
        "GIT_AUTHOR_EMAIL": "test@example.org",
        "GIT_COMMITTER_NAME": "Test",
        "GIT_COMMITTER_EMAIL": "test@example.org",
        "GIT_CONFIG_GLOBAL": "/dev/null",
        "PATH": "/usr/bin:/bin",
    }
    return subprocess.run(["git", "-C", str(root), *args], check=True, capture_output=True, text=True, env=env).stdout


def commit(root: Path, message: str) -> None:
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", message)


def page_text(root: Path, build: str = "_build") -> str:
    """The changes page's article as a reader reads it: tags stripped, entities decoded."""
    page = (root / build / "html" / "book" / "changes.html").read_text(encoding="utf-8")
    article = page.split('<article class="bd-article">', 1)[1].split("</article>", 1)[0]
    article = re.sub(r"<script.*?</script>|<a class=\"headerlink\".*?</a>", " ", article, flags=re.S)
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", article)).split())


def add_line(path: Path, line: str) -> None:
    path.write_text(path.read_text(encoding="utf-8") + line + "\n", encoding="utf-8")


def test_changes_page_compares_with_the_latest_earlier_edition(minibook: Path) -> None:
    root, build = minibook, minibook / "_build"
    shutil.copy(ROOT / "book" / "changes.md", root / "book" / "changes.md")
    toc = yaml.safe_load((root / "_toc.yml").read_text())
    toc["chapters"].append({"file": "book/changes"})
    (root / "_toc.yml").write_text(yaml.safe_dump(toc, sort_keys=False))
    (root / ".gitignore").write_text("_build/\n")
    git(root, "init", "-q", "-b", "main")
    commit(root, "first")

    build_html(root, build)
    assert "This is the first edition to list its changes" in page_text(root)

    check.lock(root, build, workers=2)
    commit(root, "first edition's output record")
    git(root, "tag", "edition-1")

    # The second edition: a figure's row changes, a source and a page are added.
    csv = root / "data" / "alpha.csv"
    csv.write_text(csv.read_text().replace("a-2,2016-04-01,4,", "a-2,2016-04-01,5,"))
    add_line(root / "data" / "sources.csv", "src-two,A second report on joining up,Another Author,2019-05-01")
    add_line(root / "references.bib", "@misc{src-two,\n  author = {{Another Author}},\n  title = {A second report},\n}")
    (root / "book" / "further.md").write_text("# Further reading\n\nMore to read.\n")
    toc["chapters"].insert(-1, {"file": "book/further"})
    (root / "_toc.yml").write_text(yaml.safe_dump(toc, sort_keys=False))
    check.lock(root, build, workers=2)
    commit(root, "second edition")
    git(root, "tag", "edition-2")  # HEAD is edition-2: it is compared with edition-1

    build_html(root, build)
    text = page_text(root)
    assert "set against the previous edition" in text
    row = re.search(r"In Chapter alpha : (.*?): was 7 , now 8 \((.*?)\)\. Sources added", text)
    assert row, text  # the alpha total: was 7, now 8
    assert "Test Author" in row.group(2) and "para" in row.group(2)  # its source as cited, with the locator
    assert "Sources added Another Author (2019), A second report on joining up" in text
    assert "Sources removed No source was removed." in text
    assert "Chapters and pages added Further reading" in text
    # (The minibook's rows have no describing column, so the rows are told by their ids here.)
    for machinery in ("alpha:", "src-two", "alpha.csv", "edition-1"):
        assert machinery not in text  # readers never see ids, keys or file names

    staged = yaml.safe_load((build / "stage" / "_config.yml").read_text())
    front = staged["sphinx"]["config"]["latex_elements"]["tableofcontents"]
    assert front.index(r"\chapter*{What changed in this edition}") < front.index(r"\sphinxtableofcontents")
    assert "was 7, now 8" in front and "Further reading" in front
    print_toc = (build / "stage" / "_toc-print.yml").read_text()
    assert "book/changes" not in print_toc and "book/further" in print_toc

    # A commit after edition-2 is compared with edition-2, the latest: nothing it states has changed.
    (root / "book" / "further.md").write_text("# Further reading\n\nMore to read, and more.\n")
    commit(root, "after the second edition")
    later = changes.compare(root, build / "executed")
    assert later.earlier and later.earlier.tag == "edition-2"
    assert not later.figures and not later.sources_added and not later.pages_added

    # A variant (chapters run with -p values) says it is one, and is compared with no edition.
    build_html(root, build / "variants" / "alpha-scale-2", {"alpha": {"scale": 2}})
    text = page_text(root, "_build/variants/alpha-scale-2")
    assert "This is a variant of the book, not an edition" in text
    assert "(Chapter alpha with scale = 2)" in text
    assert "previous edition" not in text and "Figures that changed" not in text


def test_the_pdf_says_what_changed_in_its_front_matter_only(built_pdf: Path) -> None:
    text = subprocess.run(["pdftotext", "-layout", str(built_pdf), "-"], capture_output=True, text=True).stdout
    pages = text.split("\f")
    contents = next(i for i, page in enumerate(pages) if "Contents" in page)
    front = "\n".join(pages[:contents])
    assert "What changed in this edition" in front
    assert "first edition" in front or "previous edition" in front
    assert text.count("What changed in this edition") == 1  # the web page itself is not printed again


def test_an_unreadable_earlier_edition_fails_with_one_line_naming_the_tag(tmp_path: Path) -> None:
    from carebook.errors import ConfigInvalid

    root = tmp_path / "book-root"
    (root / "book").mkdir(parents=True)
    (root / "data").mkdir()
    (root / "_toc.yml").write_text("format: jb-book\nroot: book/index\n")
    (root / "book" / "index.md").write_text("# Home\n")
    (root / "data" / "sources.csv").write_text("id,kind\nsrc,report\n")  # no author, title or date
    git(root, "init", "-q", "-b", "main")
    commit(root, "first")
    git(root, "tag", "edition-1")
    shutil.copy(ROOT / "tests" / "fixtures" / "minibook" / "data" / "sources.csv", root / "data" / "sources.csv")
    commit(root, "second")
    with pytest.raises(ConfigInvalid) as failed:
        changes.compare(root, tmp_path / "executed")
    assert str(failed.value).startswith("tag edition-1: cannot read the earlier edition's"), str(failed.value)
    assert "\n" not in str(failed.value)


def test_a_web_only_link_to_a_web_only_page_is_kept_on_the_web_and_dropped_from_print(tmp_path: Path) -> None:
    about = "# About\n\nEditions. {web}``The page {doc}`changes` lists what changed.`` Earlier editions.\n"
    extensions = {"extra_extensions": ["carebook.sphinxext.editions"]}
    web = sphinx_build(tmp_path / "web", {"index": about, "changes": "# What changed\n\nA list.\n"}, **extensions)
    page = web.page("index.html")
    assert 'href="changes.html"' in page and "lists what changed" in page
    # Print leaves the changes page out: the link goes with its sentence, before Sphinx looks for the page.
    printed = sphinx_build(tmp_path / "print", {"index": about}, "latex", **extensions)
    tex = printed.page("book.tex")
    assert "Editions." in tex and "Earlier editions." in tex
    assert "lists what changed" not in tex
    assert "unknown document" not in printed.warnings, printed.warnings
