"""The `carebook` command: a thin layer over the library (build, validate, check, lock, new-chapter)."""

from __future__ import annotations

import argparse
import contextlib
import gc
import sys
import time
from pathlib import Path

EXIT_FAILED = 1
# A build makes millions of objects (doctrees, parsed notebooks, Sphinx's environment) that live until it ends:
# with Python's default thresholds (700, 10, 10) the cyclic collector ran about 750 times in a one-sentence edit
# and took a tenth of its time. These are mypy's thresholds for its builds (mypy/build.py, `gc.set_threshold`).
GC_THRESHOLDS = (200_000, 30, 30)


def find_root(start: Path) -> Path:
    """The book's root: the nearest folder upward holding _toc.yml."""
    for folder in [start, *start.parents]:
        if (folder / "_toc.yml").exists():
            return folder
    from carebook.errors import UsageError

    raise UsageError(f"no _toc.yml in {start} or above: run carebook inside the book")


def parse_parameters(items: list[str], root: Path) -> dict[str, dict]:
    """`-p history first_year=1990` pairs into {'history': {'first_year': 1990}} (values parsed as YAML).

    An unknown chapter or parameter is refused, listing the valid ones; a value of the wrong type or outside the
    parameter's declared choices is refused, naming the argument.
    """
    from carebook.build.params import chapter_parameters
    from carebook.errors import UsageError

    if not items:
        return {}
    known = chapter_parameters(root)
    found: dict[str, dict] = {}
    for chapter, assignment in items:
        name, sep, value = assignment.partition("=")
        if not sep:
            raise UsageError(f"parameter {assignment!r} for {chapter!r} must be name=value")
        if chapter not in known:
            raise UsageError(f"-p: no chapter {chapter!r} (chapters: {', '.join(known) or 'none'})")
        if name not in known[chapter]:
            valid = ", ".join(known[chapter]) or "none: it has no cell tagged `parameters`"
            raise UsageError(f"-p: chapter {chapter!r} has no parameter {name!r} (its parameters: {valid})")
        found.setdefault(chapter, {})[name] = known[chapter][name].check(chapter, value)
    return found


def variant_dir(build_dir: Path, params: dict[str, dict]) -> Path:
    """Where a build goes: the published `_build`, or `_build/variants/<name>/` for a parameterised build."""
    import re

    if not params:
        return build_dir
    name = "_".join(
        f"{chapter}-{key}-{value}"
        for chapter, values in sorted(params.items())
        for key, value in sorted(values.items())
    )
    return build_dir / "variants" / re.sub(r"[^A-Za-z0-9._-]+", "-", name)[:120]


def cmd_build(args: argparse.Namespace, root: Path) -> int:
    """Build the HTML book (and the PDF or EPUB with --pdf, --epub)."""
    from carebook import build

    start = time.monotonic()
    params = parse_parameters(args.param, root)
    out = variant_dir(args.build_dir, params)
    formats = ("html", *(name for name in editions() if getattr(args, name)))
    with build_lock(out):
        report = build.build(
            root,
            out,
            params,
            formats=formats,
            force=args.force,
            workers=args.jobs,
            executor=args.executor,
            scheduler=args.scheduler,
        )
    print(f"html: {out / 'html' / 'index.html'}")
    for name in formats[1:]:
        print(f"{name}: {out / build.OUTPUTS[name].product}")
    print(f"built in {time.monotonic() - start:.1f} s: {report.summary()}")
    return 0


def cmd_edition(args: argparse.Namespace, root: Path) -> int:
    """Build only one edition (`carebook pdf`, `carebook epub`, ...) from the executed chapters."""
    from carebook import build

    params = parse_parameters(args.param, root)
    out = variant_dir(args.build_dir, params)
    with build_lock(out):
        report = build.build(
            root,
            out,
            params,
            formats=(args.command,),
            force=args.force,
            workers=args.jobs,
            executor=args.executor,
            scheduler=args.scheduler,
        )
    print(f"{args.command}: {out / build.OUTPUTS[args.command].product}\n{report.summary()}")
    return 0


def cmd_validate(args: argparse.Namespace, root: Path) -> int:
    """Validate a data folder; print one line per problem."""
    from carebook.build import validate

    data_dir = Path(args.data_dir) if args.data_dir else root / "data"
    problems = validate.problems(data_dir)
    for line in problems:
        print(line)
    if problems:
        print(f"{len(problems)} problem(s) in {data_dir}", file=sys.stderr)
        return EXIT_FAILED
    print(f"{data_dir}: valid")
    return 0


def cmd_check(args: argparse.Namespace, root: Path) -> int:
    """Re-execute every chapter and compare its outputs with the committed record."""
    from carebook.build import check

    differences = check.check(root, args.build_dir, workers=args.jobs)
    for line in differences:
        print(line)
    if differences:
        print(
            "outputs differ from book/outputs.lock; if the change is intended, run `carebook lock` and commit it.",
            file=sys.stderr,
        )
        return EXIT_FAILED
    print("outputs match book/outputs.lock")
    return 0


def cmd_lock(args: argparse.Namespace, root: Path) -> int:
    """Re-execute every chapter and rewrite the output record."""
    from carebook.build import check

    path = check.lock(root, args.build_dir, workers=args.jobs)
    print(f"wrote {path.relative_to(root)}")
    return 0


def cmd_new_chapter(args: argparse.Namespace, root: Path) -> int:
    """Create a chapter from the template and list it in _toc.yml."""
    from carebook import scaffold

    path = scaffold.new_chapter(root, args.title)
    print(f"created {path.relative_to(root)} and added it to _toc.yml; run `make book` to build it")
    return 0


def build_lock(build_dir: Path):
    """Hold the build folder's lock (see carebook.build.lock)."""
    from carebook.build import lock

    return lock(build_dir)


def cmd_serve(args: argparse.Namespace, root: Path) -> int:
    """Serve a live preview that rebuilds on save."""
    from carebook import serve

    serve.serve(root, args.build_dir, args.port)
    return 0


def editions() -> dict:
    """The editions besides the web one, from the table of outputs (carebook/build/outputs/): one command each."""
    from carebook.build.outputs import outputs

    return {name: output for name, output in outputs().items() if name != "html"}


def executor_kinds() -> tuple[str, ...]:
    """The executors' names, from their registry."""
    from carebook.build.executors import KINDS

    return KINDS


def parser() -> argparse.ArgumentParser:
    """The command line."""
    top = argparse.ArgumentParser(prog="carebook", description=__doc__)
    top.add_argument("--root", type=Path, help="the book's root (default: found from the working folder)")
    top.add_argument("--build-dir", type=Path, help="where builds go (default: <root>/_build)")
    top.add_argument("-j", "--jobs", type=int, help="parallel chapter kernels (default: the number of cores)")
    sub = top.add_subparsers(dest="command", required=True)
    build = sub.add_parser("build", help="execute stale chapters and build the HTML book")
    for name, output in editions().items():
        build.add_argument(f"--{name}", action="store_true", help=f"also build {output.help}")
    commands = [sub.add_parser(name, help=f"build {output.help}") for name, output in editions().items()]
    for command in (build, *commands):
        command.add_argument("--force", action="store_true", help="ignore every stamp: re-execute and rebuild all")
        command.add_argument("--executor", choices=executor_kinds(), default="local", help="where chapters run")
        command.add_argument("--scheduler", metavar="ADDRESS", help="a dask scheduler (default: a LocalCluster)")
        command.add_argument(
            "-p",
            "--param",
            nargs=2,
            action="append",
            default=[],
            metavar=("CHAPTER", "NAME=VALUE"),
            help="a papermill parameter for a chapter, e.g. -p history first_year=1990",
        )
    check = sub.add_parser("validate", help="validate the data package")
    check.add_argument("data_dir", nargs="?", help="the data folder (default: <root>/data)")
    sub.add_parser("check", help="re-execute every chapter and compare outputs with book/outputs.lock")
    sub.add_parser("lock", help="re-execute every chapter and rewrite book/outputs.lock")
    preview = sub.add_parser("serve", help="live preview on 127.0.0.1 that rebuilds when you save")
    preview.add_argument("--port", type=int, default=8000, help="port on 127.0.0.1 (default 8000; 0 picks a free one)")
    new = sub.add_parser("new-chapter", help="create a chapter from the template")
    new.add_argument("title")
    return top


WRITES_BUILD = {"check", "lock"}  # build and pdf take the lock of the folder they write (a variant's own)
COMMANDS = {
    "build": cmd_build,
    "validate": cmd_validate,
    "check": cmd_check,
    "lock": cmd_lock,
    "new-chapter": cmd_new_chapter,
    "serve": cmd_serve,
}
INTERRUPTED = 130


def crash_log(build_dir: Path) -> Path:
    """Write the current exception's traceback to a log; return its path."""
    import tempfile
    import traceback

    for folder in (build_dir / "logs", Path(tempfile.gettempdir())):
        with contextlib.suppress(OSError):
            folder.mkdir(parents=True, exist_ok=True)
            path = folder / "carebook-crash.log"
            path.write_text(traceback.format_exc(), encoding="utf-8")
            return path
    return Path("(no writable folder for the log)")


def main(argv: list[str] | None = None) -> int:
    """Run a command: a failure prints one line naming its place (and a hint) and exits non-zero."""
    from carebook.build import progress
    from carebook.errors import CarebookError, translated

    gc.set_threshold(*GC_THRESHOLDS)
    progress.to_terminal()
    args = parser().parse_args(argv)
    build_dir = args.build_dir
    try:
        with translated():
            standalone = args.command == "validate" and args.data_dir
            root = (args.root or (Path.cwd() if standalone else find_root(Path.cwd()))).resolve()
            args.build_dir = build_dir = (args.build_dir or root / "_build").resolve()
            if args.command in WRITES_BUILD:
                with build_lock(args.build_dir):
                    return COMMANDS[args.command](args, root)
            return COMMANDS.get(args.command, cmd_edition)(args, root)
    except KeyboardInterrupt:
        print("\ninterrupted; the last good build is untouched", file=sys.stderr)
        return INTERRUPTED
    except CarebookError as exc:
        print(f"{exc}" + (f"\nerror: {exc.hint}" if exc.hint else ""), file=sys.stderr)
    except Exception as exc:  # a bug, not bad input: one line, and the traceback in a log
        log = crash_log(build_dir or Path.cwd() / "_build")
        print(f"error: unexpected {type(exc).__name__}: {exc} (traceback in {log})", file=sys.stderr)
    return EXIT_FAILED


def run() -> None:
    """The `carebook` command: `main`, then exit. What the command made (Sphinx's environment, doctrees, parsed
    notebooks) is frozen out of the collector first: the interpreter's last collection over it took about a fifth
    of a one-sentence edit's time, and the operating system frees it anyway. Exit handlers still run."""
    status = main()
    gc.freeze()
    sys.exit(status)


if __name__ == "__main__":
    run()
