"""A Sphinx application kept warm between HTML builds in one process (`carebook serve`, after `enable()`).

A build from a new application pays Sphinx's start-up each time: setting up every extension, unpickling the
environment and every page's doctree, compiling the theme's templates. Kept, it reads and writes only what
changed. It is used again only for the same staged tree, output folders, settings, configuration and table of
contents, and only while the environment on disk is the one it last wrote (no other build has written the
folder since); a failed build, or a build from nothing, starts a new one. Each build starts from the environment
as Sphinx pickled it, as a new application would, so the site equals a clean build's (tests/test_serve.py).
`by_content` does the same for staging: a value made from files is made again only when their bytes change; with
`stored_in` (every build's staging) it keeps the value on disk too, so a new process (`make book`) reuses it.
"""

from __future__ import annotations

import contextlib
import io
import json
import traceback
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

ENVIRONMENT = "environment.pickle"  # Sphinx's pickled environment, in the doctrees folder
_enabled = False
_kept: dict[str, Kept] = {}  # by builder name
_made: dict[str, tuple[str, object]] = {}  # by_content's values: name -> (key, value)
_store: tuple[Path, str] | None = None  # by_content's folder on disk and the code's stamp (`stored_in`)
T = TypeVar("T")


def enable(on: bool = True) -> None:
    """Keep HTML applications warm from now on in this process (`carebook serve` turns it on)."""
    global _enabled
    _enabled = on
    if not on:
        _kept.clear()
        _made.clear()


def enabled(builder: str) -> bool:
    """True when builds with `builder` go through a kept application."""
    return _enabled and builder == "html"


def _stat(path: Path) -> tuple[int, ...] | None:
    """`path`'s inode, size, modification and change times (ns), or None if it is missing: another write changes
    them."""
    try:
        found = path.stat()
    except FileNotFoundError:
        return None
    return found.st_ino, found.st_size, found.st_mtime_ns, found.st_ctime_ns


def key(stage: Path, out: Path, doctrees: Path, overrides: dict) -> str:
    """What an application is made from, less the pages to read again (set on the kept one before each build):
    the folders, the settings and the staged configuration and table of contents."""
    settings = {name: value for name, value in overrides.items() if name != "carebook_reread"}
    made_from = [str(stage), str(out), str(doctrees), settings]
    for name in ("_config.yml", "_toc.yml"):
        made_from.append((stage / name).read_text(encoding="utf-8") if (stage / name).is_file() else None)
    return json.dumps(made_from, sort_keys=True, default=str)


@dataclass
class Kept:
    """An application built once, with what is needed to build with it again."""

    app: object
    key: str
    doctreedir: Path
    environment: tuple[int, ...] | None  # the stat of the environment it last wrote
    directives: dict = field(default_factory=dict)  # docutils' registries while it was made
    roles: dict = field(default_factory=dict)
    nodes: set = field(default_factory=set)
    assets: dict = field(default_factory=dict)  # its lists of scripts and stylesheets as its first build started
    doctrees: dict = field(default_factory=dict)  # docname -> (its pickled bytes, the doctree unpickled from them)
    loaded: tuple | None = None  # (stat, state) of the pickled environment, loaded ahead of the next build

    def shared_doctree(self, docname: str, read):
        """A page's doctree unpickled (by Sphinx's `read`) once per version, for readers that leave it as it is."""
        env = self.app.env
        serialised = env._pickled_doctree_cache.get(docname)
        known = self.doctrees.get(docname)
        if serialised is not None and known and known[0] is serialised:
            return known[1]
        doctree = read(env, docname)
        self.doctrees[docname] = (env._pickled_doctree_cache[docname], doctree)
        return doctree


_reused = False  # whether the last build used a kept application


@contextlib.contextmanager
def _shared_doctrees(kept: Kept):
    """While the kept application builds, a page's doctree is unpickled once per version of it and shared by every
    reader that only reads it (figure numbering, numbered references, the sidebar); the writer of a page, which
    resolves references in it, gets a copy of its own. Sphinx 7 unpickles every page's doctree for figure numbering
    alone on every build: most of a one-page rebuild. (Patched on the class for the build's length: the environment
    is pickled during the build, so it must not hold these functions itself.)"""
    from sphinx.environment import BuildEnvironment

    from carebook import _compat

    if _compat._major_minor("sphinx")[0] != 7:  # the methods' signatures as checked (Sphinx 7.4)
        yield
        return
    read, resolve = BuildEnvironment.get_doctree, BuildEnvironment.get_and_resolve_doctree
    env = kept.app.env

    def get_doctree(self, docname: str):
        return kept.shared_doctree(docname, read) if self is env else read(self, docname)

    def get_and_resolve_doctree(self, docname: str, builder, doctree=None, *args, **kwargs):
        if self is env and doctree is None and docname not in self._write_doc_doctree_cache:
            doctree = read(self, docname)  # its own: resolving changes it
        return resolve(self, docname, builder, doctree, *args, **kwargs)

    BuildEnvironment.get_doctree, BuildEnvironment.get_and_resolve_doctree = get_doctree, get_and_resolve_doctree
    try:
        yield
    finally:
        BuildEnvironment.get_doctree, BuildEnvironment.get_and_resolve_doctree = read, resolve


def _forget_read_doctrees(app, env, docnames: list[str]) -> None:
    """Pages about to be read again get new doctrees: drop the pickled bytes Sphinx keeps of their old ones."""
    for docname in docnames:
        env._pickled_doctree_cache.pop(docname, None)


def _assets(app) -> dict[str, list]:
    """Copies of the lists of scripts and stylesheets the application holds as a build starts.

    A theme adds a script to each page as it is written (pydata-sphinx-theme: the page's name), and Sphinx 7
    keeps it in the application's registry, which the next build's pages would all list.
    """
    holders = {"registry": app.registry, "builder": app.builder}
    names = {"registry": ("js_files", "css_files"), "builder": ("_js_files", "_css_files")}
    return {f"{h}.{n}": list(getattr(holders[h], n)) for h in holders for n in names[h] if hasattr(holders[h], n)}


def _restore_assets(app, assets: dict[str, list]) -> None:
    """Put back the lists `_assets` copied."""
    holders = {"registry": app.registry, "builder": app.builder}
    for name, items in assets.items():
        holder, attribute = name.split(".")
        getattr(holders[holder], attribute)[:] = items


def _application_class(made: list):
    """Sphinx's application class, remembering each one made and docutils' registries as its build starts."""
    from docutils.parsers.rst import directives, roles
    from sphinx.application import Sphinx
    from sphinx.util.docutils import additional_nodes

    class Remembered(Sphinx):
        def build(self, force_all: bool = False, filenames: list[str] | None = None) -> None:
            made.append((self, dict(directives._directives), dict(roles._roles), set(additional_nodes), _assets(self)))
            super().build(force_all, filenames)

    return Remembered


def _fresh(stage: Path, out: Path, doctrees: Path, builder: str, overrides: dict, kept_key: str, make) -> object:
    """Build with a new application, made by `make` (jupyter-book's build), and keep it if it built."""
    import jupyter_book.sphinx

    made: list = []
    original = jupyter_book.sphinx.Sphinx
    jupyter_book.sphinx.Sphinx = _application_class(made)
    try:
        result = make(stage, out, doctrees, builder, overrides)
    finally:
        jupyter_book.sphinx.Sphinx = original
    if made and not result:
        app, directives, roles, nodes, assets = made[-1]
        app.connect("env-before-read-docs", _forget_read_doctrees, priority=900)  # after any that edit the list
        kept = Kept(app, kept_key, doctrees, _stat(doctrees / ENVIRONMENT), directives, roles, nodes, assets)
        for docname in sorted(app.env.found_docs):  # now, rather than in the author's first edit
            kept.shared_doctree(docname, type(app.env).get_doctree)
        _kept[builder] = kept
    return result


def _pickled_state(kept: Kept, doctrees: Path) -> dict:
    """The environment's state as pickled in `doctrees`: the copy `ahead` loaded while the preview was idle, if it is
    of that very file, else loaded now. Each copy is used once."""
    import pickle

    loaded, kept.loaded = kept.loaded, None
    if loaded and loaded[0] == _stat(doctrees / ENVIRONMENT) is not None:
        return loaded[1]
    with open(doctrees / ENVIRONMENT, "rb") as handle:
        return pickle.load(handle).__dict__


def ahead() -> None:
    """Between builds (the preview waiting for a save): load the environment each kept application's next build
    starts from, so that build does not wait for it."""
    import pickle

    for kept in _kept.values():
        found = _stat(kept.doctreedir / ENVIRONMENT)
        if found is not None and (kept.loaded is None or kept.loaded[0] != found):
            with open(kept.doctreedir / ENVIRONMENT, "rb") as handle:
                kept.loaded = (found, pickle.load(handle).__dict__)


def _environment_as_pickled(kept: Kept, doctrees: Path) -> None:
    """Put the application's environment back as Sphinx pickled it after the last build's reading, which is what a
    new application would load: extensions change their domain data as pages are written (sphinxcontrib-bibtex
    adds each entry to its citation node again), so the state kept in memory is not where the next build may
    start. The objects the application and its extensions hold (domains, settings, configuration) stay; the
    pickled doctrees of pages not read since stay too."""
    from sphinx.environment import CONFIG_OK

    env = kept.app.env
    state = _pickled_state(kept, doctrees)
    live = ("app", "domains", "events", "config", "settings", "project", "_pickled_doctree_cache")
    state = {name: value for name, value in state.items() if name not in live}
    env.__dict__.update(state, _write_doc_doctree_cache={}, config_status=CONFIG_OK, config_status_extra="")
    for name, domain in env.domains.items():
        domain.data = env.domaindata.setdefault(name, domain.data)


def _again(kept: Kept, overrides: dict, doctrees: Path) -> object:
    """Build again with the kept application: Sphinx reads what changed (by time and by `carebook_reread`)."""
    from docutils.parsers.rst import directives, roles
    from sphinx.util.docutils import docutils_namespace, patch_docutils, register_node

    app = kept.app
    warning = app._warning
    if isinstance(warning, io.StringIO):  # the stream this build's warnings go to (see `run`)
        warning.seek(0)
        warning.truncate()
    app._warncount = 0
    app.statuscode = 0
    _restore_assets(app, kept.assets)
    app.config.carebook_reread = list(overrides.get("carebook_reread", []))
    try:
        with patch_docutils(None), docutils_namespace():
            directives._directives.update(kept.directives)
            roles._roles.update(kept.roles)
            for node in kept.nodes:
                register_node(node)
            _environment_as_pickled(kept, doctrees)
            with _shared_doctrees(kept):
                app.build(False, [])
        return app.statuscode
    except (Exception, KeyboardInterrupt) as exc:
        warning.write("".join(traceback.format_exception(exc)))
        return exc


def run(
    stage: Path, out: Path, doctrees: Path, builder: str, overrides: dict, make: Callable[..., object]
) -> tuple[object, str]:
    """Build with the kept application when it was made for this build and the environment on disk is the one
    it wrote; else with a new one from `make` (jupyter-book's build, which the kept one is made by). Returns
    Sphinx's result (0 when it built) and what it wrote as warnings."""
    global _reused
    wanted = key(stage, out, doctrees, overrides)
    kept = _kept.pop(builder, None)
    if kept and (kept.key != wanted or kept.environment != _stat(doctrees / ENVIRONMENT)):
        kept = None  # settings changed, the build started from nothing, or another build wrote the folder
    _reused = _reused or kept is not None
    if kept:
        result = _again(kept, overrides, doctrees)
        log = kept.app._warning.getvalue() if isinstance(kept.app._warning, io.StringIO) else ""
        if not result:
            kept.environment = _stat(doctrees / ENVIRONMENT)
            _kept[builder] = kept
        return result, log
    with contextlib.redirect_stderr(io.StringIO()) as log:
        result = _fresh(stage, out, doctrees, builder, overrides, wanted, make)
    return result, log.getvalue()


def start(root: Path, build_dir: Path) -> None:
    """Make the kept HTML application now if the last build made none (its site was up to date): a Sphinx build of
    the staged tree that finds nothing to read or write, so the author's first edit does not pay for the start."""
    from carebook.build import sphinx
    from carebook.build.outputs import html

    work, target = build_dir / ".work", build_dir / "stage"
    if "html" in _kept or not (work / "doctrees-html" / ENVIRONMENT).is_file() or not target.is_dir():
        return
    sphinx.build(target, work / "html", work / "doctrees-html", root, "html", html._with_rebuild(target, set()))
    ahead()


def reused() -> bool:
    """True when an HTML build since the last call used a kept application."""
    global _reused
    found, _reused = _reused, False
    return found


def by_content(name: str, paths: Iterable[Path], make: Callable[[], T], *extra: str) -> T:
    """`make()`, or the value it gave an earlier build when the bytes of `paths` (files, or folders taken whole) and
    `extra` are the same: kept in this process while builds are kept warm, and on disk under `stored_in` (with the
    code's stamp in the key). For staging's pure functions of files."""
    if not _enabled and _store is None:
        return make()
    from carebook.build import stamp

    files = sorted(p for path in paths for p in ([path] if not path.is_dir() else stamp.tree(path)))
    key = stamp.digest(*extra, *(f"{path}\0{stamp.file_hash(path)}" for path in files))
    known = _made.get(name) if _enabled else None
    if known and known[0] == key:
        return known[1]
    value = _on_disk(name, key, make) if _store else make()
    if _enabled:
        _made[name] = (key, value)
    return value


def _on_disk(name: str, key: str, make: Callable[[], T]) -> T:
    """`make()`, or the value kept in the store under `name` while its key (with the code's stamp) is `key`."""
    import hashlib
    import pickle

    from carebook.build.atomic import write_atomic

    folder, code = _store
    key = f"{code}:{key}"
    path = folder / f"{hashlib.sha256(name.encode()).hexdigest()[:16]}.pickle"
    with contextlib.suppress(OSError, pickle.UnpicklingError, EOFError, ValueError, TypeError, AttributeError):
        found_key, value = pickle.loads(path.read_bytes())
        if found_key == key:
            return value
    value = make()
    write_atomic(path, pickle.dumps((key, value), protocol=pickle.HIGHEST_PROTOCOL))
    return value


@contextlib.contextmanager
def stored_in(folder: Path, code: str):
    """While in the block, `by_content` keeps its values in `folder` too, keyed with `code` (the stamp of the
    code that makes them and of the lock file), so that a build in a new process makes them only when changed."""
    global _store
    before, _store = _store, (folder, code)
    try:
        yield
    finally:
        _store = before


def forget() -> None:
    """Drop every kept application (the next build makes a new one)."""
    _kept.clear()


__all__ = ["ahead", "by_content", "stored_in", "enable", "enabled", "forget", "reused", "run", "start"]
