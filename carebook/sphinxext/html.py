"""A Sphinx extension for the HTML book: fixes to what the theme's pages load, glossary previews."""

from __future__ import annotations

from pathlib import Path

from carebook import _compat
from carebook.sphinxext import fignumbers

TERM_CLASS = "carebook-term"  # _static/carebook.js shows the definition of a link of this class
DEFINITION_CHARS = 300


def glossary_definitions(env) -> dict[str, str]:
    """Each glossary term's anchor (`term-NHS`) and its definition as plain text, from the glossary pages."""
    from docutils import nodes

    found: dict[str, str] = {}
    pages = {docname for (kind, _), (docname, _) in env.domaindata["std"]["objects"].items() if kind == "term"}
    for docname in sorted(pages):
        for item in fignumbers.read_doctree(env, docname).findall(nodes.definition_list_item):
            definition = next(iter(item.findall(nodes.definition)), None)
            if definition is None:
                continue
            text = " ".join(definition.astext().split())
            if len(text) > DEFINITION_CHARS:
                text = text[: DEFINITION_CHARS - 1].rsplit(" ", 1)[0] + "…"
            for term in item.findall(nodes.term):
                for anchor in term["ids"]:
                    found[anchor] = text
    return found


def term_previews(app, doctree, docname) -> None:
    """Give each link to a glossary term its definition as a title and the class carebook.js looks for."""
    from docutils import nodes

    if app.builder.format != "html":
        return
    definitions = getattr(app, "_carebook_definitions", None)  # once a run: never pickled with the environment
    if definitions is None:
        definitions = app._carebook_definitions = glossary_definitions(app.env)
    for ref in doctree.findall(nodes.reference):
        anchor = ref.get("refuri", "").rpartition("#")[2]
        if (
            anchor.startswith("term-")
            and anchor in definitions
            and "std-term"
            in ref.astext() + " ".join(cls for child in ref.findall(nodes.inline) for cls in child["classes"])
        ):
            ref["reftitle"] = definitions[anchor]
            ref["classes"].append(TERM_CLASS)


def glossary_changed(app, env, added, changed, removed) -> list[str]:
    """Every page, when a page defining glossary terms changed: their links carry its definitions."""
    glossaries = {docname for (kind, _), (docname, _) in env.domaindata["std"]["objects"].items() if kind == "term"}
    return sorted(env.all_docs) if glossaries & (set(added) | set(changed) | set(removed)) else []


def compiled_templates(app) -> None:
    """Keep the theme's templates compiled beside the doctrees' folder (Jinja's bytecode cache, checked against each
    template's source; kept when a build from nothing removes the doctrees), so that a build in a new process does
    not compile them all again."""
    from jinja2 import FileSystemBytecodeCache

    environment = getattr(getattr(app.builder, "templates", None), "environment", None)
    if environment is not None and app.builder.format == "html":
        folder = Path(app.doctreedir).parent / f"{Path(app.doctreedir).name}-templates"
        folder.mkdir(parents=True, exist_ok=True)
        environment.bytecode_cache = FileSystemBytecodeCache(str(folder))


def setup(app) -> dict:
    """Register the page hooks."""
    app.connect("builder-inited", compiled_templates)
    app.connect("html-page-context", _compat.drop_repeated_scripts)
    app.connect("doctree-resolved", term_previews)
    app.connect("env-get-outdated", glossary_changed)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
