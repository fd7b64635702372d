"""Shared fixtures: the built book (built once per session), a small book for cache tests, tool checks."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = Path(__file__).resolve().parent / "fixtures"
IN_CI = os.environ.get("CI") == "true"


def need(tool: str) -> str:
    """The path of `tool`; outside CI a missing tool skips the test, in CI it fails it (never skips)."""
    found = shutil.which(tool)
    if found:
        return found
    message = f"{tool} is not installed: run `scripts/system-deps all` (make test does)"
    if IN_CI:
        pytest.fail(message)
    pytest.skip(message)


def carebook(*args: str, cwd: Path = ROOT, env: dict | None = None) -> subprocess.CompletedProcess:
    """Run the carebook command line as a user would, capturing its output."""
    return subprocess.run(
        [sys.executable, "-m", "carebook.cli", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
    )


@pytest.fixture(scope="session")
def built_book() -> Path:
    """The repository's book, built (reusing the cache) into _build/html."""
    done = carebook("build")
    assert done.returncode == 0, done.stdout + done.stderr
    return ROOT / "_build" / "html"


@pytest.fixture(scope="session")
def built_pdf(built_book: Path) -> Path:
    """The PDF edition, built from the same executed chapters."""
    need("xelatex")
    need("latexmk")
    done = carebook("pdf")
    assert done.returncode == 0, done.stdout + done.stderr
    return ROOT / "_build" / "pdf" / "joined-up.pdf"


@pytest.fixture(scope="session")
def vega_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A build cache holding the vega bundle, made once per session (each small book would else bundle it again)."""
    from carebook.build import vega_bundle

    build = tmp_path_factory.mktemp("vega") / "_build"
    vega_bundle(build)
    return build / "cache"


@pytest.fixture
def minibook(tmp_path: Path, vega_cache: Path) -> Path:
    """A copy of a two-chapter book: chapter `alpha` reads data/alpha.csv, chapter `beta` reads data/beta.csv."""
    target = tmp_path / "minibook"
    shutil.copytree(FIXTURES / "minibook", target)
    shutil.copytree(ROOT / "_static", target / "_static")
    shutil.copytree(ROOT / "latex", target / "latex")
    shutil.copytree(vega_cache, target / "_build" / "cache")
    return target


BUILDING_FIXTURES = {"built_book", "built_pdf", "built_epub", "minibook", "vega_cache"}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark every test that builds a book `build`, so `pytest -m "not build"` is the fast loop."""
    for item in items:
        if BUILDING_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.build)
