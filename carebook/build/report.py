"""What a build did: each chapter's outcome and each step's status and time, written to _build/report.json."""

from __future__ import annotations

import contextlib
import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from carebook.build import progress
from carebook.build.atomic import write_atomic

if TYPE_CHECKING:  # a type only: the editions' code (which times itself here) does not include the runner
    from carebook.build import run


@dataclass
class Report:
    """What a build did: each chapter's outcome, each step's status and time; written to _build/report.json."""

    executor: str = "local"
    outcomes: list[run.Outcome] = field(default_factory=list)
    steps: dict[str, dict] = field(default_factory=dict)
    status: str = "running"
    error: str = ""

    def count(self, status: str) -> int:
        """How many chapters ended with `status`."""
        return sum(o.status == status for o in self.outcomes)

    def summary(self) -> str:
        """One line: chapters executed, cached and failed, and time per step."""
        steps = ", ".join(f"{name} {step['seconds']:.1f} s" for name, step in self.steps.items())
        counts = f"{self.count('executed')} executed, {self.count('cached')} cached, {self.count('failed')} failed"
        return f"{counts}; {steps}"

    def to_json(self) -> dict:
        """The report as tests and the benchmark read it."""
        return {
            "status": self.status,
            "error": self.error,
            "executor": self.executor,
            "chapters": {
                o.slug: {"status": o.status, "seconds": round(o.seconds, 2), "reads": o.reads} for o in self.outcomes
            },
            "steps": {name: {**step, "seconds": round(step["seconds"], 2)} for name, step in self.steps.items()},
        }

    def write(self, build: Path) -> Path:
        """Write _build/report.json (after every build, good or failed)."""
        path = build / "report.json"
        with contextlib.suppress(OSError):  # an unwritable build folder is reported by the build itself
            write_atomic(path, json.dumps(self.to_json(), indent=1) + "\n")
        return path


class Timer:
    """Records the wall time and status (built, unchanged, failed) of a named step into a report."""

    def __init__(self, report: Report, name: str):
        self.report, self.name = report, name
        self.status = "built"

    def __enter__(self):
        self.start = time.monotonic()
        progress.step(self.name)
        return self

    def __exit__(self, kind, *exc):
        status = "failed" if kind else self.status
        self.report.steps[self.name] = {"status": status, "seconds": time.monotonic() - self.start}
