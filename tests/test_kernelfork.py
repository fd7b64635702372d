"""Kernels forked from a warm template (carebook/build/kernelfork.py) start as a fresh kernel would, share no
state between chapters, and stop when they are stopped or their template goes."""

from __future__ import annotations

import json
import os
import signal
import time
from pathlib import Path

import pytest

PROBE = """
import builtins, json, os, sys, tempfile, time
import pandas as pd
own = ("CAREBOOK_DEPS", "CAREBOOK_SCRATCH", "TMPDIR")
print(json.dumps({
    "cwd": os.getcwd(),
    "path": sys.path,
    "env": {k: v for k, v in os.environ.items() if k not in (*own, "JPY_PARENT_PID")},
    "own_folders": [os.environ[k] for k in own],
    "tmp": tempfile.gettempdir(),
    "tz": time.tzname,
    "max_columns": pd.get_option("display.max_columns"),
    "ipython_kernel": hasattr(get_ipython(), "kernel"),
    "reads_installed": getattr(sys, "_carebook_reads", False),
    "main": sys.modules["__main__"].__name__,
    "pid": os.getpid(),
}))
"""


def _job(root: Path, preload: tuple[str, ...]):
    from carebook.build.chapter import ChapterJob

    return ChapterJob("alpha", "book/alpha.md", "", {}, str(root), str(root / "data"), preload=preload)


def _run(spare, code: str) -> str:
    """The text a cell printed in the kernel of `spare`."""
    from jupyter_core.utils import run_sync

    client = spare.manager.client()
    client.start_channels()
    printed = []
    try:
        run_sync(client.wait_for_ready)(timeout=60)
        run_sync(client.execute_interactive)(
            code, output_hook=lambda m: printed.append(m["content"].get("text", "")), timeout=60
        )
    finally:
        client.stop_channels()
    return "".join(printed)


@pytest.fixture
def kernels(minibook: Path):
    """Start kernels in the minibook (plain, or forked from the template) and stop them all afterwards."""
    from carebook.build import job as chapter_job
    from carebook.build.executors import PRELOAD

    started = []

    def start(forked: bool):
        spare = chapter_job._start_kernel(_job(minibook, PRELOAD if forked else ()), str(minibook / "book"))
        started.append(spare)
        return spare

    yield start
    for spare in started:
        chapter_job._stop(spare)
        spare.folder.cleanup()
    for template in _templates_of(minibook):
        template.close()


def _templates_of(root: Path) -> list:
    """This process's templates for kernels of the book at `root`."""
    from carebook.build import kernelfork

    return [template for key, template in kernelfork._templates.items() if key[0] == str(root)]


def test_a_forked_kernel_starts_as_a_fresh_one_would(kernels):
    from carebook.build.kernelfork import Forked

    plain, forked = kernels(forked=False), kernels(forked=True)
    assert not isinstance(plain.manager.provisioner.process, Forked)
    assert isinstance(forked.manager.provisioner.process, Forked), "the kernel was not forked from the template"
    seen = [json.loads(_run(spare, PROBE)) for spare in (plain, forked)]
    for key in ("cwd", "path", "env", "tz", "max_columns", "ipython_kernel", "reads_installed", "main"):
        assert seen[0][key] == seen[1][key], key
    for spare, found in zip((plain, forked), seen, strict=True):
        folder = spare.folder.name
        assert all(path.startswith(folder) for path in found["own_folders"]), found["own_folders"]
        assert found["tmp"].startswith(folder)
    assert seen[0]["max_columns"] == 20  # pandas imported in a kernel: it cannot size the columns itself


def test_a_forked_kernel_stops_when_stopped_and_when_its_template_goes(kernels, minibook: Path):
    from jupyter_core.utils import run_sync

    from carebook.build import job as chapter_job

    first, second = kernels(forked=True), kernels(forked=True)
    pids = [spare.manager.provisioner.process.pid for spare in (first, second)]
    chapter_job._stop(first)
    assert _gone(pids[0]), "a stopped kernel is still running"
    (template,) = _templates_of(minibook)
    os.kill(template.process.pid, signal.SIGKILL)
    assert _gone(pids[1], seconds=10), "a kernel outlived its template"
    assert not run_sync(second.manager.is_alive)()


def _gone(pid: int, seconds: float = 5) -> bool:
    """True once process `pid` has ended, within `seconds`."""
    from carebook.build.kernelfork import _running

    deadline = time.monotonic() + seconds
    while _running(pid):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


LEAVES_A_MARK = """
```{code-cell} ipython3
import os
import carebook.prose

assert not hasattr(carebook.prose, "left_by"), f"state left by {carebook.prose.left_by}"
carebook.prose.left_by = os.getpid()
print("parent", os.getppid())
```
"""


def test_chapters_fork_from_one_shared_template_and_share_no_state(minibook: Path, monkeypatch):
    from carebook.build import kernelfork, run

    shared = []
    share = kernelfork.share
    monkeypatch.setattr(kernelfork, "share", lambda *a: shared.append(share(*a)) or shared[-1])
    for name in ("alpha", "beta"):
        path = minibook / "book" / f"{name}.md"
        path.write_text(path.read_text(encoding="utf-8") + LEAVES_A_MARK, encoding="utf-8")
    build = minibook / "_build"
    with run.kernels_ahead(minibook, build, force=True, workers=1) as pool:  # one worker: kernels one after another
        outcomes = run.run_chapters(minibook, build, force=True, workers=1, pool=pool)
    assert [(o.slug, o.status, o.error) for o in outcomes] == [("alpha", "executed", ""), ("beta", "executed", "")]
    (template,) = shared
    for name in ("alpha", "beta"):
        printed = json.loads((build / "executed" / f"{name}.ipynb").read_text(encoding="utf-8"))["cells"][-1]
        assert "".join(printed["outputs"][0]["text"]).split() == ["parent", str(template.process.pid)]
    assert not template.alive(), "the build left its template running"
