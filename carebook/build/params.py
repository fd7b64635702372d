"""The parameters each chapter declares (the names assigned in its cell tagged `parameters`, with their default
values and, where a comment says `one of: a, b, c`, their choices), and `-p` values checked against them."""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field
from pathlib import Path

from carebook.build.toc import chapters
from carebook.errors import UsageError, read_text

CHOICES = re.compile(r"one of:\s*(.+)$")


@dataclass(frozen=True)
class Parameter:
    """One declared parameter: its default (its type is the parameter's type) and its choices, if any."""

    name: str
    default: object = None
    choices: tuple = field(default_factory=tuple)

    def check(self, chapter: str, text: str) -> object:
        """The value of `-p chapter name=text`, parsed as YAML and checked; UsageError naming the argument."""
        import yaml

        argument = f"-p {chapter} {self.name}={text}"
        try:
            value = yaml.safe_load(text) if text.strip() else ""
        except yaml.YAMLError as exc:
            problem = str(getattr(exc, "problem", "") or "not a value").strip()
            hint = f"; quote text, e.g. {self.name}='...'" if isinstance(self.default, str) else ""
            raise UsageError(f"{argument}: cannot read the value ({problem}){hint}") from None
        if isinstance(self.default, str) and not isinstance(value, str):
            value = text  # a text parameter takes the text as typed (`-p x name=2026` gives "2026")
        if not _same_type(value, self.default):
            raise UsageError(f"{argument}: {self.name} takes {_kind(self.default)}, not {_kind(value)} ({value!r})")
        if self.choices and value not in self.choices:
            shown = ", ".join(repr(c) for c in self.choices)
            raise UsageError(f"{argument}: {value!r} is not one of {self.name}'s choices: {shown}")
        return value


def _kind(value: object) -> str:
    """How a type is named to the user."""
    return {bool: "true or false", int: "a whole number", float: "a number", str: "text"}.get(
        type(value), f"a {type(value).__name__}"
    )


def _same_type(value: object, default: object) -> bool:
    """True when `value` fits a parameter whose default is `default` (a whole number fits a number)."""
    if default is None:
        return True
    if isinstance(default, bool) or isinstance(value, bool):
        return type(value) is type(default)
    if isinstance(default, float):
        return isinstance(value, int | float)
    return isinstance(value, type(default))


def _choices(comment_lines: list[str]) -> tuple:
    """The choices a parameter's comment lists after `one of:` (comma-separated; "" for the empty text)."""
    text = " ".join(line.strip().lstrip("#").strip() for line in comment_lines)
    found = CHOICES.search(text)
    if not found:
        return ()
    return tuple(item.strip().strip("'\"") for item in found.group(1).rstrip(".").split(","))


def declarations(text: str, name: str = "") -> dict[str, Parameter]:
    """The parameters of a chapter's `parameters` cell, by name (empty if it has none)."""
    from carebook.build.chapter import check_front_matter, read_chapter

    check_front_matter(text, name)
    found: dict[str, Parameter] = {}
    for cell in read_chapter(text).cells:
        if cell.cell_type != "code" or "parameters" not in cell.metadata.get("tags", []):
            continue
        lines = cell.source.splitlines()
        body = ast.parse(cell.source).body
        for index, node in enumerate(body):
            targets = node.targets if isinstance(node, ast.Assign) else [getattr(node, "target", None)]
            end = body[index + 1].lineno - 1 if index + 1 < len(body) else len(lines)
            comment = [line.split("#", 1)[1] for line in lines[node.lineno - 1 : end] if "#" in line]
            try:
                default = ast.literal_eval(node.value) if getattr(node, "value", None) is not None else None
            except ValueError:
                default = None
            for target in targets:
                if isinstance(target, ast.Name):
                    found[target.id] = Parameter(target.id, default, _choices(comment))
    return found


def declared(text: str, name: str = "") -> list[str]:
    """The names assigned in a chapter's `parameters` cell (empty if it has none)."""
    return list(declarations(text, name))


def chapter_parameters(root: Path) -> dict[str, dict[str, Parameter]]:
    """Each chapter's slug and its parameters, in toc order."""
    return {
        page.slug: declarations(read_text(page.path, root), page.path.relative_to(root).as_posix())
        for page in chapters(root)
    }
