"""The edition: which commit the book was built from, and when (from the commit, never the clock)."""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path


@dataclass(frozen=True)
class Edition:
    """Commit id and edition date of a build."""

    commit: str
    date: str  # ISO date

    @property
    def label(self) -> str:
        """'2026-11-22, commit 0123abcd4567' for title pages and footers."""
        return f"{self.date}, commit {self.commit}"


def _git(root: Path, *args: str) -> str:
    """Output of a git command in `root`, or '' when git or the repository is missing."""
    try:
        done = subprocess.run(["git", "-C", str(root), *args], capture_output=True, text=True, check=True)
    except (OSError, subprocess.CalledProcessError):
        return ""
    return done.stdout.strip()


def edition(root: Path) -> Edition:
    """The edition of the working tree: HEAD's commit (`+modified` with uncommitted changes) and date.

    $SOURCE_DATE_EPOCH wins for the date.
    """
    commit = _git(root, "rev-parse", "--short=12", "HEAD") or "uncommitted"
    if commit != "uncommitted" and _git(root, "status", "--porcelain", "--", "."):
        commit += "+modified"  # pages built from uncommitted changes never carry the last commit's bare label
    epoch = os.environ.get("SOURCE_DATE_EPOCH") or _git(root, "log", "-1", "--format=%ct") or "0"
    date = datetime.fromtimestamp(int(epoch), UTC).date().isoformat()
    return Edition(commit, date)
