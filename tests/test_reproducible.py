"""Every edition is the same bytes from the same sources: two clean builds in two folders, at two times and with
no SOURCE_DATE_EPOCH, give identical sites (`.buildinfo` included), single pages and EPUBs."""

from __future__ import annotations

import shutil
import zipfile
from pathlib import Path

import pytest
from conftest import carebook

pytestmark = pytest.mark.build  # runs carebook builds itself


def files(folder: Path) -> dict[str, bytes]:
    """Every file under `folder`, by relative path."""
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_two_clean_builds_in_two_folders_are_identical(minibook: Path, tmp_path: Path, monkeypatch):
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    config = minibook / "_config.yml"  # an e-book names its author and licence
    config.write_text(config.read_text(encoding="utf-8") + "author: The authors\ncopyright: CC BY 4.0\n")
    elsewhere = tmp_path / "a-longer-folder-name" / "book"
    shutil.copytree(minibook, elsewhere)
    builds = []
    for book in (minibook, elsewhere):
        done = carebook("build", "--epub", "--singlehtml", cwd=book)  # the second a minute later, at least
        assert done.returncode == 0, done.stdout + done.stderr
        builds.append(book / "_build")
    first, second = builds
    for edition in ("html", "singlehtml"):
        one, two = files(first / edition), files(second / edition)
        assert sorted(one) == sorted(two), edition
        assert ".buildinfo" in one or edition == "singlehtml"
        assert [name for name in one if one[name] != two[name]] == [], f"{edition}: files differ"
    epubs = [zipfile.ZipFile(build / "epub" / "joined-up.epub") for build in builds]
    assert [i.date_time for i in epubs[0].infolist()] == [i.date_time for i in epubs[1].infolist()]
    assert (first / "epub" / "joined-up.epub").read_bytes() == (second / "epub" / "joined-up.epub").read_bytes()
