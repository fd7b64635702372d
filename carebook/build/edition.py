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
        return f"{self.date}, {self.commit}" if self.commit == UNVERSIONED else f"{self.date}, commit {self.commit}"


def _git(root: Path, *args: str) -> str:
    """Output of a git command in `root`, or '' when git or the repository is missing."""
    try:
        done = subprocess.run(["git", "-C", str(root), *args], capture_output=True, text=True, check=True)
    except (OSError, subprocess.CalledProcessError):
        return ""
    return done.stdout.strip()


SOURCES = ("_config.yml", "_toc.yml", "references.bib", "book", "data", "_static")  # what a book is made from
UNVERSIONED = "unversioned"


def edition(root: Path) -> Edition:
    """The edition of the working tree: HEAD's commit (`+modified` with uncommitted changes) and date.

    $SOURCE_DATE_EPOCH wins for the date. Without git (a `git archive` or a copied folder) the edition says
    'unversioned' and is dated by its newest source file (an archive keeps the commit's time on each file).
    """
    commit = _git(root, "rev-parse", "--short=12", "HEAD")
    if commit and _git(root, "status", "--porcelain", "--", "."):
        commit += "+modified"  # pages built from uncommitted changes never carry the last commit's bare label
    epoch = os.environ.get("SOURCE_DATE_EPOCH") or (commit and _git(root, "log", "-1", "--format=%ct"))
    if not commit:
        from carebook.build import progress

        progress.warning(f"no git repository here: the edition is labelled '{UNVERSIONED}', dated by its source files")
    date = datetime.fromtimestamp(int(epoch) if epoch else newest_source(root), UTC).date().isoformat()
    return Edition(commit or UNVERSIONED, date)


def newest_source(root: Path) -> float:
    """The modification time of the newest source file of the book."""
    times = []
    for name in SOURCES:
        path = root / name
        found = path.rglob("*") if path.is_dir() else [path]
        times += [p.stat().st_mtime for p in found if p.is_file()]
    return max(times)
