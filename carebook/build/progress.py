"""Progress lines for people: the build tells the `carebook` logger, and the command line prints what it hears.

A program that calls the build API hears nothing unless it asks (`to_terminal()` or its own logging handler);
tools read `_build/report.json` instead.
"""

from __future__ import annotations

import logging
import sys
from typing import TextIO

LOG = logging.getLogger("carebook")


def chapter(slug: str, status: str, detail: str = "") -> None:
    """One line per chapter event: queued, running, cached, executed or failed."""
    LOG.info(f"  {status:<8} {slug}{'  ' + detail if detail else ''}")


def step(name: str, status: str = "") -> None:
    """A step of the build starting (`html...`) or skipped (`html... unchanged`)."""
    LOG.info(f"{name}...{' ' + status if status else ''}")


def page(word: str, name: str) -> None:
    """One line per page Sphinx reads or writes."""
    LOG.info(f"  {word:<8} {name}")


def waiting(message: str) -> None:
    """Something the person at the terminal waits on (another build holding the lock)."""
    LOG.warning(message)


def warning(message: str) -> None:
    """Something the person at the terminal should know about a build that still goes on."""
    LOG.warning(f"warning: {message}")


class _Below(logging.Filter):
    """Passes records below a level (so information goes to stdout, warnings to stderr)."""

    def __init__(self, level: int):
        super().__init__()
        self.level = level

    def filter(self, record: logging.LogRecord) -> bool:
        return record.levelno < self.level


def to_terminal(out: TextIO | None = None, err: TextIO | None = None) -> None:
    """Print progress on stdout and warnings on stderr, once however often it is called (the CLI and `serve`)."""
    if any(getattr(h, "carebook_terminal", False) for h in LOG.handlers):
        return
    info = logging.StreamHandler(out or sys.stdout)
    info.addFilter(_Below(logging.WARNING))
    warn = logging.StreamHandler(err or sys.stderr)
    warn.setLevel(logging.WARNING)
    for handler in (info, warn):
        handler.setFormatter(logging.Formatter("%(message)s"))
        handler.carebook_terminal = True
        LOG.addHandler(handler)
    LOG.setLevel(logging.INFO)
    LOG.propagate = False  # a program's own root handler would print every line twice
