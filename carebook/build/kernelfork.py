"""Kernels forked from a warm template: a chapter's kernel starts without importing pandas and Altair again.

The local pool keeps one template: a fresh interpreter, started as a kernel is (the same command line form,
folder and environment), that imports ipykernel and the chapters' API (`executors.PRELOAD`) and runs nothing
else. The build starts it before it forks its workers, which share it (`share`, `close`); a worker with none
starts its own. Each chapter's kernel is a fork of it: a new process with its own session, folder for reads,
log and connection file, in which no chapter has run, ready in a fraction of the second a fresh interpreter
takes to import what every chapter imports. When the template cannot serve (the kernel command is not this
interpreter's ipykernel, the template has gone), jupyter_client starts the kernel as usual.

Run as `python -m carebook.build.kernelfork`, this module is the template.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path

# What a kernel imports as it starts, before any chapter: the kernel itself, and what its start-up imports on the
# way (the debugger's debugpy, the history's sqlite3, IPython's default extension): about 0.05 s a kernel.
KERNEL_MODULES = (
    "ipykernel.kernelapp",
    "ipykernel.ipkernel",
    "ipykernel.zmqshell",
    "ipykernel.debugger",
    "IPython.core.history",
    "IPython.core.completerlib",
    "IPython.extensions.storemagic",
)
LAUNCHER = ["-m", "ipykernel_launcher"]  # the python3 kernel's command after the interpreter
PER_KERNEL = ("CAREBOOK_DEPS", "CAREBOOK_SCRATCH", "TMPDIR")  # each kernel's own folders: set after the fork
PRELOAD_ENV = "CAREBOOK_TEMPLATE_PRELOAD"  # the modules the template imports, comma-separated


@dataclass
class Request:
    """What one kernel needs: its arguments after `-m ipykernel_launcher`, environment and log."""

    argv: list[str]
    env: dict[str, str]
    log: str


class Forked:
    """The part of `subprocess.Popen` jupyter_client's provisioner uses, for a kernel forked by the template.

    The kernel is the template's child, not ours: the template reaps it as it ends, so it is alive while its
    process id answers and is not a zombie waiting to be reaped.
    """

    stdin = stdout = stderr = None

    def __init__(self, pid: int):
        self.pid, self.returncode = pid, None

    def poll(self) -> int | None:
        if self.returncode is None and not _running(self.pid):
            self.returncode = -signal.SIGKILL  # its status went to the template, which reaped it
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        deadline = None if timeout is None else time.monotonic() + timeout
        while self.poll() is None:
            if deadline is not None and time.monotonic() > deadline:
                raise subprocess.TimeoutExpired(f"kernel {self.pid}", timeout)
            time.sleep(0.01)
        return self.returncode

    def send_signal(self, signum: int) -> None:
        if self.poll() is None:
            os.kill(self.pid, signum)

    def kill(self) -> None:
        self.send_signal(signal.SIGKILL)

    def terminate(self) -> None:
        self.send_signal(signal.SIGTERM)


def _running(pid: int) -> bool:
    """True while process `pid` exists and has not ended (a zombie has ended)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    with contextlib.suppress(OSError):
        stat = Path(f"/proc/{pid}/stat").read_text()
        return stat.rpartition(")")[2].split()[0] != "Z"
    return True


class Template:
    """A template process (the build's, shared by its workers, or a worker's own) and the pipes on which it is
    asked for kernels."""

    def __init__(self, preload: tuple[str, ...], env: dict[str, str], cwd: str):
        import multiprocessing

        shared = {k: v for k, v in env.items() if k not in PER_KERNEL}
        self.process = subprocess.Popen(
            [sys.executable, "-m", __name__],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            cwd=cwd,
            env={**shared, PRELOAD_ENV: ",".join((*KERNEL_MODULES, *preload))},
        )
        self.ask = Connection(os.dup(self.process.stdin.fileno()), readable=False)
        self.answer = Connection(os.dup(self.process.stdout.fileno()), writable=False)
        self.process.stdin.close()
        self.process.stdout.close()
        self.lock = multiprocessing.get_context("fork").Lock()  # one request at a time, from any forked worker

    def alive(self) -> bool:
        """True while the template runs (asked from a forked worker too, whose child it is not)."""
        return _running(self.process.pid)

    def fork(self, request: Request) -> Forked | None:
        """A kernel forked for `request`, or None if the template could not make one."""
        with self.lock:
            try:
                self.ask.send(request)
                answer = self.answer.recv()
            except (OSError, EOFError):
                return None
        return Forked(answer) if isinstance(answer, int) else None

    def close(self) -> None:
        """Let the template go: it ends when its pipe closes, and its kernels when they see it gone."""
        self.ask.close()
        self.answer.close()
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(timeout=5)


_templates: dict[tuple, Template] = {}  # this process's (and its parent's, in a forked worker), by their key
_made = threading.Lock()


def _key(root: str, preload: tuple[str, ...], env: dict[str, str], cwd: str) -> tuple:
    """What a template is started with, which its kernels must share: book, modules, folder, environment."""
    return (root, preload, cwd, tuple(sorted((k, v) for k, v in env.items() if k not in PER_KERNEL)))


def share(root: str, preload: tuple[str, ...], env: dict[str, str], cwd: str) -> Template | None:
    """Start a template for kernels of the book at `root`, to be found by the workers this process forks next."""
    if not preload:
        return None
    with _made:
        template = _templates[_key(root, preload, env, cwd)] = Template(preload, env, cwd)
    return template


def close(template: Template | None) -> None:
    """End a template started by `share` (its kernels stop too)."""
    if template is None:
        return
    with _made:
        for key in [key for key, value in _templates.items() if value is template]:
            del _templates[key]
    template.close()


def launcher(root: str, preload: tuple[str, ...], env: dict[str, str], cwd: str):
    """A function (command, launch options) -> Forked or None that forks kernels of the book at `root` (run in
    `cwd` with `env`) from the template shared with this process, else its own; None when there is nothing to
    preload."""
    if not preload:
        return None
    key = _key(root, preload, env, cwd)
    with _made:
        template = _templates.get(key)
        if template is None or not template.alive():
            template = _templates[key] = Template(preload, env, cwd)
            import atexit

            atexit.register(template.close)

    def launch(cmd: list[str], options: dict) -> Forked | None:
        if cmd[:3] != [sys.executable, *LAUNCHER] or str(options.get("cwd")) != cwd:
            return None
        log = getattr(options.get("stdout"), "name", os.devnull)
        return template.fork(Request(cmd[3:], dict(options["env"]), log))

    return launch


# The template process.


class _KernelShell:
    """Stands for IPython's shell in a kernel while the template imports (`get_ipython().kernel` exists)."""

    kernel = None


def _kernel_stand_in() -> _KernelShell:
    return _KernelShell()


def serve() -> None:
    """The template's life: import what a kernel imports, then fork a kernel for each request until asked no more.

    The modules are imported as a kernel imports them at start: in its folder and environment, and with an
    IPython kernel behind `get_ipython` (pandas chooses its display.max_columns so as it is imported). What the
    imports put in the environment (debugpy sets one variable) each kernel gets too.
    """
    import builtins
    import gc
    import importlib

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the build's; the template ends with its worker
    signal.signal(signal.SIGCHLD, _reap)
    requests, answers = Connection(os.dup(0), writable=False), Connection(os.dup(1), readable=False)
    null = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1):
        os.dup2(null, fd)
    os.close(null)
    if sys.path[0] == "" or Path(sys.path[0]) == Path.cwd():  # as ipykernel_launcher starts
        del sys.path[0]
    before = dict(os.environ)
    builtins.get_ipython = _kernel_stand_in
    for name in filter(None, os.environ.pop(PRELOAD_ENV, "").split(",")):
        with contextlib.suppress(Exception):  # the kernel imports it again, and its chapter reports the error
            importlib.import_module(name)
    del builtins.get_ipython
    set_on_import = {k: v for k, v in os.environ.items() if before.get(k) != v}  # debugpy sets one
    gc.collect()
    gc.freeze()  # pages every kernel shares stay shared: the collector never writes to them
    while True:
        try:
            request = requests.recv()
            answers.send(_fork_kernel(request, (requests, answers), _imported_env(request, before, set_on_import)))
        except (EOFError, OSError):
            os._exit(0)


def _reap(*_) -> None:
    """Collect every kernel that has ended, so that its process id stops answering."""
    with contextlib.suppress(ChildProcessError):
        while os.waitpid(-1, os.WNOHANG)[0]:
            pass


def _imported_env(request: Request, before: dict[str, str], set_on_import: dict[str, str]) -> dict[str, str]:
    """The kernel's environment: its own, with what the template's imports set where they would set it in a
    kernel (the kernel's value is the one the import saw)."""
    return {
        **request.env,
        **{k: v for k, v in set_on_import.items() if request.env.get(k) == before.get(k)},
    }


def _fork_kernel(request: Request, pipes: tuple[Connection, Connection], env: dict[str, str]) -> int | str:
    """Fork a kernel for `request`: its process id once it leads its own session, or why it could not."""
    ready, told = os.pipe()
    try:
        pid = os.fork()
    except OSError as exc:
        return str(exc)
    if pid == 0:
        os.close(ready)
        _become_kernel(request, pipes, told, env)
    os.close(told)
    os.read(ready, 1)  # the kernel leads its own process group before its id is handed out (see Forked)
    os.close(ready)
    return pid


def _become_kernel(request: Request, pipes: tuple[Connection, Connection], told: int, env: dict[str, str]) -> None:
    """In the forked child: take the kernel's session, signals, output and environment, then run it."""
    import importlib.util
    import tempfile

    code = 1
    try:
        os.setsid()  # as jupyter_client starts a kernel: its own session, out of reach of the terminal's Ctrl-C
        os.write(told, b".")
        os.close(told)
        for pipe in pipes:
            pipe.close()
        for signum in (signal.SIGCHLD, signal.SIGTERM):
            signal.signal(signum, signal.SIG_DFL)
        signal.signal(signal.SIGINT, signal.default_int_handler)
        log = os.open(request.log, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        for fd in (1, 2):
            os.dup2(log, fd)
        os.close(log)
        os.environ.clear()
        os.environ.update(env)
        os.environ["JPY_PARENT_PID"] = str(os.getppid())
        time.tzset()
        tempfile.tempdir = None
        # The kernel stops when its parent, the template, goes (ipykernel read JPY_PARENT_PID as it was imported).
        argv = [*request.argv, f"--IPKernelApp.parent_handle={os.getppid()}"]
        sys.argv = [importlib.util.find_spec("ipykernel_launcher").origin, *argv]
        from ipykernel import kernelapp

        kernelapp.launch_new_instance(argv=argv)
        code = 0
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 1
    except BaseException:
        import traceback

        traceback.print_exc()
    finally:
        with contextlib.suppress(Exception):
            sys.stdout.flush()
            sys.stderr.flush()
        os._exit(code)


if __name__ == "__main__":
    serve()
