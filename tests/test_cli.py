"""The command line: one line for every failure, Ctrl-C, unexpected errors, edition labels, the build lock."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import carebook

from carebook import errors
from carebook.build import edition

pytestmark = pytest.mark.build  # runs carebook builds itself


def test_ctrl_c_says_interrupted_and_exits_130(minibook: Path):
    chapter = minibook / "book" / "beta.md"
    chapter.write_text(chapter.read_text() + "\n```{code-cell} ipython3\nimport time\ntime.sleep(60)\n```\n")
    build = subprocess.Popen(
        [sys.executable, "-m", "carebook.cli", "build"],
        cwd=minibook,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    for line in build.stdout:
        if line.strip().startswith("running"):
            break
    time.sleep(3)
    os.killpg(build.pid, signal.SIGINT)  # as a terminal's Ctrl-C does: the whole process group
    stdout, stderr = build.communicate(timeout=60)
    assert build.returncode == 130, stdout + stderr
    assert "interrupted; the last good build is untouched" in stderr
    assert "Traceback" not in stdout + stderr
    assert not (minibook / "_build" / "html").exists()


def test_an_unexpected_error_is_one_line_and_a_log(minibook: Path):
    (minibook / "references.bib").unlink()
    (minibook / "references.bib").mkdir()  # staging then reads a folder as a file: a case no check foresees
    done = carebook("build", cwd=minibook)
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    line = done.stderr.strip().splitlines()[-1]
    assert line.startswith("error: unexpected ") and "(traceback in " in line, done.stderr
    log = Path(line.rsplit("(traceback in ", 1)[1].rstrip(")"))
    assert "Traceback" in log.read_text(encoding="utf-8")


def test_permission_errors_name_the_path_and_the_fix():
    try:
        with errors.translated():
            raise PermissionError(13, "Permission denied", "/book/_build/html")
    except errors.CarebookError as exc:
        assert str(exc) == "/book/_build/html: permission denied"
        assert "chmod" in exc.hint
    else:
        raise AssertionError("a PermissionError must become a CarebookError")


def test_uncommitted_changes_show_in_the_edition_label(tmp_path: Path):
    def git(*args: str) -> None:
        subprocess.run(["git", "-C", str(tmp_path), *args], check=True, capture_output=True)

    git("init", "-q")
    (tmp_path / "a.md").write_text("one\n")
    git("add", "a.md")
    git("-c", "user.name=t", "-c", "user.email=t@example.org", "commit", "-qm", "first")
    clean = edition.edition(tmp_path)
    assert "+" not in clean.commit and len(clean.commit) == 12
    (tmp_path / "a.md").write_text("two\n")
    assert edition.edition(tmp_path).commit == f"{clean.commit}+modified"
    assert edition.edition(tmp_path).label.endswith(f"commit {clean.commit}+modified")
