"""Launching a chapter on Binder: a plain link on chapter pages when the book knows its repository, and the
binder/ folder that gives Binder the book's pinned kernel packages."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml
from conftest import ROOT

from carebook.build import build_html
from carebook.build.bundles import KERNEL_REQUIREMENTS
from carebook.build.stage import REPOSITORY_ENV


def lock_versions() -> dict[str, str]:
    text = (ROOT / "requirements.lock").read_text(encoding="utf-8")
    return {n.lower().replace("_", "-"): v for n, v in re.findall(r"(?m)^([A-Za-z0-9_.-]+)==([^\s\\]+)", text)}


def test_binder_installs_the_locks_versions_of_the_kernel_packages_and_jupytext() -> None:
    lines = (ROOT / "binder" / "requirements.txt").read_text(encoding="utf-8").splitlines()
    pins = dict(line.split("==") for line in lines if line and not line.startswith("#"))
    lock = lock_versions()
    wrong = {name: (version, lock.get(name)) for name, version in pins.items() if lock.get(name) != version}
    assert not wrong, f"binder/requirements.txt and requirements.lock disagree (binder, lock): {wrong}"
    assert {*KERNEL_REQUIREMENTS, "jupytext"} <= set(pins)
    assert (ROOT / "binder" / "postBuild").stat().st_mode & 0o111, "postBuild must be executable"


def chapter_page(root: Path, name: str) -> str:
    return (root / "_build" / "html" / "book" / f"{name}.html").read_text(encoding="utf-8")


def test_chapters_link_to_binder_only_when_the_book_knows_its_repository(
    minibook: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    conf = yaml.safe_load((minibook / "_config.yml").read_text())
    book_conf = yaml.safe_load((ROOT / "_config.yml").read_text())
    conf.update({key: book_conf[key] for key in ("repository", "launch_buttons")})
    (minibook / "_config.yml").write_text(yaml.safe_dump(conf))

    monkeypatch.delenv(REPOSITORY_ENV, raising=False)
    build_html(minibook, minibook / "_build")
    assert "dropdown-launch-buttons" not in chapter_page(minibook, "alpha")  # no repository: nothing to launch

    monkeypatch.setenv(REPOSITORY_ENV, "https://github.com/an-owner/a-book")
    build_html(minibook, minibook / "_build")
    page = chapter_page(minibook, "alpha")
    links = re.findall(r'href="(https://mybinder\.org/[^"]*)"', page)
    assert links == ["https://mybinder.org/v2/gh/an-owner/a-book/main?urlpath=lab/tree/book/alpha.ipynb"]
    # A plain link: nothing on the page is fetched from another site.
    assert not re.findall(r'<(?:script|img|iframe)[^>]*\ssrc="https?://', page)
    assert not re.findall(r'<link[^>]*\shref="https?://', page)
    assert "mybinder" not in (minibook / "_build" / "html" / "book" / "index.html").read_text(encoding="utf-8")
