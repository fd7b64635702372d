"""The output seam: the command line and the Makefile come from the table of outputs, and the fourth edition
(the whole book on one page) builds through it like the others."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

from conftest import ROOT, carebook

from carebook.build.outputs import TABLE, outputs


def test_every_edition_in_the_table_is_a_command_a_build_flag_and_a_make_target():
    top, build = carebook("--help").stdout, carebook("build", "--help").stdout
    made = subprocess.run(["make", "-n", *TABLE[1:]], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    for name in TABLE[1:]:
        assert re.search(rf"\b{name}\b", top.split("positional arguments")[0]), f"no `carebook {name}`"
        assert f"--{name}" in build, f"no `carebook build --{name}`"
        assert f"carebook {name}" in made, f"no `make {name}`"
    assert set(outputs()) == set(TABLE)


def test_the_single_page_edition_holds_the_whole_book_offline(minibook: Path):
    done = carebook("build", "--singlehtml", cwd=minibook, env={"SOURCE_DATE_EPOCH": "1700000000"})
    assert done.returncode == 0, done.stdout + done.stderr
    page = minibook / "_build" / "singlehtml" / "index.html"
    text = page.read_text(encoding="utf-8")
    for chapter in ("Chapter alpha", "Chapter beta"):
        assert chapter in text
    words = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", text))
    assert re.search(r"The total is\s+7\b", words)  # a glued figure, on the one page
    assert "carebook-fig" in text  # with its card (tests/test_sphinxext.py checks its link on one page)
    scripts = re.findall(r'<script[^>]*src="([^"]+)"', text)
    assert any("vega-bundle.js" in src for src in scripts)
    assert not [src for src in scripts if src.startswith(("http:", "https:", "//"))], "a script from elsewhere"
    styles = re.findall(r'<link rel="stylesheet"[^>]*href="([^"]+)"', text)
    local = re.findall(r'(?:href|src)="((?:\.\./)?_static/[^"#?]+)', text)  # downloads and images too
    for linked in [*scripts, *styles, *local]:
        assert (page.parent / linked.split("?")[0]).is_file(), f"{linked} is not where the page looks"
