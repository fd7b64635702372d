"""`make workflows`: the GitHub workflows pass the schema, actionlint (with shellcheck) and zizmor, offline,
and a broken workflow fails with a message naming its file, line and column."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from tests.conftest import ROOT

WORKFLOWS = ROOT / ".github" / "workflows"


def check(folder: Path) -> subprocess.CompletedProcess:
    """`make workflows` on the workflows in `folder`, as `make test` runs it."""
    return subprocess.run(
        ["make", "-s", "--no-print-directory", "workflows", f"WORKFLOWS={folder}"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )


def test_the_books_workflows_pass_every_check() -> None:
    done = check(WORKFLOWS)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "No findings to report" in done.stdout + done.stderr


# workflow, text replaced, its replacement, words the message must hold, and the place it must name: the line
# holding this text (actionlint and zizmor name file:line:col), or the key's path (check-jsonschema)
BREAKS = {
    "a key the schema does not know": (
        "ci.yml",
        "timeout-minutes: 90",
        "timeout-minute: 90",
        "'timeout-minute' was unexpected",
        "$.jobs.test",
    ),
    "an unknown runner (actionlint)": (
        "ci.yml",
        "runs-on: ubuntu-24.04",
        "runs-on: ubuntu-24.4",
        'label "ubuntu-24.4" is unknown',
        "runs-on: ubuntu-24.4",
    ),
    "a job that needs a missing job (actionlint)": (
        "publish.yml",
        "needs: build",
        "needs: biuld",
        'needs job "biuld" which does not exist',
        "  deploy:",
    ),
    "an unquoted variable in a script (shellcheck)": (
        "publish.yml",
        '--repo "$GITHUB_REPOSITORY"',
        "--repo $GITHUB_REPOSITORY",
        "SC2086",
        "--repo $GITHUB_REPOSITORY",
    ),
    "credentials kept in the checkout (zizmor)": (
        "ci.yml",
        "persist-credentials: false",
        "fetch-tags: true",
        "credential persistence",
        "uses: actions/checkout@",
    ),
}


@pytest.mark.parametrize("name", BREAKS)
def test_a_broken_workflow_fails_naming_the_place(name: str, tmp_path: Path) -> None:
    workflow, old, new, words, place = BREAKS[name]
    for path in WORKFLOWS.glob("*.yml"):
        shutil.copy(path, tmp_path)
    text = (tmp_path / workflow).read_text(encoding="utf-8")
    assert old in text, f"{workflow} no longer holds {old!r}: choose another break"
    broken = text.replace(old, new, 1)
    (tmp_path / workflow).write_text(broken, encoding="utf-8")

    done = check(tmp_path)
    output = done.stdout + done.stderr
    assert done.returncode != 0, output
    assert words in output, output
    if place.startswith("$."):
        assert f"{workflow}::{place}" in output, output
    else:
        line = broken[: broken.index(place)].count("\n") + 1
        assert f"{workflow}:{line}:" in output, output
