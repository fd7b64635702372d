"""One stamp for every step: a step is skipped only while the hash of all its inputs matches its last good run.

A step's inputs are its declared files (the data, a chapter's code cells, the staged files an edition reads),
its code (the import closure of its entry modules, computed from the code), the lock file, and the settings
that change its output. This module is the one hasher of the build.
"""

from __future__ import annotations

import ast
import fnmatch
import functools
import hashlib
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1]  # carebook/: entries and closures are relative to it
LOCK = "requirements.lock"
MISSING = "missing"


def digest(*parts: str | bytes) -> str:
    """sha256 of the parts, each length-prefixed so that ('ab', 'c') and ('a', 'bc') differ."""
    hasher = hashlib.sha256()
    for part in parts:
        data = part.encode() if isinstance(part, str) else part
        hasher.update(f"{len(data)}:".encode())
        hasher.update(data)
    return hasher.hexdigest()


def file_hash(path: Path) -> str:
    """sha256 of a file's bytes ('missing' if it does not exist; a folder's: of its listing, as reads.py notes it)."""
    try:
        if Path(path).is_dir():
            return "dir:" + hashlib.sha256("\n".join(sorted(os.listdir(path))).encode()).hexdigest()
        return hashlib.sha256(Path(path).read_bytes()).hexdigest()
    except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
        return MISSING


def files_hash(base: Path, paths: Iterable[Path]) -> str:
    """One hash over the paths (relative to `base`) and contents of `paths`."""
    parts = []
    for path in sorted(paths):
        parts += [Path(path).relative_to(base).as_posix(), file_hash(path)]
    return digest(*parts)


def tree(folder: Path, ignore: Iterable[str] = ()) -> list[Path]:
    """The files under `folder` (no `_build`, no `__pycache__`) whose relative path matches no `ignore` pattern."""
    patterns = tuple(ignore)
    found = []
    for path in sorted(folder.rglob("*")) if folder.is_dir() else []:
        rel = path.relative_to(folder)
        skipped = {"_build", "__pycache__"} & set(rel.parts)
        if path.is_file() and not skipped and not any(fnmatch.fnmatch(rel.as_posix(), p) for p in patterns):
            found.append(path)
    return found


def module_file(name: str) -> str | None:
    """carebook's file for the dotted module `name` (relative to carebook/), or None if it is not carebook's."""
    parts = name.split(".")
    if parts[0] != "carebook":
        return None
    for candidate in (Path(*parts[1:], "__init__.py"), Path(*parts[1:]).with_suffix(".py") if parts[1:] else None):
        if candidate and (PACKAGE / candidate).is_file():
            return candidate.as_posix()
    return None


def _package_of(rel: str) -> str:
    """The dotted package a module file (relative to carebook/) belongs to."""
    parts = ["carebook", *Path(rel).parts[:-1]]
    return ".".join(parts)


STATEMENT_LISTS = ("body", "orelse", "finalbody")  # where statements nest; handlers and match cases hold more


def _statements(body: list) -> Iterator[ast.stmt]:
    """Every statement in `body` and the blocks nested in it (an import is a statement, at any depth), except
    those under `if TYPE_CHECKING:` (imports for type checkers only); expressions are not walked."""
    for statement in body:
        test = statement.test if isinstance(statement, ast.If) else None
        if test is not None and "TYPE_CHECKING" in {getattr(test, "id", None), getattr(test, "attr", None)}:
            yield from _statements(statement.orelse)
            continue
        yield statement
        for name in STATEMENT_LISTS:
            yield from _statements(getattr(statement, name, None) or [])
        for inner in (*getattr(statement, "handlers", ()), *getattr(statement, "cases", ())):
            yield from _statements(inner.body)


@functools.cache
def _imports(rel: str, mtime: float) -> frozenset[str]:
    """The carebook modules the file `rel` imports, at any depth (a lazy import counts), with their packages."""
    tree_ = ast.parse((PACKAGE / rel).read_text(encoding="utf-8"))
    names = []
    for node in _statements(tree_.body):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # relative: from the file's own package upwards
                package = _package_of(rel).split(".")
                base = ".".join([*package[: len(package) - node.level + 1], *([base] if base else [])])
            names += [base, *(f"{base}.{alias.name}" for alias in node.names)]
    found = set()
    for name in names:
        parts = name.split(".")
        for end in range(1, len(parts) + 1):  # importing a.b.c runs a/__init__ and a/b/__init__ too
            path = module_file(".".join(parts[:end]))
            if path:
                found.add(path)
    return frozenset(found)


def closure(entries: Iterable[str]) -> tuple[str, ...]:
    """Every carebook module (path relative to carebook/) that the entry modules import, directly or not."""
    seen: set[str] = set()
    todo = [*entries]
    for entry in list(todo):  # importing an entry runs its packages' __init__ first
        folders = Path(entry).parts[:-1]
        todo += [(Path(*folders[:n]) / "__init__.py").as_posix() for n in range(len(folders) + 1)]
    while todo:
        rel = todo.pop()
        if rel in seen or not (PACKAGE / rel).is_file():
            continue
        seen.add(rel)
        todo.extend(_imports(rel, (PACKAGE / rel).stat().st_mtime))
    return tuple(sorted(seen))


@dataclass(frozen=True)
class Step:
    """A step of the build: the modules it runs (entries) and the settings (environment variables) it reads."""

    name: str
    entries: tuple[str, ...]
    settings: tuple[str, ...] = ()

    @property
    def code(self) -> tuple[str, ...]:
        """Its code: the import closure of its entries."""
        return closure(self.entries)

    def environment(self, root: Path) -> str:
        """What every run of the step shares: its code, the lock file and its settings."""
        settings = [f"{name}={os.environ.get(name, '')}" for name in self.settings]
        code = files_hash(PACKAGE, [PACKAGE / rel for rel in self.code])
        return digest(self.name, code, file_hash(Path(root) / LOCK), *settings)

    def key(self, root: Path, *inputs: str) -> str:
        """The stamp of one run: the step's environment and the hashes of this run's own inputs."""
        return digest(self.environment(root), *inputs)


# What a chapter's kernel imports (its API) and the runner that executes it: an edit to any module they reach
# re-runs the chapters (to cli.py or sphinxext/html.py: none). The CAREBOOK_* settings change what passes.
# The kernel's API is carebook's top level, less the thin layers on top that no chapter imports.
NOT_KERNEL = ("cli.py", "serve.py", "scaffold.py", "lab.py")
KERNEL_ENTRIES = tuple(sorted(p.name for p in PACKAGE.glob("*.py") if p.name not in NOT_KERNEL))
RUNNER_ENTRIES = ("reads.py", "build/run.py", "build/job.py", "build/executors.py")
CHAPTER = Step(
    "chapter",
    (*KERNEL_ENTRIES, *RUNNER_ENTRIES),
    settings=("CAREBOOK_OUTPUT_LIMIT", "CAREBOOK_CELL_TIMEOUT"),
)
VALIDATE = Step("validate", ("build/validate.py",))
SPHINX_ENTRIES = ("build/sphinx.py",)  # every edition; each adds its own module and the config's extensions


def extension_entries(extensions: Iterable[str]) -> tuple[str, ...]:
    """The carebook modules among Sphinx extension names (carebook.sphinxext.html -> sphinxext/html.py)."""
    return tuple(path for name in extensions if (path := module_file(name)))
