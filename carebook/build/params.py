"""The parameters each chapter declares: the names assigned in its cell tagged `parameters`."""

from __future__ import annotations

import ast
from pathlib import Path

from carebook.build.toc import chapters
from carebook.errors import read_text


def declared(text: str, name: str = "") -> list[str]:
    """The names assigned in a chapter's `parameters` cell (empty if it has none)."""
    from carebook.build.chapter import check_front_matter, read_chapter

    check_front_matter(text, name)
    names = []
    for cell in read_chapter(text).cells:
        if cell.cell_type == "code" and "parameters" in cell.metadata.get("tags", []):
            for node in ast.parse(cell.source).body:
                targets = node.targets if isinstance(node, ast.Assign) else [getattr(node, "target", None)]
                names += [t.id for t in targets if isinstance(t, ast.Name)]
    return names


def chapter_parameters(root: Path) -> dict[str, list[str]]:
    """Each chapter's slug and its parameters, in toc order."""
    return {
        page.slug: declared(read_text(page.path, root), page.path.relative_to(root).as_posix())
        for page in chapters(root)
    }
