"""`carebook serve`: a live preview on loopback. It watches the book's sources (watchfiles), rebuilds through the
cache in one long-lived process, and tells the open pages: they reload when a build lands, and show the build's
one-line error (keeping the last good page) when it fails. The Sphinx application is kept warm between builds
(`carebook.build.warm`), so a saved sentence costs reading and writing that page, not Sphinx's start-up.

The reload script is added to pages as they are served; the built site on disk never contains it.
"""

from __future__ import annotations

import contextlib
import functools
import importlib
import json
import os
import queue
import sys
import threading
import time
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from carebook import build
from carebook.build import warm
from carebook.errors import CarebookError

WATCHED_DIRS = ("book", "data", "_static", "latex", "carebook")  # recursively
WATCHED_FILES = ("_config.yml", "_toc.yml", "references.bib")  # at the root
RESTART_ON = "carebook"  # the build's own code is imported in this process: a change restarts it
PREFIX = "/__carebook__/"
SCRIPT = Path(__file__).with_name("templates") / "live-reload.js"
KEEPALIVE_SECONDS = 15.0
WARM_MODULES = (*build.SPHINX_MODULES, "carebook.sphinxext.refcache", "carebook.sphinxext.bibliography")


class Status:
    """The last build's outcome, which every open page hears about (server-sent events)."""

    def __init__(self) -> None:
        self.changed = threading.Condition()
        self.build = 0  # counts good builds: a page reloads when it differs from the one it was served with
        self.error = ""

    def landed(self) -> None:
        """A build succeeded: pages reload."""
        with self.changed:
            self.build, self.error = self.build + 1, ""
            self.changed.notify_all()

    def failed(self, error: str) -> None:
        """A build failed: pages show `error` and keep what they show."""
        with self.changed:
            self.error = error
            self.changed.notify_all()

    def message(self) -> str:
        """The current state as one server-sent event."""
        return f"data: {json.dumps({'build': self.build, 'error': self.error})}\n\n"

    def wait(self, seen: str, timeout: float) -> str:
        """The next state different from `seen` (or `seen` again after `timeout`)."""
        with self.changed:
            self.changed.wait_for(lambda: self.message() != seen, timeout=timeout)
            return self.message()


def with_reload_script(html: bytes, status: Status) -> bytes:
    """A page as `serve` sends it: the reload script, told which build the page comes from, before </body>."""
    tag = f'<script src="{PREFIX}live-reload.js" data-build="{status.build}"></script>'.encode()
    at = html.rfind(b"</body>")
    return html[:at] + tag + html[at:] if at >= 0 else html + tag


class PreviewHandler(SimpleHTTPRequestHandler):
    """Serves the built book with the reload script in its pages, and the build's events; logs nothing."""

    status: Status  # set on the subclass `handler()` makes

    def log_message(self, format: str, *args) -> None:  # noqa: A002 (the name is the stdlib's)
        pass

    def do_GET(self) -> None:
        if self.path.startswith(PREFIX):
            return self.events() if self.path == f"{PREFIX}events" else self.script()
        path = Path(self.translate_path(self.path))
        if path.is_dir() and self.path.split("?")[0].endswith("/"):
            path = path / "index.html"
        if path.suffix == ".html" and path.is_file():
            return self.send(with_reload_script(path.read_bytes(), self.status), "text/html; charset=utf-8")
        if self.path.split("?")[0] in ("", "/") and not path.exists():  # nothing built yet: say why
            return self.send(with_reload_script(b"<html><body></body></html>", self.status), "text/html")
        return super().do_GET()

    def send(self, body: bytes, kind: str) -> None:
        self.send_response(200)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        self.wfile.write(body)

    def script(self) -> None:
        self.send(SCRIPT.read_bytes(), "text/javascript; charset=utf-8")

    def events(self) -> None:
        """Server-sent events: the current state at once, then each change, until the page goes away."""
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        sent = self.status.message()
        with contextlib.suppress(OSError):
            self.wfile.write(sent.encode())
            self.wfile.flush()
            while True:
                now = self.status.wait(sent, KEEPALIVE_SECONDS)
                self.wfile.write((now if now != sent else ": keep-alive\n\n").encode())
                self.wfile.flush()
                sent = now


def handler(site: Path, status: Status) -> functools.partial:
    """The request handler for `site`, reporting `status`."""
    bound = type("BoundPreviewHandler", (PreviewHandler,), {"status": status})
    return functools.partial(bound, directory=str(site))


def error_text(exc: BaseException) -> str:
    """A failed build's problems, one line each (without a header line such as 'the html build failed:')."""
    lines = [line for line in str(exc).splitlines() if line.strip()] or [type(exc).__name__]
    return "\n".join(lines[1:] if len(lines) > 1 and lines[0].endswith(":") else lines)


def rebuild(root: Path, build_dir: Path, status: Status) -> bool:
    """Build the HTML through the cache; tell the pages. The last good build stays when it fails."""
    start = time.perf_counter()
    try:
        with build.lock(build_dir):
            report = build.build_html(root, build_dir)
    except CarebookError as exc:
        status.failed(error_text(exc))
        print(f"build failed, still serving the last good build:\n{exc}", flush=True)
        return False
    except Exception as exc:  # a bug, not bad input: the preview keeps serving and says what happened
        status.failed(f"unexpected {type(exc).__name__}: {exc}")
        print(f"build failed (unexpected {type(exc).__name__}: {exc}), still serving the last good build", flush=True)
        return False
    status.landed()
    kept = "; Sphinx kept warm" if warm.reused() else ""
    print(f"rebuilt in {time.perf_counter() - start:.1f} s: {report.summary()}{kept}", flush=True)
    with contextlib.suppress(Exception):  # an optimisation: the next build loads it itself if this fails
        warm.ahead()
    return True


def warm_up() -> None:
    """Import Sphinx and the book's extensions now (in a thread), so the first edit does not wait for them."""
    for name in WARM_MODULES:
        with contextlib.suppress(Exception):
            importlib.import_module(name)


def relevant(root: Path, path: Path) -> bool:
    """True for a source of the book: under a watched folder (not a build or cache folder), or a watched file."""
    try:
        parts = path.relative_to(root).parts
    except ValueError:
        return False
    if len(parts) == 1:
        return parts[0] in WATCHED_FILES
    return parts[0] in WATCHED_DIRS and not {"_build", "__pycache__", ".ipynb_checkpoints"} & set(parts)


def watch(root: Path, changes: queue.Queue, stop: threading.Event) -> None:
    """Put each batch of changed sources on `changes`: folders recursively, the root's own files on their own
    (watching the root recursively would also watch .venv and _build)."""
    from watchfiles import watch as watch_paths

    def follow(paths: list[Path], recursive: bool) -> None:
        for batch in watch_paths(*paths, recursive=recursive, stop_event=stop, debounce=400, step=30):
            found = sorted({Path(p) for _, p in batch if relevant(root, Path(p))})
            if found:
                changes.put(found)

    folders = [root / name for name in WATCHED_DIRS if (root / name).is_dir()]
    for paths, recursive in ((folders, True), ([root], False)):
        threading.Thread(target=follow, args=(paths, recursive), daemon=True, name="watch").start()


def restart(port: int) -> None:
    """Start this command again in this process (the build's own code changed), on the same port."""
    print("carebook's own code changed: restarting the preview", flush=True)
    args = list(sys.argv[1:])
    if "--port" in args:
        at = args.index("--port")
        del args[at : at + 2]
    os.execv(sys.executable, [sys.executable, "-m", "carebook.cli", *args, "--port", str(port)])


def serve(root: Path, build_dir: Path, port: int) -> None:
    """Build, serve build_dir/html on 127.0.0.1:port, and rebuild on every saved change (until Ctrl-C)."""
    changes: queue.Queue = queue.Queue()
    stop = threading.Event()
    status = Status()
    warm.enable()  # the Sphinx application of one build is used again by the next, while it fits
    watch(root, changes, stop)  # before the first build, so a file saved while it runs triggers the next one
    server = ThreadingHTTPServer(("127.0.0.1", port), handler(build_dir / "html", status))
    threading.Thread(target=server.serve_forever, daemon=True, name="http").start()
    built = rebuild(root, build_dir, status)
    threading.Thread(target=warm_up, daemon=True, name="warm-up").start()
    print(
        f"serving http://127.0.0.1:{server.server_port}/ : pages reload when you save a chapter or a table", flush=True
    )
    if built:  # the site was up to date: start Sphinx now rather than at the first save
        with contextlib.suppress(Exception), build.lock(build_dir):
            warm.start(root, build_dir)
    try:
        while True:
            changed = changes.get()
            with contextlib.suppress(queue.Empty):
                while True:  # everything saved meanwhile goes into one build
                    changed += changes.get_nowait()
            names = sorted({str(p.relative_to(root)) for p in changed})
            print(f"changed: {', '.join(names[:5])}{' …' if len(names) > 5 else ''}", flush=True)
            if any(Path(name).parts[0] == RESTART_ON and name.endswith(".py") for name in names):
                stop.set()
                server.server_close()
                restart(server.server_port)
            rebuild(root, build_dir, status)
    except KeyboardInterrupt:
        pass
    finally:
        stop.set()
        server.shutdown()
