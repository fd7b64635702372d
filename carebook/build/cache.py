"""One stamping rule for every step: a step is skipped only while the hash of all its inputs, its own code
included, matches the stamp of its last good run."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1]  # carebook/: the lists below are relative to it
# What a chapter's kernel imports from carebook: an edit to these re-runs chapters (cli.py or html.py: no).
KERNEL_CODE = (
    "__init__.py",
    "data.py",
    "prose.py",
    "charts.py",
    "shapes.py",
    "facts.py",
    "chartdata.py",
    "layouts.py",
    "reads.py",
    "provenance.py",
    "citations.py",
    "markup.py",
)
# What every Sphinx step runs: an edit to these rebuilds each output without running a chapter (each output
# adds its own module and extensions: carebook/build/outputs/).
SPHINX_CODE = (
    "sphinxext/html.py",
    "build/sphinx.py",
    "sphinxext/figurelinks.py",
    "sphinxext/editions.py",
    "sphinxext/bibliography.py",
    "citations.py",
    "_compat.py",  # the pybtex memo, the bibliography order and the rebuild repairs
)
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
    """sha256 of a file's bytes ('missing' if it does not exist)."""
    try:
        return hashlib.sha256(Path(path).read_bytes()).hexdigest()
    except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
        return MISSING


def files_hash(base: Path, paths: list[Path]) -> str:
    """One hash over the paths (relative to `base`) and contents of `paths`."""
    parts = []
    for path in sorted(paths):
        parts += [str(Path(path).relative_to(base)), file_hash(path)]
    return digest(*parts)


def tree_hash(folder: Path, pattern: str = "**/*") -> str:
    """One hash over the files under `folder` matching `pattern` (no __pycache__, no _build)."""
    skip = ("__pycache__", "_build")
    found = [p for p in folder.glob(pattern) if p.is_file() and not skip_any(p.relative_to(folder).parts, skip)]
    return files_hash(folder, found)


def skip_any(parts: tuple[str, ...], names: tuple[str, ...]) -> bool:
    """True when any of `names` is one of the path's parts."""
    return any(name in parts for name in names)


def code_hash(modules: tuple[str, ...]) -> str:
    """The hash of some of carebook's own modules (a step's code)."""
    return files_hash(PACKAGE, [PACKAGE / name for name in modules])


def chapter_key(code_cells: list[str], kernel: dict, parameters: dict, lock: Path) -> str:
    """The part of a chapter's key known before it runs: code cells, kernel, parameters, lock, kernel-side code.

    Markdown cells are not part of it: a prose edit is merged into the cached outputs, never re-executed.
    """
    payload = json.dumps({"code": code_cells, "kernel": kernel, "parameters": parameters}, sort_keys=True)
    return digest(payload, file_hash(lock), code_hash(KERNEL_CODE))


def changed_reads(root: Path, reads: dict[str, str]) -> list[str]:
    """The recorded reads (path relative to `root` -> hash when read) whose file now differs."""
    return [path for path, seen in sorted(reads.items()) if file_hash(root / path) != seen]


class Manifest:
    """What a chapter's last good run depended on: stored in `_build/cache/<slug>.json`."""

    def __init__(self, folder: Path, slug: str):
        self.path = folder / f"{slug}.json"

    def read(self) -> dict | None:
        """The stored record, or None."""
        try:
            return json.loads(self.path.read_text(encoding="utf-8"))
        except (FileNotFoundError, json.JSONDecodeError):
            return None

    def is_fresh(self, run_key: str, output: Path, root: Path) -> bool:
        """True when the last good run had this key, its output exists and no file it read has changed since."""
        record = self.read()
        if not record or record.get("key") != run_key or not output.exists():
            return False
        return not changed_reads(root, record.get("reads", {}))

    def write(self, run_key: str, reads: dict[str, str], seconds: float, text_key: str = "") -> None:
        """Record a good run: its key, the hash of every file it read (taken when read), its time, its text's stamp."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        record = {"key": run_key, "reads": dict(sorted(reads.items())), "seconds": round(seconds, 2)}
        record["text_key"] = text_key
        self.path.write_text(json.dumps(record, indent=1, sort_keys=True), encoding="utf-8")

    def restamp(self, text_key: str) -> None:
        """After a prose edit was merged: the stamp of the chapter's whole text, so the next build need not parse it."""
        record = self.read()
        if record and record.get("text_key") != text_key:
            self.write(record["key"], record["reads"], record["seconds"], text_key)

    def clear(self) -> None:
        """Forget the chapter (after a failed run: a failure is never recorded as good)."""
        self.path.unlink(missing_ok=True)


class Stamp:
    """The stamp of a build step (HTML, PDF): the hash of all its inputs at its last good run."""

    def __init__(self, path: Path):
        self.path = path

    def matches(self, fingerprint: str, output: Path) -> bool:
        """True when `output` exists and was built from inputs with this fingerprint."""
        return output.exists() and self.path.exists() and self.path.read_text(encoding="utf-8") == fingerprint

    def write(self, fingerprint: str) -> None:
        """Record a good run."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.path.write_text(fingerprint, encoding="utf-8")

    def clear(self) -> None:
        """Forget the last run (before a new attempt, so a failure never looks good)."""
        self.path.unlink(missing_ok=True)
