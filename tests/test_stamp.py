"""The one stamp: each step's code is the import closure of its entries, and every module a step really
loads is inside it (the class of defect where an edit never reached the site)."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import ROOT

from carebook.build import stamp
from carebook.build.outputs import outputs, step


def loaded_modules(*imports: str) -> set[str]:
    """The carebook module files (relative to carebook/) a fresh interpreter has loaded after these imports."""
    code = (
        "import json, sys\n"
        + "".join(f"import {name}\n" for name in imports)
        + "print(json.dumps([m.__file__ for n, m in sys.modules.items() if n.split('.')[0] == 'carebook']))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT)
    return {Path(f).resolve().relative_to(stamp.PACKAGE).as_posix() for f in json.loads(done.stdout)}


def dotted(rel: str) -> str:
    """carebook's dotted module name for a file relative to carebook/."""
    return ".".join(["carebook", *Path(rel).with_suffix("").parts]).removesuffix(".__init__")


def chapter_imports() -> set[str]:
    """The carebook modules the book's chapters import in their code cells."""
    from carebook.build.chapter import read_chapter

    found = set()
    for chapter in sorted((ROOT / "book").glob("*.md")):
        cells = read_chapter(chapter.read_text(encoding="utf-8")).cells
        for cell in (c for c in cells if c.cell_type == "code"):
            source = "\n".join(line for line in cell.source.splitlines() if not line.startswith(("%", "!")))
            for node in ast.walk(ast.parse(source)):
                if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("carebook"):
                    found |= {f"{node.module}.{alias.name}" for alias in node.names} | {node.module}
                elif isinstance(node, ast.Import):
                    found |= {a.name for a in node.names if a.name.startswith("carebook")}
    return {path for name in found if (path := stamp.module_file(name))}


def test_the_chapter_stamp_covers_what_chapters_and_their_runner_load():
    code = set(stamp.CHAPTER.code)
    assert chapter_imports(), "the book's chapters import nothing from carebook?"
    assert chapter_imports() <= code, f"chapters import modules outside the chapter stamp: {chapter_imports() - code}"
    entries = [dotted(rel) for rel in stamp.CHAPTER.entries]
    assert loaded_modules(*entries) <= code, "a module the runner or the kernel loads is outside the chapter stamp"
    # the runner's own code and the settings that change what passes are inputs too
    assert {"build/job.py", "build/chapter.py", "build/run.py"} <= code
    assert {"CAREBOOK_OUTPUT_LIMIT", "CAREBOOK_CELL_TIMEOUT"} <= set(stamp.CHAPTER.settings)


@pytest.mark.parametrize("name", list(outputs()))
def test_each_edition_stamp_covers_every_module_its_sphinx_build_loads(name: str):
    target = ROOT  # its _config.yml names the extensions, as the staged copy does
    output = outputs()[name]
    code = set(step(output, target).code)
    extensions = stamp.extension_entries(["carebook.sphinxext.html", "carebook.sphinxext.figurelinks"])
    assert set(extensions) <= code
    loaded = loaded_modules(*(dotted(rel) for rel in step(output, target).entries))
    assert loaded <= code, f"{name} loads modules outside its stamp: {loaded - code}"
    assert "provenance.py" in code, "figure links decode provenance records on the Sphinx side"


def test_an_edition_stamp_leaves_out_other_editions_code():
    html, pdf = (set(step(outputs()[name], ROOT).code) for name in ("html", "pdf"))
    assert "sphinxext/latex.py" in pdf and "sphinxext/latex.py" not in html
    assert "build/outputs/pdf.py" not in html
    assert "build/job.py" not in html  # the runner's code reaches the site through the notebooks it writes


def test_the_stamp_changes_with_the_lock_and_the_settings(tmp_path: Path, monkeypatch):
    (tmp_path / stamp.LOCK).write_text("a==1\n")
    before = stamp.CHAPTER.environment(tmp_path)
    (tmp_path / stamp.LOCK).write_text("a==2\n")
    after_lock = stamp.CHAPTER.environment(tmp_path)
    monkeypatch.setenv("CAREBOOK_OUTPUT_LIMIT", "10")
    after_setting = stamp.CHAPTER.environment(tmp_path)
    assert len({before, after_lock, after_setting}) == 3


def test_closure_follows_lazy_and_relative_imports():
    closure = stamp.closure(["build/outputs/pdf.py"])
    assert "sphinxext/latex.py" in closure  # imported inside make()
    assert "build/outputs/__init__.py" in closure and "build/__init__.py" in closure and "__init__.py" in closure
