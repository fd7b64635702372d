"""`carebook serve`: a live preview on loopback that rebuilds (through the cache) when a source changes."""

from __future__ import annotations

import functools
import threading
import time
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from carebook import build

WATCHED = ("book", "data", "_static", "_config.yml", "_toc.yml", "references.bib")
POLL_SECONDS = 1.0


def snapshot(root: Path) -> dict[Path, float]:
    """Modification times of every watched file."""
    found = {}
    for name in WATCHED:
        path = root / name
        for item in [path, *path.rglob("*")] if path.is_dir() else [path]:
            if item.is_file() and "_build" not in item.parts:
                found[item] = item.stat().st_mtime
    return found


class QuietHandler(SimpleHTTPRequestHandler):
    """Serves the built book without logging every request."""

    def log_message(self, format: str, *args) -> None:  # noqa: A002 (the name is the stdlib's)
        pass


def rebuild(root: Path, build_dir: Path) -> None:
    """Build the HTML; print a failure instead of stopping the preview (the last good build stays)."""
    try:
        with build.lock(build_dir):
            report = build.build_html(root, build_dir)
        print(f"rebuilt: {report.summary()}", flush=True)
    except Exception as exc:  # the preview keeps serving the last good build
        print(f"build failed, still serving the last good build:\n{exc}", flush=True)


def serve(root: Path, build_dir: Path, port: int, polls: int | None = None) -> None:
    """Build, serve build_dir/html on 127.0.0.1:port, and rebuild on every change (until Ctrl-C).

    The snapshot is taken before each build, so a file saved while a build runs triggers the next one.
    """
    seen = snapshot(root)
    rebuild(root, build_dir)
    handler = functools.partial(QuietHandler, directory=str(build_dir / "html"))
    server = ThreadingHTTPServer(("127.0.0.1", port), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    print(f"serving http://127.0.0.1:{server.server_port}/ : edit a chapter or a table and reload", flush=True)
    try:
        while polls is None or polls > 0:
            time.sleep(POLL_SECONDS)
            polls = None if polls is None else polls - 1
            now = snapshot(root)
            if now != seen:
                changed = sorted(
                    str(p.relative_to(root)) for p in set(now) ^ set(seen) | {p for p in now if seen.get(p) != now[p]}
                )
                print(f"changed: {', '.join(changed[:5])}", flush=True)
                seen = now
                rebuild(root, build_dir)
    except KeyboardInterrupt:
        pass
    finally:
        server.shutdown()
