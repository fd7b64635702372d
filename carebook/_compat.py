"""Shims for third-party code, each applied only to the versions that need it, each saying why."""

from __future__ import annotations

import functools
from importlib.metadata import version


def _major_minor(package: str) -> tuple[int, int]:
    """The installed version of `package` as (major, minor)."""
    parts = [int(part) if part.isdigit() else 0 for part in version(package).split(".")[:2]]
    return (parts + [0, 0])[0], (parts + [0, 0])[1]


def memoize_pybtex_plugins() -> None:
    """Look up each pybtex plugin's entry point once per process, not once per citation (pybtex up to 0.26).

    pybtex scans every installed distribution's entry points on each lookup (about 13 ms here), and
    sphinxcontrib-bibtex looks one up for every citation it resolves: some 400 times a build, several
    seconds of the Sphinx step. Installed plugins cannot change during a build. No upstream issue is
    filed yet; the guard keeps the shim to the versions measured (the lock pins 0.26).
    """
    if _major_minor("pybtex") > (0, 26):
        return
    import pybtex.plugin

    if not hasattr(pybtex.plugin.entry_points, "cache_info"):
        pybtex.plugin.entry_points = functools.cache(pybtex.plugin.entry_points)


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
    otherwise leave its sockets open in a long-lived worker. Checked on jupyter_client 8.10 (the lock's).
    """
    from jupyter_client.manager import AsyncKernelManager

    class ChapterKernelManager(AsyncKernelManager):
        def client(self, **kwargs):
            made = super().client(**kwargs)
            self.__dict__.setdefault("carebook_clients", []).append(made)
            return made

    return ChapterKernelManager


def stop_clients(manager: object) -> None:
    """Stop the channels of every client made from a `kernel_manager_class()` manager."""
    for client in manager.__dict__.get("carebook_clients", []):
        client.stop_channels()
