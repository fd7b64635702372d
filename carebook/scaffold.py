"""`carebook new-chapter`: a chapter notebook from the template, listed in _toc.yml."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

TEMPLATE = Path(__file__).parent / "templates" / "chapter.md"


def front_matter() -> str:
    """The YAML header every chapter starts with (jupytext's MyST format and the Python kernel), from the template."""
    text = TEMPLATE.read_text(encoding="utf-8")
    return text[: text.index("\n---\n", 3) + len("\n---\n")]


def slugify(title: str) -> str:
    """'The Better Care Fund!' -> 'the_better_care_fund' (a file name and a Python-safe glue prefix)."""
    slug = re.sub(r"[^a-z0-9]+", "_", title.lower()).strip("_")
    if not slug or slug[0].isdigit():
        raise ValueError(f"cannot make a chapter name from {title!r}: start the title with a letter")
    return slug


def new_chapter(root: Path, title: str) -> Path:
    """Create book/<slug>.md from the template and add it to the first part of _toc.yml."""
    slug = slugify(title)
    path = root / "book" / f"{slug}.md"
    if path.exists():
        raise FileExistsError(f"{path.relative_to(root)} already exists")
    text = TEMPLATE.read_text(encoding="utf-8")
    for key, value in {"title": title, "slug": slug, "label": slug.replace("_", "-")}.items():
        text = text.replace("{{" + key + "}}", value)
    path.write_text(text, encoding="utf-8")
    toc_path = root / "_toc.yml"
    toc = yaml.safe_load(toc_path.read_text(encoding="utf-8"))
    entry = {"file": f"book/{slug}"}
    if "parts" in toc:
        toc["parts"][0].setdefault("chapters", []).append(entry)
    else:
        toc.setdefault("chapters", []).append(entry)
    header = "".join(line for line in toc_path.read_text(encoding="utf-8").splitlines(True) if line.startswith("#"))
    toc_path.write_text(header + yaml.safe_dump(toc, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return path
