"""Inside a chapter's kernel: the chapter's boundary.

Every file the chapter opens or tests for (open, os.stat, os.path.exists, Path.exists, os.listdir, os.scandir)
under the book's root is noted by its resolved path (symlinks followed), hashed from the bytes read, and a file
found missing is noted as missing, so that its appearance re-runs the chapter. A read outside the root is
refused unless it is Python's own (the standard library, installed packages, the kernel's files) or under a
folder listed in $CAREBOOK_READ_OUTSIDE (then it is noted too, by its absolute path). A write anywhere but the
chapter's own scratch folder ($CAREBOOK_SCRATCH, also its TMPDIR) is refused, so nothing a chapter does can
touch the published site. The build installs `install()` in each kernel at start; `data.load` also records the
table, its schema and the package descriptor from the very bytes it parsed.
"""

from __future__ import annotations

import functools
import hashlib
import os
import sys
import threading

DEPS_ENV = "CAREBOOK_DEPS"  # the file this kernel notes its reads in: one `path<TAB>sha256` line each
ROOT_ENV = "CAREBOOK_ROOT"  # the book's root: the chapter's inputs live here
SCRATCH_ENV = "CAREBOOK_SCRATCH"  # the one folder a chapter may write in
DATA_ENV = "CAREBOOK_DATA"  # the data folder a chapter loads its tables from (carebook.data)
OUTSIDE_ENV = "CAREBOOK_READ_OUTSIDE"  # folders outside the root a chapter may read (os.pathsep-separated)
NOT_INPUTS = (".venv", "_build", "carebook", ".git", "__pycache__", ".ipynb_checkpoints")
WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_APPEND | os.O_CREAT | os.O_TRUNC
MISSING = "missing"  # as cache.MISSING: the hash of a file that is not there
SYSTEM_READS = ("/usr", "/dev", "/proc", "/sys", "/etc/localtime", "/etc/timezone", "/etc/mime.types", "/etc/ssl")
KERNEL_HOME = (".ipython", ".jupyter", ".local/share/jupyter", ".config", ".cache", ".local/lib")
# Audit events that change the file system, and which of their arguments are paths.
CHANGES = {"os.remove": 1, "os.rmdir": 1, "os.mkdir": 1, "os.rename": 2, "os.truncate": 1, "os.symlink": 2}
CHANGES |= {"os.link": 2, "os.chmod": 1, "os.chown": 1, "os.utime": 1, "shutil.rmtree": 1, "shutil.move": 2}
LISTINGS = ("os.listdir", "os.scandir")
# A program a chapter started would be outside every check above: refused.
PROGRAMS = ("subprocess.Popen", "os.system", "os.exec", "os.posix_spawn", "os.spawn", "os.fork", "os.forkpty")

_guard = threading.local()
_stat = os.stat


class OutsideBoundary(PermissionError):
    """A chapter read or wrote where it may not: one line naming the file and what the chapter may do instead."""


def _under(path: str, folders) -> bool:
    """True when `path` is one of `folders` or inside one."""
    return any(path == f or path.startswith(f.rstrip(os.sep) + os.sep) for f in folders if f)


@functools.cache
def _python_folders() -> list[str]:
    """Where Python, the installed packages and the kernel keep their own files."""
    home = os.path.expanduser("~")
    package = os.path.dirname(os.path.abspath(__file__))  # carebook itself, wherever it is installed
    found = [sys.prefix, sys.base_prefix, sys.exec_prefix, package, *SYSTEM_READS]
    found += [os.path.join(home, folder) for folder in KERNEL_HOME]
    found += [p for p in sys.path if p and os.path.isabs(p) and not _under(os.path.realpath(p), _roots())]
    return [os.path.realpath(p) for p in found]


def _roots() -> list[str]:
    """The book's root (resolved)."""
    root = os.environ.get(ROOT_ENV)
    return [os.path.realpath(root)] if root else []


def _outside_allowed() -> list[str]:
    """The configured folders outside the root a chapter may read (recorded), and the data folder."""
    listed = os.environ.get(OUTSIDE_ENV, "").split(os.pathsep)
    return [os.path.realpath(p) for p in [*listed, os.environ.get("CAREBOOK_DATA", "")] if p]


def _scratch() -> list[str]:
    """The chapter's scratch folder (resolved)."""
    scratch = os.environ.get(SCRATCH_ENV)
    return [os.path.realpath(scratch), "/dev/null"] if scratch else []


def _key(full: str, strict: bool) -> str | None:
    """How a read of the resolved path `full` is recorded: relative to the root, or absolute when outside it
    (an allowed folder); None when it is no input (Python's own files, the build folder, the package). Outside
    these, a read (`strict`) is refused; a test for a file there (os.stat) is left alone, unrecorded."""
    roots = _roots()
    if roots and _under(full, roots):
        rel = os.path.relpath(full, roots[0])
        return None if any(part in NOT_INPUTS for part in rel.split(os.sep)) else rel
    if _under(full, _outside_allowed()):
        return full
    if not strict or _under(full, _python_folders()) or _under(full, _scratch()):
        return None
    raise OutsideBoundary(
        f"a chapter may read only files under the book's root: {full} is outside it "
        f"(list its folder in {OUTSIDE_ENV} to allow it)"
    )


def _hash_now(full: str) -> str | None:
    """The hash of the file's bytes now, 'missing' if absent, a listing's hash for a folder."""
    try:
        if os.path.isdir(full):
            return "dir:" + hashlib.sha256("\n".join(sorted(os.listdir(full))).encode()).hexdigest()
        with open(full, "rb") as handle:
            return hashlib.sha256(handle.read()).hexdigest()
    except FileNotFoundError:
        return MISSING
    except OSError:
        return None


def _note(key: str, digest: str) -> None:
    """Append one read to this kernel's record."""
    with open(os.environ[DEPS_ENV], "a", encoding="utf-8") as deps:
        deps.write(f"{key}\t{digest}\n")


def record(path: str | os.PathLike, content: bytes | None = None, *, listing: bool = False, strict: bool = True):
    """Note that the chapter read `path`, with the hash of `content` (the bytes read) or of the file now; a read
    outside the boundary (`strict`) raises OutsideBoundary."""
    if getattr(_guard, "busy", False) or not os.environ.get(DEPS_ENV) or not os.environ.get(ROOT_ENV):
        return
    _guard.busy = True
    try:
        full = os.path.realpath(os.fsdecode(path))
        key = _key(full, strict)
        if key is None or (os.path.isdir(full) and not listing):
            return
        digest = hashlib.sha256(content).hexdigest() if content is not None else _hash_now(full)
        if digest is not None:
            _note(key, digest)
    finally:
        _guard.busy = False


def _check_write(path) -> None:
    """Refuse a write outside the scratch folder."""
    full = os.path.realpath(os.fsdecode(path))
    if not _under(full, _scratch()):
        raise OutsideBoundary(
            f"a chapter may write only in its scratch folder (tempfile.gettempdir()): {full} is outside it"
        )


def _hook(event: str, args: tuple) -> None:
    """Python's audit hook: reads are recorded (or refused outside the root), writes outside scratch refused."""
    if getattr(_guard, "busy", False):
        return
    if event == "open":
        path, mode, flags = args
        if not isinstance(path, str | bytes | os.PathLike):
            return  # an open file descriptor
        writing = ("r" not in mode or "+" in mode) if isinstance(mode, str) else bool((flags or 0) & WRITE_FLAGS)
        if writing:
            _check_write(path)
        else:
            record(path)
    elif event in CHANGES:
        for path in args[: CHANGES[event]]:
            if isinstance(path, str | bytes | os.PathLike):
                _check_write(path)
    elif event in PROGRAMS:
        raise OutsideBoundary(f"a chapter may not start other programs ({event}): compute in the chapter instead")
    elif event in LISTINGS and args and isinstance(args[0], str | bytes | os.PathLike) and not _importing():
        record(args[0], listing=True, strict=False)


def _importing() -> bool:
    """True when the listing is the import system's (it lists each folder on sys.path): not the chapter's."""
    caller = sys._getframe(2)  # _hook's caller is the audit machinery; the next frame called os.listdir
    return caller.f_globals.get("__name__", "").startswith("importlib")


def _recording_stat(path, *args, **kwargs):
    """os.stat that records the file tested for (os.path.exists, Path.exists and isfile go through it)."""
    if isinstance(path, str | bytes | os.PathLike) and not getattr(_guard, "busy", False):
        record(path, strict=False)
    return _stat(path, *args, **kwargs)


def install() -> None:
    """Keep this process's chapter within its boundary from now on (called once, at kernel start)."""
    if os.environ.get(DEPS_ENV) and not getattr(sys, "_carebook_reads", False):
        sys._carebook_reads = True
        sys.addaudithook(_hook)
        os.stat = _recording_stat
