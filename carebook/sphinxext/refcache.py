"""References formatted once: a bibliography entry's formatted text is kept, in the process and in the build folder,
and used again while the entry, its label and the style's code are unchanged.

sphinxcontrib-bibtex formats every entry of every bibliography on each build (env-updated), even when one page was
read again: about a third of a prose edit's HTML step. The formatting is a pure function of the style (its code and
options), the label and the entry's fields and people, so those make the key; the style module itself is untouched.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import inspect
import os
import pickle
from collections.abc import Callable
from importlib.metadata import version
from pathlib import Path

FILE = "references.pickle"  # beside the doctrees folder (it outlives a build from nothing)
MEMO: dict[str, object] = {}  # key -> pybtex FormattedEntry, for the life of the process (`carebook serve`)
_used: set[str] = set()  # the keys this build looked up: what the file keeps


@functools.cache
def style_code(style_class: type) -> str:
    """A hash of the code that formats with `style_class`: every module of its classes, and the libraries' versions."""
    hasher = hashlib.sha256(f"{version('pybtex')} {version('sphinxcontrib-bibtex')}".encode())
    for cls in style_class.__mro__:
        path = inspect.getsourcefile(cls) if cls.__module__ != "builtins" else None
        if path:
            hasher.update(Path(path).read_bytes())
    return hasher.hexdigest()


def _option(value: object) -> str:
    """A style option as text: plain values as they are, plugins by their class."""
    if isinstance(value, str | int | float | bool | type(None)):
        return repr(value)
    return f"{type(value).__module__}.{type(value).__qualname__}"


def entry_key(style: object, label: str, entry) -> str:
    """What a formatted entry depends on: the style's code and options, the label, the entry's type, fields, people."""
    options = sorted((name, _option(value)) for name, value in vars(style).items())
    people = sorted(
        (role, [(p.first_names, p.middle_names, p.prelast_names, p.last_names, p.lineage_names) for p in persons])
        for role, persons in entry.persons.items()
    )
    fields = sorted((name.lower(), str(value)) for name, value in entry.fields.items())
    payload = repr((style_code(type(style)), options, label, entry.key, entry.type, fields, people))
    return hashlib.sha256(payload.encode()).hexdigest()


def remembered(format_entry):
    """`BaseStyle.format_entry`, looked up in the memo first."""

    @functools.wraps(format_entry)
    def wrapper(self, label, entry, bib_data=None):
        if (
            bib_data is not None
        ):  # a whole-database style (not sphinxcontrib-bibtex's use): not a pure function of entry
            return format_entry(self, label, entry, bib_data=bib_data)
        key = entry_key(self, label, entry)
        _used.add(key)
        if key not in MEMO:
            MEMO[key] = format_entry(self, label, entry)
        return MEMO[key]

    wrapper.carebook_remembered = True
    return wrapper


def install() -> None:
    """Wrap pybtex's `BaseStyle.format_entry` (every style's last step) once per process, and filter entries in one
    pass (sphinxcontrib-bibtex 2.7, whose code this follows)."""
    from pybtex.style.formatting import BaseStyle

    from carebook import _compat

    if not getattr(BaseStyle.format_entry, "carebook_remembered", False):
        BaseStyle.format_entry = remembered(BaseStyle.format_entry)
    _compat.one_pass_bibliography_filter()


def _path(app) -> Path:
    return Path(app.doctreedir).parent / FILE


def load(app) -> None:
    """Before reading: the entries formatted by earlier builds (a missing or unreadable file is an empty memo)."""
    _used.clear()
    with contextlib.suppress(OSError, pickle.UnpicklingError, EOFError, AttributeError, ImportError, ValueError):
        MEMO.update(pickle.loads(_path(app).read_bytes()))


def save(app, exception: Exception | None) -> None:
    """After a good build: keep the entries this build used, written in one rename."""
    if exception is not None or not _used:
        return
    path = _path(app)
    kept = {key: MEMO[key] for key in sorted(_used) if key in MEMO}
    try:
        previous = path.read_bytes()
    except OSError:
        previous = b""
    data = pickle.dumps(kept, protocol=pickle.HIGHEST_PROTOCOL)
    if data != previous:
        path.parent.mkdir(parents=True, exist_ok=True)
        fresh = path.with_name(f".{path.name}.{os.getpid()}")
        fresh.write_bytes(data)
        fresh.replace(path)


def setup(app) -> dict:
    """Remember formatted entries for every build this process runs."""
    install()
    app.connect("builder-inited", load)
    app.connect("build-finished", save)
    return {"parallel_read_safe": True, "parallel_write_safe": True}


def filtered_entries(original: Callable) -> Callable:
    """sphinxcontrib-bibtex 2.7's `BibtexDomain.get_filtered_entries`, with the pages citing each key found in one
    pass over the citations rather than one pass per entry (for every bibliography on every build: a tenth of a
    one-page HTML build here). The filter and its fallback are the library's own."""
    from sphinxcontrib.bibtex.domain import _FilterVisitor, logger

    @functools.wraps(original)
    def get_filtered_entries(self, bibliography_key):
        bibliography = self.bibliographies[bibliography_key]
        citing: dict[str, set[str]] = {}
        for citation_ref in self.citation_refs:
            for key in {target.key for target in citation_ref.targets}:
                citing.setdefault(key, set()).add(citation_ref.docname)
        for entry in self.get_entries(bibliography.bibfiles):
            key = bibliography.keyprefix + entry.key
            cited_docnames = citing.get(key, set())
            visitor = _FilterVisitor(entry=entry, docname=bibliography_key.docname, cited_docnames=cited_docnames)
            try:
                success = visitor.visit(bibliography.filter_)
            except ValueError as err:
                logger.warning(
                    f"syntax error in :filter: expression; {err}",
                    location=(bibliography_key.docname, bibliography.line),
                    type="bibtex",
                    subtype="filter_syntax_error",
                )
                success = bool(cited_docnames)  # the library's fallback
            if success or entry.key in bibliography.keys:
                yield key, entry

    get_filtered_entries.original = original
    return get_filtered_entries
