"""Cache artefacts are written whole and checked when read: a torn file is made again, never published."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

from conftest import carebook, need
from test_build import page_text

from carebook.build import vega_bundle
from carebook.build.atomic import write_atomic


def test_a_torn_vega_bundle_is_made_again(vega_cache: Path, tmp_path: Path):
    build = tmp_path / "_build"
    shutil.copytree(vega_cache, build / "cache")
    (cached,) = (build / "cache").glob("vega-*.js")
    whole = cached.read_bytes()
    cached.write_bytes(whole[: len(whole) // 3])  # a build killed while writing it
    assert vega_bundle(build) == whole
    assert cached.read_bytes() == whole


def test_write_atomic_leaves_no_temporary_file_and_replaces_whole(tmp_path: Path):
    target = tmp_path / "cache" / "x.json"
    write_atomic(target, "old")
    write_atomic(target, b"new")
    assert target.read_bytes() == b"new"
    assert [p.name for p in target.parent.iterdir()] == ["x.json"]


def test_a_prose_edit_after_the_clock_ran_fast_reaches_the_page(minibook: Path):
    """Sphinx compares modification times; the build compares contents, so a clock corrected backwards (an edit
    built while it ran two hours fast, then another after) still gives the new sentence."""
    need("faketime")
    library = next(Path("/usr/lib").glob("*/faketime/libfaketime.so.1"))
    chapter = minibook / "book" / "alpha.md"
    assert carebook("build", cwd=minibook).returncode == 0
    chapter.write_text(chapter.read_text().replace("The total is", "A fast-clock sentence. The total is"))
    fast = {"LD_PRELOAD": str(library), "FAKETIME": "+2h", "FAKETIME_DONT_FAKE_MONOTONIC": "1"}
    done = carebook("build", cwd=minibook, env=fast)
    assert done.returncode == 0, done.stderr
    chapter.write_text(chapter.read_text().replace("A fast-clock sentence.", "A corrected-clock sentence."))
    done = carebook("build", cwd=minibook)
    assert done.returncode == 0, done.stderr
    assert "A corrected-clock sentence." in page_text(minibook / "_build" / "html" / "book" / "alpha.html")


def test_a_description_in_the_data_package_is_shown_as_text_not_markup(minibook: Path):
    from carebook.build.generated import data_tables

    descriptor = minibook / "data" / "datapackage.json"
    package = json.loads(descriptor.read_text(encoding="utf-8"))
    package["resources"][1]["description"] = "Totals <img src=x onerror=alert(1)> *here*."
    package["resources"][1]["title"] = "Beta *totals*"  # the table's heading on the data page
    descriptor.write_text(json.dumps(package), encoding="utf-8")
    markdown = data_tables(minibook)
    assert not re.search(r"(?<!\\)<img|(?<!\\)\*here|(?<!\\)\*totals", markdown)
    assert r"\<img src\=x onerror\=alert\(1\)\> \*here\*." in markdown
    assert "## Beta \\*totals\\*" in markdown


def test_an_edition_without_git_says_unversioned_and_is_dated_by_its_sources(tmp_path: Path, monkeypatch):
    from carebook.build.edition import edition

    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    (tmp_path / "book").mkdir()
    for name in ("_config.yml", "_toc.yml", "book/index.md"):
        (tmp_path / name).write_text("x\n")
    os.utime(tmp_path / "book" / "index.md", (1_763_000_000, 1_763_000_000))  # 2025-11-13, as an archive keeps it
    os.utime(tmp_path / "_config.yml", (1_700_000_000, 1_700_000_000))
    os.utime(tmp_path / "_toc.yml", (1_700_000_000, 1_700_000_000))
    found = edition(tmp_path)
    assert (found.commit, found.date) == ("unversioned", "2025-11-13")
    assert found.label == "2025-11-13, unversioned"


TEMPORAL_PNG = """
import hashlib, vl_convert
spec = {"data": {"values": [{"d": "2015-04-01", "v": 1}, {"d": "2016-01-01", "v": 2}]}, "mark": "point",
        "encoding": {"x": {"field": "d", "type": "temporal"}, "y": {"field": "v", "type": "quantitative"}}}
print(hashlib.sha256(vl_convert.vegalite_to_png(spec)).hexdigest())
"""


def test_print_images_do_not_depend_on_the_builders_time_zone(tmp_path: Path, monkeypatch):
    from carebook.build.chapter import ChapterJob
    from carebook.build.job import _kernel_env

    job = ChapterJob("x", "book/x.md", "", {}, str(tmp_path), str(tmp_path / "data"))
    drawn = {}
    for zone in ("UTC", "Pacific/Kiritimati"):
        monkeypatch.setenv("TZ", zone)
        env = _kernel_env(job, tmp_path)
        done = subprocess.run([sys.executable, "-c", TEMPORAL_PNG], env=env, capture_output=True, text=True, check=True)
        drawn[zone] = done.stdout
    assert drawn["UTC"] == drawn["Pacific/Kiritimati"]


def test_the_data_page_lists_the_first_rows_of_a_large_table_and_says_so(minibook: Path):
    from carebook.build.generated import LISTED_ROWS, data_tables

    head = "id,date,value,note,source_id,locator\n"
    rows = "".join(f"a-{i},2015-04-01,{i},,src,para {i}\n" for i in range(1, LISTED_ROWS + 101))
    (minibook / "data" / "alpha.csv").write_text(head + rows, encoding="utf-8")
    markdown = data_tables(minibook)
    assert markdown.count('id="alpha-a-') == LISTED_ROWS
    assert f"The table has {LISTED_ROWS + 100:,} rows: the first {LISTED_ROWS:,}" in markdown
