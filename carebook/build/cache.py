"""What the last good run of each step was: a chapter's manifest (its key and the files it read, hashed as read)
and an edition's stamp. The keys themselves come from carebook.build.stamp, the one hasher."""

from __future__ import annotations

import json
from pathlib import Path

from carebook.build.atomic import write_atomic
from carebook.build.stamp import digest, file_hash

__all__ = ["Manifest", "Stamp", "changed_reads", "chapter_key", "digest", "file_hash"]


def chapter_key(environment: str, code_cells: list[str], kernel: dict, parameters: dict) -> str:
    """The part of a chapter's key known before it runs: the chapter step's environment (kernel-side and runner
    code, lock, settings: `stamp.CHAPTER.environment`), its code cells, kernel and parameters.

    Markdown cells are not part of it: a prose edit is merged into the cached outputs, never re-executed.
    """
    payload = json.dumps({"code": code_cells, "kernel": kernel, "parameters": parameters}, sort_keys=True)
    return digest(environment, payload)


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
        record = {"key": run_key, "reads": dict(sorted(reads.items())), "seconds": round(seconds, 2)}
        record["text_key"] = text_key
        write_atomic(self.path, json.dumps(record, indent=1, sort_keys=True))

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
        write_atomic(self.path, fingerprint)

    def clear(self) -> None:
        """Forget the last run (before a new attempt, so a failure never looks good)."""
        self.path.unlink(missing_ok=True)
