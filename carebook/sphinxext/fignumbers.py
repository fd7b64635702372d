"""Figure numbers without unpickling every page: Sphinx 7 reads every page's doctree back from disk to number the
figures whenever one page changed (most of a one-page rebuild in a new process). This keeps, in the environment,
each page's outline (its sections, toctrees and numbered nodes, in order), made from the doctree Sphinx's own walk
would read, and walks the outlines instead. A page read again loses its outline (`env-purge-doc`) and gets a new
one from its new doctree, so the numbers are Sphinx's own (tests/test_sphinxext.py compares them)."""

from __future__ import annotations

import weakref

OUTLINES = "carebook_outlines"  # the environment's attribute: docname -> outline


def figtype(env, node) -> str | None:
    """The node's enumerable type as Sphinx numbers it (a std-domain node counts only with a caption)."""
    for domain in env.domains.values():
        found = domain.get_enumerable_node_type(node)
        if domain.name == "std" and not domain.get_numfig_title(node):
            continue
        if found:
            return found
    return None


def outline(env, tree) -> list[tuple]:
    """What Sphinx's figure numbering reads of `tree`, in its order: ('section', ids, outline),
    ('toctree', docnames) and ('figure', type, id), a figure's inner outline following it."""
    from docutils import nodes
    from sphinx import addnodes

    items: list[tuple] = []
    for node in tree.children:
        if isinstance(node, nodes.section):
            items.append(("section", tuple(node["ids"]), outline(env, node)))
        elif isinstance(node, addnodes.toctree):
            items.append(("toctree", tuple(name for _title, name in node["entries"])))
        elif isinstance(node, nodes.Element):
            kind = figtype(env, node)
            if kind and node["ids"]:
                items.append(("figure", kind, node["ids"][0]))
            items += outline(env, node)
    return items


def read_doctree(env, docname: str):
    """The page's doctree as Sphinx pickled it: the one it keeps in memory for a page read in this build (Sphinx 7.4
    writes it from there), else unpickled. For readers that leave it as it is."""
    kept = getattr(env, "_write_doc_doctree_cache", {}).get(docname)
    return kept if kept is not None else env.get_doctree(docname)


def page_outline(env, docname: str) -> list[tuple]:
    """The page's outline, made from its doctree the first time it is asked for after the page was read."""
    outlines = env.__dict__.setdefault(OUTLINES, {})
    if docname not in outlines:
        outlines[docname] = outline(env, read_doctree(env, docname))
    return outlines[docname]


def assign_figure_numbers(env) -> list[str]:
    """Sphinx 7.4's TocTreeCollector.assign_figure_numbers, walking the pages' outlines instead of their doctrees;
    the pages whose numbers changed."""
    from sphinx.util import url_re

    generated = frozenset(env.domains["std"]._virtual_doc_names)
    assigned: set[str] = set()
    old, env.toc_fignumbers = env.toc_fignumbers, {}
    counters: dict[str, dict[tuple[int, ...], int]] = {}

    def section_number(docname: str, ids: tuple[str, ...]) -> tuple[int, ...]:
        numbers = env.toc_secnumbers.get(docname, {})
        anchor = "#" + ids[0]
        return (numbers.get(anchor) if anchor in numbers else numbers.get("")) or ()

    def register(docname: str, secnum: tuple[int, ...], kind: str, figure_id: str) -> None:
        counter = counters.setdefault(kind, {})
        secnum = secnum[: env.config.numfig_secnum_depth]
        counter[secnum] = counter.get(secnum, 0) + 1
        env.toc_fignumbers.setdefault(docname, {}).setdefault(kind, {})[figure_id] = (*secnum, counter[secnum])

    def walk(docname: str, items: list[tuple], secnum: tuple[int, ...]) -> None:
        for item in items:
            if item[0] == "section":
                walk(docname, item[2], section_number(docname, item[1]) or secnum)
            elif item[0] == "toctree":
                for name in item[1]:
                    if not (url_re.match(name) or name == "self" or name in generated):
                        walk_doc(name, secnum)
            else:
                register(docname, secnum, item[1], item[2])

    def walk_doc(docname: str, secnum: tuple[int, ...]) -> None:
        if docname not in assigned:
            assigned.add(docname)
            walk(docname, page_outline(env, docname), secnum)

    if env.config.numfig:
        walk_doc(env.config.root_doc, ())
    return [docname for docname, numbers in env.toc_fignumbers.items() if numbers != old.get(docname)]


def forget(app, env, docname: str) -> None:
    """A page read again, or removed: its outline goes with its old doctree."""
    env.__dict__.get(OUTLINES, {}).pop(docname, None)


def merge(app, env, docnames, other) -> None:
    """Parallel reading: the outlines a reading process made (none: they are made when numbering)."""
    env.__dict__.setdefault(OUTLINES, {}).update(
        {name: found for name, found in other.__dict__.get(OUTLINES, {}).items() if name in docnames}
    )


_ENABLED: weakref.WeakSet = weakref.WeakSet()  # the environments of applications that loaded this extension


def enable(app, env, docnames) -> None:
    """Each build (a kept application gets a new environment each time): number this environment's figures here."""
    _ENABLED.add(env)


def setup(app) -> dict:
    """Number figures from outlines in the applications that load this (Sphinx 7.4, whose walk this follows)."""
    from sphinx.environment.collectors.toctree import TocTreeCollector

    from carebook import _compat

    original = TocTreeCollector.assign_figure_numbers
    if _compat._major_minor("sphinx") == (7, 4) and not getattr(original, "carebook", False):

        def dispatch(self, env) -> list[str]:
            return assign_figure_numbers(env) if env in _ENABLED else original(self, env)

        dispatch.carebook, dispatch.original = True, original
        TocTreeCollector.assign_figure_numbers = dispatch
    app.connect("env-before-read-docs", enable)
    app.connect("env-purge-doc", forget)
    app.connect("env-merge-info", merge)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
