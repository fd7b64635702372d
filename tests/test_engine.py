"""The build engine: one stamping rule, prose merged into cached outputs, reads recorded as read, executors."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import ROOT, carebook

EPOCH = {"SOURCE_DATE_EPOCH": "1700000000"}


def report(book: Path, build: str = "_build") -> dict:
    """The last build's _build/report.json."""
    return json.loads((book / build / "report.json").read_text(encoding="utf-8"))


def statuses(book: Path, build: str = "_build") -> dict[str, str]:
    """Each chapter's status in the last build."""
    return {slug: chapter["status"] for slug, chapter in report(book, build)["chapters"].items()}


def page_text(html: Path) -> str:
    """The visible text of a built page, roughly."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html.read_text(encoding="utf-8")))


def build(book: Path, *args: str, env: dict | None = None) -> None:
    """Build `book`; fail the test with the output if the build fails."""
    done = carebook("build", *args, cwd=book, env={**EPOCH, **(env or {})})
    assert done.returncode == 0, done.stdout + done.stderr


def add_cell(chapter: Path, code: str) -> int:
    """Append a code cell to a chapter; return the file line of the cell's first code line."""
    text = chapter.read_text(encoding="utf-8")
    chapter.write_text(text + f"\n```{{code-cell}} ipython3\n{code}\n```\n", encoding="utf-8")
    return text.count("\n") + 3


MARK_PAGES = """

def _mark(app, pagename, templatename, context, doctree):
    if "body" in context:
        context["body"] += '<p class="carebook-test-mark"></p>'


_setup = setup


def setup(app):
    app.connect("html-page-context", _mark)
    return _setup(app)
"""


def test_each_step_reruns_exactly_what_its_inputs_say(minibook: Path):
    shutil.copytree(ROOT / "carebook", minibook / "carebook", ignore=shutil.ignore_patterns("__pycache__"))
    build(minibook)
    assert statuses(minibook) == {"alpha": "executed", "beta": "executed"}

    # a prose-only edit: no notebook runs, and the page shows the new sentence
    chapter = minibook / "book" / "alpha.md"
    chapter.write_text(chapter.read_text().replace("The total is", "A new sentence. The total is"))
    build(minibook)
    assert statuses(minibook) == {"alpha": "cached", "beta": "cached"}
    assert report(minibook)["steps"]["html"]["status"] == "built"
    assert "A new sentence. The total is 7" in page_text(minibook / "_build/html/book/alpha.html")

    # a code-cell edit re-runs exactly that chapter
    beta = minibook / "book" / "beta.md"
    beta.write_text(beta.read_text().replace("scale = 1", "scale = 2"))
    build(minibook)
    assert statuses(minibook) == {"alpha": "cached", "beta": "executed"}

    # an edit to the HTML step's own code runs no chapter and rebuilds the site
    html_code = minibook / "carebook" / "build" / "outputs" / "html.py"
    html_code.write_text(html_code.read_text() + "\n# a comment\n")
    build(minibook)
    assert statuses(minibook) == {"alpha": "cached", "beta": "cached"}
    assert report(minibook)["steps"]["html"]["status"] == "built"

    # an edit to what only print reads (its styles, its extension) leaves the web edition as it was
    (minibook / "latex" / "carebook.sty").write_text((minibook / "latex" / "carebook.sty").read_text() + "\n%\n")
    print_code = minibook / "carebook" / "sphinxext" / "latex.py"
    print_code.write_text(print_code.read_text() + "\n# a comment\n")
    build(minibook)
    assert report(minibook)["steps"]["html"]["status"] == "unchanged"

    # and the change reaches every page, although no page changed (Sphinx alone would re-read none)
    extension = minibook / "carebook" / "sphinxext" / "figurelinks.py"  # the one the minibook's config loads
    extension.write_text(extension.read_text() + MARK_PAGES)
    build(minibook)
    assert statuses(minibook) == {"alpha": "cached", "beta": "cached"}
    for page in ("alpha", "beta"):
        assert "carebook-test-mark" in (minibook / "_build/html/book" / f"{page}.html").read_text(), page

    build(minibook)
    assert report(minibook)["steps"]["html"]["status"] == "unchanged"

    # --force bypasses every stamp
    build(minibook, "--force")
    assert statuses(minibook) == {"alpha": "executed", "beta": "executed"}
    assert report(minibook)["steps"]["html"]["status"] == "built"


def test_reads_are_recorded_even_around_data_load(minibook: Path):
    add_cell(
        minibook / "book" / "beta.md",
        'with open("../references.bib", encoding="utf-8") as f:\n    size = len(f.read())',  # not through data.load
    )
    build(minibook)
    reads = {slug: chapter["reads"] for slug, chapter in report(minibook)["chapters"].items()}
    # Each glued row's card cites its source, so every chapter also reads the sources table.
    citing = ["data/schemas/sources.json", "data/sources.csv"]
    assert reads["alpha"] == sorted(["data/alpha.csv", "data/datapackage.json", "data/schemas/values.json", *citing])
    assert reads["beta"] == sorted(
        ["data/beta.csv", "data/datapackage.json", "data/schemas/values.json", "references.bib", *citing]
    )

    sources = minibook / "data" / "sources.csv"
    sources.write_text(sources.read_text() + "\n" if not sources.read_text().endswith("\n") else sources.read_text())
    schema = minibook / "data" / "schemas" / "values.json"
    schema.write_text(schema.read_text().replace('"fields"', '"description": "values", "fields"', 1))
    build(minibook)
    assert statuses(minibook) == {"alpha": "executed", "beta": "executed"}, "a schema edit re-runs its readers"


def test_a_file_saved_during_the_run_is_not_cached(minibook: Path, tmp_path: Path):
    """An author saves a table while the chapter that read it still runs (a chapter itself may not write it)."""
    add_cell(
        minibook / "book" / "beta.md",
        "import pathlib, tempfile, time\n"
        'table = pathlib.Path("../data/beta.csv")\n'
        "seen = table.read_text(encoding='utf-8')\n"
        'pathlib.Path(tempfile.gettempdir(), "read-done").write_text("")  # its scratch folder\n'
        "deadline = time.monotonic() + 300\n"
        'while "b-9" not in seen and time.monotonic() < deadline:\n'
        "    time.sleep(0.2)\n"
        "    seen = table.read_text(encoding='utf-8')",
    )
    running = subprocess.Popen(
        [sys.executable, "-m", "carebook.cli", "build"],
        cwd=minibook,
        env={**os.environ, **EPOCH, "TMPDIR": str(tmp_path)},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    # any kernel folder: one started ahead, before chapters are handed out, is named for the first chapter
    while not list(tmp_path.glob("carebook-*/scratch/read-done")) and running.poll() is None:
        time.sleep(0.2)
    with (minibook / "data" / "beta.csv").open("a", encoding="utf-8") as table:
        table.write("b-9,2020-04-01,1,x,src,para 9\n")  # the author saves the table
    stdout, stderr = running.communicate(timeout=600)
    assert running.returncode == 0, stderr
    assert "not cached: data/beta.csv changed while it ran" in stdout
    build(minibook)
    assert statuses(minibook)["beta"] == "executed", "a chapter whose input changed mid-run runs again"
    build(minibook)
    assert statuses(minibook)["beta"] == "cached"


def site(build_dir: Path) -> dict[str, bytes]:
    """Every file of a built site, by path."""
    html = build_dir / "html"
    return {str(p.relative_to(html)): p.read_bytes() for p in sorted(html.rglob("*")) if p.is_file()}


def test_threads_and_dask_record_own_reads_and_give_the_same_pages(minibook: Path):
    pytest.importorskip("distributed")
    results = {}
    for executor in ("local", "threads", "dask"):
        out = minibook / f"_build-{executor}"
        done = carebook("--build-dir", str(out), "-j", "2", "build", "--executor", executor, cwd=minibook, env=EPOCH)
        assert done.returncode == 0, done.stdout + done.stderr
        chapters = report(minibook, out.name)["chapters"]
        citing = ["data/schemas/sources.json", "data/sources.csv"]  # each glued row's card cites its source
        own = {"alpha": "data/alpha.csv", "beta": "data/beta.csv"}
        for name, table in own.items():
            expected = sorted([table, "data/datapackage.json", "data/schemas/values.json", *citing])
            assert chapters[name]["reads"] == expected
        assert report(minibook, out.name)["executor"] == executor
        results[executor] = site(out)
    for page in ("book/alpha.html", "book/beta.html", "searchindex.js"):
        assert results["threads"][page] == results["local"][page], page
        assert results["dask"][page] == results["local"][page], page


def test_a_failing_cell_under_dask_names_chapter_cell_and_line(minibook: Path):
    pytest.importorskip("distributed")
    line = add_cell(minibook / "book" / "beta.md", "limit = 2\nraise ValueError('boom')") + 1
    done = carebook("build", "--executor", "dask", cwd=minibook)
    assert done.returncode == 1
    assert f"book/beta.md:{line}: chapter 'beta', code cell 3: ValueError: boom" in done.stderr
    assert report(minibook)["status"] == "failed"
    assert statuses(minibook)["beta"] == "failed"


# Chapters that do not run clean (stderr, warnings, sys.exit, output, timeout, dead kernel): tests/corpus/cell-*.


TABLES = """
```{list-table} The first table.
:name: tbl-first

* - one
```

```{list-table} The second table.
:name: tbl-second

* - two
```

(sec-more)=
## More on alpha

A last paragraph.
"""


def test_incremental_build_equals_clean_build(minibook: Path, tmp_path: Path):
    build(minibook)
    edits = {
        "add a chapter": lambda: (
            (minibook / "book" / "gamma.md").write_text(
                (minibook / "book" / "alpha.md").read_text().replace("Chapter alpha", "Chapter gamma")
            ),
            (minibook / "_toc.yml").write_text(
                (minibook / "_toc.yml")
                .read_text()
                .replace("  - file: book/beta\n", "  - file: book/beta\n  - file: book/gamma\n")
            ),
        ),
        "edit prose": lambda: (minibook / "book" / "alpha.md").write_text(
            (minibook / "book" / "alpha.md").read_text().replace("The total is", "A new sentence. The total is")
        ),
        "cross-page references": lambda: (
            (minibook / "book" / "alpha.md").write_text((minibook / "book" / "alpha.md").read_text() + TABLES),
            (minibook / "book" / "beta.md").write_text(
                (minibook / "book" / "beta.md").read_text() + "\nSee {numref}`tbl-second` and {ref}`sec-more`.\n"
            ),
        ),
        "a table removed (the next is renumbered)": lambda: (minibook / "book" / "alpha.md").write_text(
            (minibook / "book" / "alpha.md").read_text().replace(TABLES.split("```\n\n")[0] + "```\n", "")
        ),
        "a heading renamed": lambda: (minibook / "book" / "alpha.md").write_text(
            (minibook / "book" / "alpha.md").read_text().replace("## More on alpha", "## Further on alpha")
        ),
        "edit a CSV": lambda: (minibook / "data" / "alpha.csv").write_text(
            (minibook / "data" / "alpha.csv").read_text().replace(",4,", ",5,")
        ),
        "edit the glossary": lambda: (minibook / "book" / "glossary.md").write_text(
            (minibook / "book" / "glossary.md").read_text().replace("The first chapter's table.", "Zebra crossing.")
        ),
        "remove a chapter": lambda: (
            (minibook / "_toc.yml").write_text(
                (minibook / "_toc.yml").read_text().replace("  - file: book/beta\n", "")
            ),
            (minibook / "book" / "beta.md").unlink(),
        ),
    }
    for number, (name, edit) in enumerate(edits.items()):
        edit()
        build(minibook)
        clean = tmp_path / f"clean-{number}"
        done = carebook("--build-dir", str(clean), "build", cwd=minibook, env=EPOCH)
        assert done.returncode == 0, done.stderr
        incremental, fresh = site(minibook / "_build"), site(clean)
        assert sorted(incremental) == sorted(fresh), f"{name}: pages differ"
        differing = [path for path in fresh if incremental[path] != fresh[path]]
        assert not differing, f"{name}: files differ from a clean build: {differing}"
        if name == "remove a chapter":
            assert not (minibook / "_build" / "executed" / "beta.ipynb").exists()
        if name == "a heading renamed":
            seen_in_beta = page_text(minibook / "_build" / "html" / "book" / "beta.html")
    assert "zebra" in (minibook / "_build" / "html" / "searchindex.js").read_text()
    assert "Further on alpha" in seen_in_beta and "Table 1" in seen_in_beta


def test_an_external_dask_scheduler_gives_the_same_site(minibook: Path, tmp_path: Path):
    pytest.importorskip("distributed")
    import os
    import socket
    import subprocess
    import sys

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    address = f"tcp://127.0.0.1:{port}"
    dask = [sys.executable, "-m", "distributed.cli.dask_scheduler"]
    elsewhere = tmp_path / "workers"  # the workers start in another folder than the book
    elsewhere.mkdir()
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL, "cwd": elsewhere, "env": env}
    scheduler = subprocess.Popen([*dask, "--host", "127.0.0.1", "--port", str(port), "--no-dashboard"], **quiet)
    worker = subprocess.Popen(
        [sys.executable, "-m", "distributed.cli.dask_worker", address, "--nthreads", "2", "--no-dashboard"], **quiet
    )
    try:
        local = tmp_path / "local"
        done = carebook("--build-dir", str(local), "build", cwd=minibook, env=EPOCH)
        assert done.returncode == 0, done.stderr
        remote = tmp_path / "remote"
        args = ("--build-dir", str(remote), "build", "--executor", "dask", "--scheduler", address)
        done = carebook(*args, cwd=minibook, env=EPOCH)
        assert done.returncode == 0, done.stdout + done.stderr
        assert "running  alpha" in done.stdout, "progress lines come back from the workers"
        reads = {slug: c["reads"] for slug, c in json.loads((remote / "report.json").read_text())["chapters"].items()}
        local_reads = {
            slug: c["reads"] for slug, c in json.loads((local / "report.json").read_text())["chapters"].items()
        }
        assert reads == local_reads
        assert site(remote) == site(local)
    finally:
        for process in (worker, scheduler):
            process.terminate()
            process.wait(timeout=30)
