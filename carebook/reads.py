"""Inside a chapter's kernel: note every file the chapter reads under the book's root, hashed from the bytes read.

The build installs `install()` in each kernel at start; `data.load` also records the table, its schema and the
package descriptor from the very bytes it parsed. The build compares these hashes with the files after the run.
"""

from __future__ import annotations

import hashlib
import os
import sys
import threading

DEPS_ENV = "CAREBOOK_DEPS"  # the file this kernel notes its reads in: one `path<TAB>sha256` line each
ROOT_ENV = "CAREBOOK_ROOT"  # the book's root: reads outside it (Python, installed packages) are not inputs
NOT_INPUTS = (".venv", "_build", "carebook", ".git", "__pycache__", ".ipynb_checkpoints")
WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_APPEND | os.O_CREAT

_guard = threading.local()


def _relative(path: str) -> str | None:
    """`path` relative to the book's root when it is an input there, else None."""
    root = os.environ.get(ROOT_ENV)
    if not root or not os.environ.get(DEPS_ENV):
        return None
    full = os.path.realpath(path)
    base = os.path.realpath(root)
    if not full.startswith(base + os.sep):
        return None
    rel = os.path.relpath(full, base)
    if any(part in NOT_INPUTS for part in rel.split(os.sep)) or not os.path.isfile(full):
        return None
    return rel


def record(path: str | os.PathLike, content: bytes | None = None) -> None:
    """Note that the chapter read `path`, with the hash of `content` (the bytes read) or of the file now."""
    if getattr(_guard, "busy", False):
        return
    _guard.busy = True
    try:
        rel = _relative(os.fspath(path))
        if rel is None:
            return
        if content is None:
            with open(path, "rb") as handle:
                content = handle.read()
        with open(os.environ[DEPS_ENV], "a", encoding="utf-8") as deps:
            deps.write(f"{rel}\t{hashlib.sha256(content).hexdigest()}\n")
    finally:
        _guard.busy = False


def _hook(event: str, args: tuple) -> None:
    """Python's audit hook: every file opened for reading is recorded."""
    if event != "open" or getattr(_guard, "busy", False):
        return
    path, mode, flags = args
    if not isinstance(path, str | bytes | os.PathLike):
        return  # an open file descriptor
    reading = ("r" in mode and "+" not in mode) if isinstance(mode, str) else not (flags or 0) & WRITE_FLAGS
    if reading:
        record(os.fsdecode(path))


def install() -> None:
    """Record every read under the root from now on, in this process (called once, at kernel start)."""
    if os.environ.get(DEPS_ENV) and not getattr(sys, "_carebook_reads", False):
        sys._carebook_reads = True
        sys.addaudithook(_hook)
