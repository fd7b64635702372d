"""The command line hands every option it accepts to the build (an option accepted and dropped misleads)."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import ROOT

from carebook import build, cli
from carebook.build.outputs import TABLE


@pytest.mark.parametrize("command", ["build", *TABLE[1:]])  # every edition in the table of outputs
def test_each_build_command_passes_executor_and_scheduler(command: str, monkeypatch, tmp_path: Path):
    seen = {}

    def fake_build(root, out, params, **options):
        seen.update(options)
        raise KeyboardInterrupt  # stop before anything is built or printed as built

    monkeypatch.setattr(build, "build", fake_build)
    args = ["--root", str(ROOT), "--build-dir", str(tmp_path), command, "--executor", "dask"]
    assert cli.main([*args, "--scheduler", "tcp://127.0.0.1:9"]) == cli.INTERRUPTED
    assert seen["executor"] == "dask" and seen["scheduler"] == "tcp://127.0.0.1:9"
