"""One base error for every failure the build reports: it carries the place (file, line, chapter, cell) and a hint."""

from __future__ import annotations

import contextlib
import os
from dataclasses import dataclass
from pathlib import Path


@dataclass
class Place:
    """Where a problem is: a file and line, or a chapter and its code cell."""

    file: str = ""
    line: int | None = None
    column: int | None = None
    chapter: str = ""
    cell: int | None = None

    def __str__(self) -> str:
        parts = []
        if self.file:
            parts.append(":".join([self.file, *(str(n) for n in (self.line, self.column) if n is not None)]))
        if self.chapter:
            parts.append(f"chapter '{self.chapter}'" + (f", code cell {self.cell}" if self.cell else ""))
        return ": ".join(parts)


class CarebookError(Exception):
    """A failure the user can act on: a message, where it happened, and what to do (the CLI prints all three)."""

    hint = ""

    def __init__(self, message: str, place: Place | None = None, hint: str = ""):
        super().__init__(message)
        self.message = message
        self.place = place or Place()
        self.hint = hint or type(self).hint

    def __str__(self) -> str:
        where = str(self.place)
        return f"{where}: {self.message}" if where else self.message


class DataInvalid(CarebookError):
    """The data package failed validation; the message has one line per problem."""

    hint = "the data is invalid; no chapter was run and the last good build is untouched"


class ExecutionFailed(CarebookError):
    """One or more chapters failed; the message has one line per failure."""

    hint = "a chapter failed; the last good build is untouched"


class SphinxFailed(CarebookError):
    """The Sphinx or LaTeX step failed; the message lists the warnings with their places."""

    hint = "the last good build is untouched"


class NonDeterministic(CarebookError):
    """Two runs of the same chapters gave different outputs."""

    hint = "fix the chapter so it gives the same output every run (seed random numbers)"


class ConfigInvalid(CarebookError):
    """A configuration file (_toc.yml, _config.yml, front matter) cannot be read or is wrong."""

    hint = "fix the file; the last good build is untouched"


class UsageError(CarebookError):
    """The command line asked for something that does not exist (an unknown chapter or parameter)."""


class NotWritable(CarebookError):
    """The build cannot write where it must."""

    hint = "make the folder writable (chmod u+w) or choose another with --build-dir"


@contextlib.contextmanager
def translated():
    """Turn the operating system's failures into CarebookErrors that name the path and the fix."""
    try:
        yield
    except PermissionError as exc:
        path = exc.filename or "a file"
        raise NotWritable("permission denied", Place(file=str(path))) from exc
    except UnicodeDecodeError as exc:
        raise ConfigInvalid(f"not valid UTF-8 ({exc.reason})", hint="save the file as UTF-8") from exc
    except yaml_error() as exc:
        raise ConfigInvalid(f"invalid YAML: {exc}") from exc


def yaml_error() -> type[Exception]:
    """PyYAML's base error."""
    import yaml

    return yaml.YAMLError


def read_text(path: Path, root: Path | None = None) -> str:
    """A UTF-8 text file's content; a file in another encoding is refused naming the file and line."""
    raw = Path(path).read_bytes()
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        name = os.path.relpath(path, root) if root else str(path)
        raise ConfigInvalid(
            f"byte 0x{raw[exc.start]:02x} is not valid UTF-8", Place(file=name, line=line), "save the file as UTF-8"
        ) from exc


def load_yaml(text: str, name: str, first_line: int = 1):
    """Parse YAML; an error names the file, line and column (`first_line`: where `text` starts in the file)."""
    import yaml

    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        line = mark.line + first_line if mark else None
        column = mark.column + 1 if mark else None
        raise ConfigInvalid(f"invalid YAML: {problem}", Place(file=name, line=line, column=column)) from exc
