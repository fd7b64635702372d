"""Publishing a rebuilt site links the files it did not change and copies the rest; the published site is the new
one, and the one it replaced is never written."""

from __future__ import annotations

import os
import time
from pathlib import Path

from carebook.build.publish import publish


def test_unchanged_files_are_linked_and_changed_ones_copied(tmp_path: Path):
    work, site = tmp_path / "work", tmp_path / "html"
    (work / "book").mkdir(parents=True)
    (work / "book" / "same.html").write_text("unchanged", encoding="utf-8")
    (work / "book" / "edited.html").write_text("before", encoding="utf-8")
    publish(work, site)
    before = {name: os.stat(site / "book" / name).st_ino for name in ("same.html", "edited.html")}
    time.sleep(0.01)
    (work / "book" / "edited.html").write_text("after!", encoding="utf-8")  # Sphinx writes its work folder in place
    (work / "book" / "new.html").write_text("new", encoding="utf-8")
    publish(work, site)
    assert os.stat(site / "book" / "same.html").st_ino == before["same.html"], "linked, not copied again"
    assert os.stat(site / "book" / "edited.html").st_ino != before["edited.html"]
    assert {p.name: p.read_text() for p in (site / "book").iterdir()} == {
        "same.html": "unchanged",
        "edited.html": "after!",
        "new.html": "new",
    }
    (work / "book" / "same.html").write_text("rewritten", encoding="utf-8")  # the work folder, in place again
    assert (site / "book" / "same.html").read_text() == "unchanged", "never linked to the work folder"
