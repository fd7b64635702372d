"""The edition label is on every page, yet a new label (the first edit after a commit) makes Sphinx re-read only
the pages whose text changed: publishing puts the label in."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml
from conftest import ROOT, carebook

pytestmark = pytest.mark.build  # runs carebook builds itself


def git(root: Path, *args: str) -> str:
    done = subprocess.run(["git", "-C", str(root), *args], check=True, capture_output=True, text=True)
    return done.stdout.strip()


def footers(site: Path) -> dict[str, str]:
    """Each page's edition line (the book's pages: not the redirect or the search page)."""
    found = {}
    for page in sorted((site / "book").glob("*.html")):
        line = re.search(r"Edition of ([^<]*?)\.\s*<", page.read_text(encoding="utf-8"))
        found[page.relative_to(site).as_posix()] = line.group(1) if line else ""
    return found


def page(site: Path, name: str) -> str:
    return (site / "book" / f"{name}.html").read_text(encoding="utf-8")


def test_a_new_label_reaches_every_page_and_rereads_only_the_edited_one(minibook: Path):
    shutil.copyfile(ROOT / "CITATION.cff", minibook / "CITATION.cff")  # each chapter's citation line holds it too
    config = yaml.safe_load((minibook / "_config.yml").read_text(encoding="utf-8"))
    config["sphinx"]["extra_extensions"].append("carebook.sphinxext.citecards")
    (minibook / "_config.yml").write_text(yaml.safe_dump(config), encoding="utf-8")
    (minibook / ".gitignore").write_text("_build/\n")
    git(minibook, "init", "-q")
    git(minibook, "add", "-A")
    git(minibook, "-c", "user.name=t", "-c", "user.email=t@example.org", "commit", "-qm", "first")
    commit = git(minibook, "rev-parse", "--short=12", "HEAD")
    done = carebook("build", cwd=minibook)
    assert done.returncode == 0, done.stderr
    site = minibook / "_build" / "html"
    before = footers(site)
    assert "book/beta.html" in before
    assert set(before.values()) == {f"{before['book/beta.html'][:10]}, commit {commit}"}

    chapter = minibook / "book" / "alpha.md"
    chapter.write_text(chapter.read_text().replace("The total is", "A label-test sentence. The total is"))
    done = carebook("build", cwd=minibook)
    assert done.returncode == 0, done.stderr
    assert set(footers(site).values()) == {f"{before['book/beta.html'][:10]}, commit {commit}+modified"}
    assert "CarebookEdition" not in "".join(p.read_text(errors="replace") for p in site.rglob("*.*") if p.is_file())
    label = f"{before['book/beta.html'][:10]}, commit {commit}+modified"
    for name in ("alpha", "beta"):  # read again and not: the year and label of each chapter's citation line
        cited = re.findall(r'carebook-cite-this">.*?\((\d{4})\)\..*?Edition of ([^<]*?)\.</p>', page(site, name))
        assert cited == [(label[:4], label)], name
    read = set(re.findall(r"reading\s+(\S+)", done.stdout))
    assert read == {"book/alpha"}, done.stdout
    assert "A label-test sentence." in page(site, "alpha")
