"""The text the book publishes besides its data rows: references.bib, datapackage.json's titles and
descriptions, and the pages' titles. Checked before anything runs, one `file:line: message` line per problem:
only http(s) addresses, no invisible control characters, no `%` BibTeX would read as a comment, no `{{`
MyST would read as a substitution."""

from __future__ import annotations

import json
import re
import unicodedata
from pathlib import Path

from carebook.build.toc import pages

URL_FIELDS = ("url", "homepage", "href")  # fields holding an address readers follow
SCHEME = re.compile(r"^\s*([A-Za-z][A-Za-z0-9+.-]*):")
BIB_ENTRY = re.compile(r"@(\w+)\s*\{\s*([^,\s]+)\s*,")
BIB_FIELD = re.compile(r"\s*(\w+)\s*=\s*")
TEMPLATE = re.compile(r"\{\{|\{%|%\}|\}\}")


def invisible(text: str) -> str | None:
    """The first control or direction-changing character in `text` (tabs and line breaks allowed), described."""
    for char in text:
        if char in "\t\n\r":
            continue
        if unicodedata.category(char) in ("Cc", "Cf") and char not in "\u00ad\u200d":  # soft hyphen, ZWJ
            name = unicodedata.name(char, "a control character")
            return f"the invisible character U+{ord(char):04X} ({name})"
    return None


def bad_address(value: str) -> str | None:
    """Why `value` may not be a link readers follow (only http and https), or None."""
    scheme = SCHEME.match(value)
    if scheme and scheme.group(1).lower() not in ("http", "https"):
        return f"only http(s) addresses may be published, not {scheme.group(1)}:"
    return None


def _line(text: str, position: int) -> int:
    return text.count("\n", 0, position) + 1


def _braced(text: str, start: int) -> int:
    """The index just past the brace group opening at `start`, or -1 when it never closes."""
    depth = 0
    for index in range(start, len(text)):
        if text[index] == "{" and text[index - 1] != "\\":
            depth += 1
        elif text[index] == "}" and text[index - 1] != "\\":
            depth -= 1
            if depth == 0:
                return index + 1
    return -1


def bib_fields(text: str):
    """(line, key, field, value) for each field of each entry; a value that never closes is yielded as None."""
    for entry in BIB_ENTRY.finditer(text):
        key, at = entry.group(2), entry.end()
        while True:
            field = BIB_FIELD.match(text, at)
            if not field:
                break
            start = field.end()
            if text[start : start + 1] == "{":
                end = _braced(text, start)
                value = text[start + 1 : end - 1] if end > 0 else None
            elif text[start : start + 1] == '"':
                end = text.find('"', start + 1) + 1
                value = text[start + 1 : end - 1] if end > 0 else None
            else:
                found = re.match(r"[\w-]+", text[start:])
                end = start + (found.end() if found else 0)
                value = found.group(0) if found else ""
            yield _line(text, field.start(1)), key, field.group(1).lower(), value
            if value is None:
                break
            at = end
            comma = re.match(r"\s*,", text[at:])
            if not comma:
                break
            at += comma.end()


def bib_problems(path: Path, name: str = "references.bib") -> list[str]:
    """One line per problem in the bibliography: file, line, entry key, field."""
    text = path.read_text(encoding="utf-8")
    found = []
    for line, key, field, value in bib_fields(text):
        where = f"{name}:{line}: entry '{key}', field '{field}'"
        if value is None:
            found.append(f"{where}: its braces never close")
            continue
        why = invisible(value)
        if why:
            found.append(f"{where}: holds {why}: remove it")
        if re.search(r"(?<!\\)%", value):
            found.append(f"{where}: holds an unescaped '%' (BibTeX reads the rest as a comment): write \\%")
        if field in URL_FIELDS:
            why = bad_address(value)
            if why:
                found.append(f"{where}: {why} {value[:60]!r}")
    return found


def _strings(value, trail: str = ""):
    """(trail, key, text) for every string in a JSON value."""
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _strings(item, f"{trail}.{key}" if trail else str(key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            name = item.get("name") if isinstance(item, dict) else None
            yield from _strings(item, f"{trail}[{name or index}]")
    elif isinstance(value, str):
        yield trail, trail.rsplit(".", 1)[-1], value


def package_problems(path: Path, name: str = "data/datapackage.json") -> list[str]:
    """One line per problem in the package's text: its file and line, and which value."""
    text = path.read_text(encoding="utf-8")
    try:
        package = json.loads(text)
    except json.JSONDecodeError:
        return []  # the validator names the place of a syntax error
    found = []
    for trail, key, value in _strings(package):
        encoded = json.dumps(value, ensure_ascii=False)[1:-1]
        at = text.find(encoded)
        where = f"{name}:{_line(text, at) if at >= 0 else 1}: {trail}"
        why = invisible(value)
        if why:
            found.append(f"{where}: holds {why}: remove it")
        if TEMPLATE.search(value):
            found.append(f"{where}: holds {TEMPLATE.search(value).group(0)!r}, which the page would read as markup")
        if key in (*URL_FIELDS, "path"):
            why = bad_address(value)
            if why:
                found.append(f"{where}: {why} {value[:60]!r}")
        if key in ("path", "schema") and not SCHEME.match(value) and outside(path.parent, value):
            found.append(f"{where}: {value} leads outside the data folder (a link?): put the file itself there")
    return found


def outside(folder: Path, name: str) -> bool:
    """True when `name`, in `folder`, resolves (links followed) to a place outside `folder`."""
    return not (folder / name).resolve().is_relative_to(folder.resolve())


def title_problems(root: Path) -> list[str]:
    """Invisible characters in the pages' text (titles above all: the sidebar, the tab and the PDF show them)."""
    found = []
    for page in pages(root):
        text = page.path.read_text(encoding="utf-8", errors="replace")
        for number, line in enumerate(text.splitlines(), 1):
            why = invisible(line)
            if why:
                found.append(f"{page.path.relative_to(root)}:{number}: holds {why}: remove it")
    return found


def problems(root: Path) -> list[str]:
    """Every problem in the book's published text outside the data rows."""
    found = []
    if (root / "references.bib").exists():
        found += bib_problems(root / "references.bib")
    if (root / "data" / "datapackage.json").exists():
        found += package_problems(root / "data" / "datapackage.json")
    return found + title_problems(root)
