"""The author's loop (`serve-edit-prose`): from saving a sentence to the served page showing it, carebook's
`serve` against stock jupyter-book under sphinx-autobuild, each left running on the book as an author leaves it.

`make bench` runs it last in each repeat; `python -m benchmarks.serving` runs it alone (`--help`).
"""

from __future__ import annotations

import argparse
import http.client
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

from benchmarks import edits
from benchmarks.edits import CODE_EDIT_CHAPTER
from benchmarks.harness import (
    COPY_IGNORE,
    JUPYTER_BOOK,
    PYTHON,
    REPO,
    SYSTEMS,
    Run,
    run_stock,
    scratch_copy,
    scratch_env,
    stock_copy,
    vega_bundle,
)

READY_SECONDS = 900  # the servers' first build (stock's executes every chapter into its own cache)
SHOW_SECONDS = 300  # longest wait for the edit to reach the served page
POLL_SECONDS = 0.02
SETTLE_SECONDS = 2.0  # both servers idle a moment after their first build, as an author's would
STOCK_OUT = "_build/serve"  # stock's server builds here, leaving its timed builds' folder alone
READY = {"carebook": r"serving http://127\.0\.0\.1:\d+/", "stock": r"Serving on http://127\.0\.0\.1:\d+"}


def free_port() -> int:
    """A free loopback port."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def command(system: str, root: Path, port: int) -> list[str]:
    """The preview server of `system`; stock's gets conf.py from jupyter-book first (untimed)."""
    if system == "carebook":
        return [PYTHON, "-m", "carebook.cli", "serve", "--port", str(port)]
    subprocess.run([JUPYTER_BOOK, "config", "sphinx", "."], cwd=root, env=scratch_env(root), capture_output=True)
    return [
        PYTHON,
        "-m",
        "sphinx_autobuild",
        ".",
        f"{STOCK_OUT}/html",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--re-ignore",
        r"(^|/)(_build|\.jupyter_cache|jupyter_execute)(/|$)",
        "-d",
        f"{STOCK_OUT}/doctrees",
        "-D",
        f"nb_execution_cache_path={root / '_build' / '.jupyter_cache'}",  # the cache its timed builds filled
    ]


class Server:
    """A preview server started in its own process group (so its builds stop with it); its output kept."""

    def __init__(self, system: str, root: Path, log: Path):
        self.port = free_port()
        self.log = log
        self.output: list[str] = []
        self.process = subprocess.Popen(
            command(system, root, self.port),
            cwd=root,
            env=scratch_env(root),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
        )
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        for line in self.process.stdout:
            self.output.append(line)

    def wait_for(self, pattern: str, seconds: float) -> bool:
        """True once a line of output matches `pattern`; False on timeout or if the server stopped."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline and self.process.poll() is None:
            if any(re.search(pattern, line) for line in list(self.output)):
                return True
            time.sleep(0.2)
        return False

    def page(self, path: str) -> str:
        """The page as served ('' while it cannot be fetched)."""
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/{path}", timeout=10) as response:
                return response.read().decode("utf-8", errors="replace")
        except (urllib.error.URLError, OSError, http.client.HTTPException):  # HTTPException: a page cut short
            return ""

    def stop(self) -> None:
        """Stop the server and everything it started; keep its output in the log."""
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        self.log.parent.mkdir(parents=True, exist_ok=True)
        self.log.write_text("".join(self.output), encoding="utf-8")


def until_shown(server: Server, path: str, needle: str) -> float | None:
    """Seconds until the served page contains `needle` (polled), or None after SHOW_SECONDS."""
    start = time.perf_counter()
    while time.perf_counter() - start < SHOW_SECONDS:
        if needle in server.page(path):
            return time.perf_counter() - start
        time.sleep(POLL_SECONDS)
    return None


def run_serve(system: str, root: Path, repeat: int, log_dir: Path) -> Run:
    """Start `system`'s preview, wait for its first build, add a sentence, time until the served page shows it."""
    server = Server(system, root, log_dir / f"{system}-serve-edit-prose-{repeat}.log")
    page = f"book/{CODE_EDIT_CHAPTER}.html"
    try:
        ready = server.wait_for(READY[system], READY_SECONDS)
        time.sleep(SETTLE_SECONDS)
        load = os.getloadavg()[0]
        sentence = edits.edit_prose(root, CODE_EDIT_CHAPTER, repeat + 100)  # another sentence than edit-prose's
        seconds = until_shown(server, page, sentence) if ready else None
    finally:
        server.stop()
        (root / "conf.py").unlink(missing_ok=True)  # stock's timed builds read _config.yml alone
    shown = seconds is not None
    log = "" if shown else "".join(server.output)[-3000:]
    return Run(system, "serve-edit-prose", repeat, seconds or float(SHOW_SECONDS), [], shown, load, shown, log=log)


def prepared(system: str, source: Path, target: Path, bundle: bytes, logs: Path) -> Path:
    """A scratch copy for `system`'s preview; stock's myst-nb cache is filled first (untimed), as `make bench` does."""
    if system == "carebook":
        return scratch_copy(source, target)
    root = stock_copy(source, target, bundle, "cache")
    run_stock(root, "prime", 0, logs)
    return root


def main(argv: list[str] | None = None) -> int:
    """Time only the serve-edit-prose case; print each run with the machine's load."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.serving", description=__doc__.split("\n\n")[0])
    parser.add_argument("-n", "--repeats", type=int, default=1, help="repeats (default 1)")
    parser.add_argument("--systems", nargs="+", choices=SYSTEMS, default=list(SYSTEMS), help="default: both")
    parser.add_argument("--source", type=Path, default=REPO, help="the book to copy (default: this repository)")
    parser.add_argument("--keep", action="store_true", help="keep the scratch folder (its logs/ has each server's)")
    args = parser.parse_args(argv)
    work = Path(tempfile.mkdtemp(prefix="carebook-bench-serve-"))
    print(f"{os.cpu_count()} cores, load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}; {work}", flush=True)
    try:
        source = Path(shutil.copytree(args.source.resolve(), work / "source", ignore=COPY_IGNORE))
        bundle = vega_bundle() if "stock" in args.systems else b""
        for repeat in range(args.repeats):
            for system in args.systems:
                root = prepared(system, source, work / f"{system}-{repeat}", bundle, work / "logs")
                run = run_serve(system, root, repeat, work / "logs")
                shown = "shown" if run.ok else "NOT SHOWN"
                print(f"{system} serve-edit-prose #{repeat}: {run.seconds:.2f} s ({shown}), load {run.load:.2f}")
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
