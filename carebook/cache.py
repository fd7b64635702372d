"""The execution cache: a chapter is reused only while everything it depends on is unchanged."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path


def file_hash(path: Path) -> str:
    """sha256 of a file's bytes ('missing' if it does not exist)."""
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except FileNotFoundError:
        return "missing"


def tree_hash(folder: Path, pattern: str = "**/*.py") -> str:
    """One hash over the paths and contents of the files under `folder` matching `pattern`."""
    digest = hashlib.sha256()
    for path in sorted(folder.glob(pattern)):
        if path.is_file() and "__pycache__" not in path.parts:
            digest.update(str(path.relative_to(folder)).encode())
            digest.update(file_hash(path).encode())
    return digest.hexdigest()


def key(source: Path, parameters: dict, environment: str) -> str:
    """The part of a chapter's cache key known before it runs: its source, parameters and environment."""
    payload = json.dumps({"source": file_hash(source), "parameters": parameters, "env": environment}, sort_keys=True)
    return hashlib.sha256(payload.encode()).hexdigest()


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

    def is_fresh(self, run_key: str, output: Path) -> bool:
        """True when the last good run had this key, its output exists and no file it read changed."""
        record = self.read()
        if not record or record.get("key") != run_key or not output.exists():
            return False
        return all(file_hash(Path(path)) == digest for path, digest in record["deps"].items())

    def write(self, run_key: str, deps: list[Path], seconds: float) -> None:
        """Record a good run: its key, the hash of every file it read, and its time."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        record = {
            "key": run_key,
            "deps": {str(p): file_hash(p) for p in sorted(set(deps))},
            "seconds": round(seconds, 2),
        }
        self.path.write_text(json.dumps(record, indent=1, sort_keys=True), encoding="utf-8")

    def clear(self) -> None:
        """Forget the chapter (after a failed run: a failure is never recorded as good)."""
        self.path.unlink(missing_ok=True)
