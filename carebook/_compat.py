"""Every shim for third-party code lives here: each applied only to the versions that need it, each saying why
and citing its upstream issue (tests/test_compat.py checks both)."""

from __future__ import annotations

import contextlib
import functools
import json
import shutil
from collections.abc import Iterator
from importlib.metadata import version
from pathlib import Path


def _major_minor(package: str) -> tuple[int, int]:
    """The installed version of `package` as (major, minor)."""
    parts = [int(part) if part.isdigit() else 0 for part in version(package).split(".")[:2]]
    return (parts + [0, 0])[0], (parts + [0, 0])[1]


def memoize_pybtex_plugins() -> None:
    """Look up each pybtex plugin's entry point once per process, not once per citation (pybtex up to 0.26).

    pybtex scans every installed distribution's entry points on each lookup (about 13 ms here), and
    sphinxcontrib-bibtex looks one up for every citation it resolves: some 400 times a build, several
    seconds of the Sphinx step. Installed plugins cannot change during a build. Upstream issue: none found
    (pybtex's tracker is not on GitHub; to be filed there); the guard keeps the shim to the versions measured
    (the lock pins 0.26).
    """
    if _major_minor("pybtex") > (0, 26):
        return
    import pybtex.plugin

    if not hasattr(pybtex.plugin.entry_points, "cache_info"):
        pybtex.plugin.entry_points = functools.cache(pybtex.plugin.entry_points)


def fresh_config_lists() -> dict[str, list]:
    """Configuration overrides giving each Sphinx application its own copy of list defaults that themes append to.

    Sphinx 7's default `templates_path` is one list shared by every application in the process, and
    sphinx-book-theme and pydata-sphinx-theme append their folders to it at each start: in a long-lived process
    (`carebook serve`, tests that build in-process) it grows with every build, the HTML builder's configuration
    hash changes, and every page is written again. A fresh empty list per build is what a new process gets.
    Nearest upstream report (global state left by one Sphinx run for the next in the same interpreter):
    https://github.com/sphinx-doc/sphinx/issues/12130
    """
    return {"templates_path": []} if _major_minor("sphinx")[0] == 7 else {}


def mystnb_stylesheet(filename: str) -> bool:
    """True for myst-nb's own stylesheet (myst-nb 1.x), which the EPUB leaves out.

    myst-nb copies `mystnb.<hash>.css` at build-finished, its workaround for
    https://github.com/sphinx-doc/sphinx/issues/1379, which is after the EPUB builder has packed the
    book: every page would link a stylesheet the EPUB lacks (and epubcheck's CSS parser rejects it).
    """
    return _major_minor("myst-nb")[0] == 1 and filename.startswith("mystnb.") and filename.endswith(".css")


@functools.cache
def kernel_manager_class() -> type:
    """jupyter_client's AsyncKernelManager, remembering the clients made from it, so `stop_clients` can close them.

    nbclient makes its own client from the manager it is given, and a KernelClient does not stop its
    channels when it is dropped (the leak fixed for nbconvert's executor in
    https://github.com/jupyter/nbconvert/pull/1175); a kernel started ahead and stopped by us would
    otherwise leave its sockets open in a long-lived worker. A `launcher` may start the kernel instead of
    LocalProvisioner's Popen (the provisioner keeps what it records of one). Checked on jupyter_client 8.10.
    """
    from jupyter_client.manager import AsyncKernelManager

    class ChapterKernelManager(AsyncKernelManager):
        launcher = None  # (command, options) -> a Popen-like process or None: carebook.build.kernelfork

        def client(self, **kwargs):
            made = super().client(**kwargs)
            self.__dict__.setdefault("carebook_clients", []).append(made)
            return made

        async def _async_launch_kernel(self, kernel_cmd, **kw):  # "override in a subclass to launch differently"
            process = self.launcher(kernel_cmd, kw) if self.launcher else None
            if process is None:
                return await super()._async_launch_kernel(kernel_cmd, **kw)
            provisioner = self.provisioner  # what LocalProvisioner.launch_kernel records of its Popen
            provisioner.process, provisioner.pid, provisioner.pgid = process, process.pid, process.pid
            provisioner.cwd = kw.get("cwd")
            self._reconcile_connection_info(provisioner.connection_info)

    return ChapterKernelManager


def stop_clients(manager: object) -> None:
    """Stop the channels of every client made from a `kernel_manager_class()` manager."""
    for client in manager.__dict__.get("carebook_clients", []):
        client.stop_channels()


@contextlib.contextmanager
def incremental_html(outdir: Path, reread: set[str]) -> Iterator[None]:
    """Around an incremental Sphinx HTML build that reads the pages `reread` (docnames) again: make it write what
    a clean build writes (Sphinx 7, myst-nb 1).

    - myst-nb copies its stylesheet at build-finished, so a clean build links it without Sphinx's `?v=`
      checksum but a rebuild, finding last build's copy, links it with one: the copy is dropped first.
    - Sphinx 7 loses the index entries (the glossary's terms) of pages it does not read again
      (https://github.com/sphinx-doc/sphinx/issues/12599) and keeps words no page has any more
      (`"word": []`): the search index gets back the last build's entries of the pages not read again,
      and loses the empty words.
    """
    if _major_minor("myst-nb")[0] == 1:
        for path in (outdir / "_static").glob("mystnb.*.css"):
            if mystnb_stylesheet(path.name):
                path.unlink()
    before = _search_index(outdir / "searchindex.js") if _major_minor("sphinx")[0] == 7 else {}
    yield
    if before:
        _repair_search_index(outdir / "searchindex.js", before, reread)


def _search_index(path: Path) -> dict:
    """A built searchindex.js as data ({} if missing or unreadable)."""
    try:
        text = path.read_text(encoding="utf-8")
        return json.loads(text[text.index("(") + 1 : text.rindex(")")])
    except (OSError, ValueError):
        return {}


def _repair_search_index(path: Path, before: dict, reread: set[str]) -> None:
    """The fixes of `incremental_html` to the search index Sphinx 7 wrote."""
    index = _search_index(path)
    if not index or index.get("docnames") != before.get("docnames"):
        return
    kept = {i for i, name in enumerate(before["docnames"]) if name not in reread}
    entries = index.get("indexentries", {})
    for word, found in before.get("indexentries", {}).items():
        for entry in found:
            if entry[0] in kept and entry not in entries.setdefault(word, []):
                entries[word].append(entry)
    index["indexentries"] = {word: sorted(found, key=lambda entry: entry[0]) for word, found in entries.items()}
    for key in ("terms", "titleterms"):
        index[key] = {word: docs for word, docs in index.get(key, {}).items() if docs != []}
    path.write_text(f"Search.setIndex({json.dumps(index, sort_keys=True)})", encoding="utf-8")  # as Sphinx writes it


def bibliographies_in_reading_order(app, env) -> list[str]:
    """Order sphinxcontrib-bibtex's bibliographies as a clean build reads them (by page name) (version 2).

    A citation links the last bibliography holding its key, in the order the bibliographies were read (a
    citation linking another page's bibliography: https://github.com/mcmtroffaes/sphinxcontrib-bibtex/issues/370);
    a rebuild reads the changed pages last, so the same citation could link another page than in a clean build.
    Connected to env-updated ahead of sphinxcontrib-bibtex's own handler, which resolves the citations.
    """
    if _major_minor("sphinxcontrib-bibtex")[0] != 2:
        return []
    bibliographies = env.get_domain("cite").bibliographies
    ordered = sorted(bibliographies.items(), key=lambda item: item[0].docname)  # stable within a page
    bibliographies.clear()
    bibliographies.update(ordered)
    return []


def drop_repeated_scripts(app, pagename, templatename, context, doctree) -> None:
    """Keep the first of each script a page lists (Sphinx 7).

    Sphinx 7.4 lists an inline script added after the builder started twice (filename None, then ''), so
    sphinx-thebe's `const THEBE_JS_URL` throws a SyntaxError on every page; fixed upstream by
    https://github.com/sphinx-doc/sphinx/pull/13402.
    """
    if _major_minor("sphinx")[0] != 7 or "script_files" not in context:
        return
    seen, kept = set(), []
    for script in context["script_files"]:
        key = (script.filename or "", script.priority, tuple(sorted(script.attributes.items())))
        if key not in seen:
            seen.add(key)
            kept.append(script)
    context["script_files"] = kept


def copy_static_files(staged: Path, built: Path) -> None:
    """Copy each file of the staged `_static` whose bytes the built one lacks (Sphinx 7).

    Sphinx 7 copies static files only when some page is written, so an edited stylesheet or script alone would
    stay stale (https://github.com/sphinx-doc/sphinx/issues/1810, fixed by
    https://github.com/sphinx-doc/sphinx/pull/13236). Harmless where Sphinx copies them itself.
    """
    for path in sorted(staged.rglob("*")) if staged.is_dir() else []:
        old = built / path.relative_to(staged)
        if path.is_file() and (not old.is_file() or old.read_bytes() != path.read_bytes()):
            old.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, old)


NOTEBOOK_SCHEME = "carebook-notebook://"


@functools.cache
def _register_notebook_io() -> None:
    """Once per process: papermill I/O for NOTEBOOK_SCHEME paths, reading and writing the file as it is named."""
    from papermill.iorw import papermill_io

    class NotebookFile:
        @staticmethod
        def read(path: str) -> str:
            return Path(path.removeprefix(NOTEBOOK_SCHEME)).read_text(encoding="utf-8")

        @staticmethod
        def write(buf: str, path: str) -> None:
            Path(path.removeprefix(NOTEBOOK_SCHEME)).write_text(buf, encoding="utf-8")

        @staticmethod
        def listdir(path: str) -> list[str]:
            return [str(p) for p in Path(path.removeprefix(NOTEBOOK_SCHEME)).iterdir()]

        @staticmethod
        def pretty_path(path: str) -> str:
            return path.removeprefix(NOTEBOOK_SCHEME)

    papermill_io.register(NOTEBOOK_SCHEME, NotebookFile)


def papermill_output(path: Path) -> str:
    """Where papermill writes an executed notebook, without touching the process's working folder (papermill 2).

    papermill changes the whole process's working folder around a run given `cwd=` and, for a local output
    path, around every write (its local handler's `chdir`): not safe with chapters on threads
    (https://github.com/nteract/papermill/issues/473). The kernel is started in the chapter's folder instead,
    and the notebook is written through a handler that names its file absolutely.
    """
    if _major_minor("papermill")[0] == 2:
        _register_notebook_io()
        return NOTEBOOK_SCHEME + str(Path(path).resolve())
    return str(path)


# myst-nb's notebook clients that execute (with jupyter-cache, or directly): importing myst-nb imports both, and
# with them jupyter-cache's database layer (SQLAlchemy), a fifth of a one-page build's start-up.
MYSTNB_EXECUTING_CLIENTS = {
    "myst_nb.core.execute.cache": "NotebookClientCache",
    "myst_nb.core.execute.direct": "NotebookClientDirect",
}


def real_mystnb_client(module: str, name: str) -> type:
    """The real myst-nb client class, its module imported now in place of its stand-in."""
    import importlib
    import sys

    if getattr(sys.modules.get(module), "carebook_stand_in", False):
        del sys.modules[module]
    return getattr(importlib.import_module(module), name)


def defer_mystnb_executing_clients() -> None:
    """Stand-ins for myst-nb 1.x's executing clients until one is made (the book's Sphinx runs never execute, the
    chapters ran before); each stand-in makes the real client when called. Upstream issue: none found."""
    import sys
    import types

    if _major_minor("myst-nb")[0] != 1 or "myst_nb.core.execute" in sys.modules:
        return
    for module, name in MYSTNB_EXECUTING_CLIENTS.items():
        stand_in = types.ModuleType(module, f"Stands in for {module} until {name} is made.")
        stand_in.carebook_stand_in = True

        def make(*args, _module: str = module, _name: str = name, **kwargs):
            return real_mystnb_client(_module, _name)(*args, **kwargs)

        setattr(stand_in, name, make)
        sys.modules.setdefault(module, stand_in)


def one_pass_bibliography_filter() -> None:
    """sphinxcontrib-bibtex 2.7 finds the pages citing an entry by scanning every citation, for every entry of every
    bibliography on each build (a tenth of a one-page HTML build here): find them in one pass instead, with the
    library's own filter and fallback. Upstream issue: none found."""
    from sphinxcontrib.bibtex.domain import BibtexDomain

    found = BibtexDomain.get_filtered_entries
    if _major_minor("sphinxcontrib-bibtex") == (2, 7) and not hasattr(found, "original"):
        from carebook.sphinxext.refcache import filtered_entries

        BibtexDomain.get_filtered_entries = filtered_entries(found)


def altair_class_table_once() -> None:
    """Altair 6 hashes the schema of every one of its ~570 wrapper classes each time it turns a dict into chart
    objects (every `encode`), half a second of a chapter with a diagram: build that table once per process. The
    table depends only on the classes, which cannot change. https://github.com/vega/altair/pull/3547 does this
    upstream (open)."""
    if _major_minor("altair")[0] != 6:
        return
    from altair.utils import schemapi

    init = schemapi._FromDict.__init__
    if getattr(init, "carebook_once", False):
        return
    tables: dict[tuple, dict] = {}

    @functools.wraps(init)
    def once(self, wrapper_classes, /) -> None:
        classes = tuple(wrapper_classes)
        if classes not in tables:
            init(self, classes)
            tables[classes] = self.class_dict
        self.class_dict = tables[classes]

    once.carebook_once = True
    schemapi._FromDict.__init__ = once


def numref_targets_unpickled_once() -> None:
    """Sphinx 7 unpickles the target page's whole doctree for every {numref} it resolves, to look up one node by its
    id (a third of a second per build here; https://github.com/sphinx-doc/sphinx/issues/12883). For that lookup,
    which only reads the tree, keep each page's unpickled doctree while its pickled bytes are the same object (a
    page read again gets new bytes, so a new tree)."""
    if _major_minor("sphinx")[0] != 7:
        return
    from sphinx.domains.std import StandardDomain
    from sphinx.environment import BuildEnvironment

    resolve = StandardDomain._resolve_numref_xref
    if getattr(resolve, "carebook_once", False):
        return
    kept: dict[str, tuple[bytes, object]] = {}

    def doctree(env: BuildEnvironment, docname: str) -> object:
        held = kept.get(docname)
        if held is None or held[0] is not env._pickled_doctree_cache.get(docname):
            tree = BuildEnvironment.get_doctree(env, docname)  # fills the pickled bytes' cache
            held = kept[docname] = (env._pickled_doctree_cache.get(docname), tree)
        return held[1]

    @functools.wraps(resolve)
    def once(self, env, *args, **kwargs):
        env.get_doctree = functools.partial(doctree, env)
        try:
            return resolve(self, env, *args, **kwargs)
        finally:
            del env.get_doctree

    once.carebook_once = True
    StandardDomain._resolve_numref_xref = once
