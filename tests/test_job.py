"""A chapter job has no side effects on the process that runs it: two chapters on the threads executor leave its
working folder and environment as they were, while they run and after."""

from __future__ import annotations

import os
import sys
import threading
from pathlib import Path


def test_two_chapters_on_threads_leave_cwd_and_environment_alone(minibook: Path, tmp_path: Path, monkeypatch):
    from carebook.build import run

    monkeypatch.chdir(tmp_path)
    cwd, environment = os.getcwd(), dict(os.environ)
    seen_cwd, seen_env, chdirs = set(), [], []
    monkeypatch.setattr(os, "chdir", lambda path: chdirs.append(path))  # a chdir is itself the defect
    done = threading.Event()

    def watch() -> None:
        while not done.wait(0.01):
            seen_cwd.add(os.getcwd())
            if dict(os.environ) != environment:
                seen_env.append(sorted(set(os.environ.items()) ^ set(environment.items())))

    watcher = threading.Thread(target=watch)
    watcher.start()
    try:
        outcomes = run.run_chapters(minibook, minibook / "_build", executor="threads", workers=2)
    finally:
        done.set()
        watcher.join()
    assert sorted((o.slug, o.status) for o in outcomes) == [("alpha", "executed"), ("beta", "executed")]
    assert chdirs == [], "a chapter job changed the process's working folder"
    assert seen_cwd == {cwd} and os.getcwd() == cwd
    assert not seen_env and dict(os.environ) == environment, seen_env[:1]


def test_a_worker_importing_the_job_loads_little():
    import json
    import subprocess

    code = "import json, sys, carebook.build.job; print(json.dumps(sorted(sys.modules)))"
    loaded = set(json.loads(subprocess.run([sys.executable, "-c", code], capture_output=True, check=True).stdout))
    assert not {"pandas", "yaml", "papermill", "sphinx", "carebook.build.stage", "carebook.build.pipeline"} & loaded
    assert len([name for name in loaded if name.startswith("carebook")]) <= 8
