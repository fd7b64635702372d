"""The `carebook` command: a thin layer over the library (build, validate, check, lock, new-chapter)."""

from __future__ import annotations

import argparse
import contextlib
import fcntl
import sys
import time
from pathlib import Path

EXIT_FAILED = 1


def find_root(start: Path) -> Path:
    """The book's root: the nearest folder upward holding _toc.yml."""
    for folder in [start, *start.parents]:
        if (folder / "_toc.yml").exists():
            return folder
    raise SystemExit(f"error: no _toc.yml in {start} or above: run carebook inside the book")


def parse_parameters(items: list[str]) -> dict[str, dict]:
    """`-p history first_year=1990` pairs into {'history': {'first_year': 1990}} (values parsed as YAML)."""
    import yaml

    found: dict[str, dict] = {}
    for chapter, assignment in items:
        name, sep, value = assignment.partition("=")
        if not sep:
            raise SystemExit(f"error: parameter {assignment!r} for {chapter!r} must be name=value")
        found.setdefault(chapter, {})[name] = yaml.safe_load(value)
    return found


def cmd_build(args: argparse.Namespace, root: Path) -> int:
    """Build the HTML book (and the PDF with --pdf)."""
    from carebook import build

    start = time.monotonic()
    params = parse_parameters(args.param)
    report = build.build_html(root, args.build_dir, params, force=args.force, workers=args.jobs)
    print(f"html: {args.build_dir / 'html' / 'index.html'}")
    if args.pdf:
        report_pdf = build.build_pdf(root, args.build_dir, params, workers=args.jobs)
        report.steps.update({name: t for name, t in report_pdf.steps.items() if name not in report.steps})
        print(f"pdf: {args.build_dir / 'pdf' / 'joined-up.pdf'}")
    print(f"built in {time.monotonic() - start:.1f} s: {report.summary()}")
    return 0


def cmd_pdf(args: argparse.Namespace, root: Path) -> int:
    """Build only the PDF."""
    from carebook import build

    report = build.build_pdf(root, args.build_dir, parse_parameters(args.param), workers=args.jobs)
    print(f"pdf: {args.build_dir / 'pdf' / 'joined-up.pdf'}\n{report.summary()}")
    return 0


def cmd_validate(args: argparse.Namespace, root: Path) -> int:
    """Validate a data folder; print one line per problem."""
    from carebook import validate

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
    from carebook import check

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
    from carebook import check

    path = check.lock(root, args.build_dir, workers=args.jobs)
    print(f"wrote {path.relative_to(root)}")
    return 0


def cmd_new_chapter(args: argparse.Namespace, root: Path) -> int:
    """Create a chapter from the template and list it in _toc.yml."""
    from carebook import scaffold

    path = scaffold.new_chapter(root, args.title)
    print(f"created {path.relative_to(root)} and added it to _toc.yml; run `make book` to build it")
    return 0


@contextlib.contextmanager
def build_lock(build_dir: Path):
    """Hold an exclusive lock on the build folder, so two builds never write it at once."""
    build_dir.mkdir(parents=True, exist_ok=True)
    with open(build_dir / ".lock", "w") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            print(f"waiting for another build of {build_dir} to finish...", file=sys.stderr, flush=True)
            fcntl.flock(handle, fcntl.LOCK_EX)
        yield


def cmd_serve(args: argparse.Namespace, root: Path) -> int:
    """Serve a live preview that rebuilds on save."""
    from carebook import serve

    serve.serve(root, args.build_dir, args.port)
    return 0


def parser() -> argparse.ArgumentParser:
    """The command line."""
    top = argparse.ArgumentParser(prog="carebook", description=__doc__)
    top.add_argument("--root", type=Path, help="the book's root (default: found from the working folder)")
    top.add_argument("--build-dir", type=Path, help="where builds go (default: <root>/_build)")
    top.add_argument("-j", "--jobs", type=int, help="parallel chapter kernels (default: the number of cores)")
    sub = top.add_subparsers(dest="command", required=True)
    build = sub.add_parser("build", help="execute stale chapters and build the HTML book")
    build.add_argument("--pdf", action="store_true", help="also build the PDF")
    build.add_argument("--force", action="store_true", help="re-execute every chapter")
    for command in (build, sub.add_parser("pdf", help="build the PDF edition")):
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


WRITES_BUILD = {"build", "pdf", "check", "lock"}
COMMANDS = {
    "build": cmd_build,
    "pdf": cmd_pdf,
    "validate": cmd_validate,
    "check": cmd_check,
    "lock": cmd_lock,
    "new-chapter": cmd_new_chapter,
    "serve": cmd_serve,
}


def failure_hints() -> dict[type[Exception], str]:
    """The closing line printed under each known kind of failure, after its own message."""
    from carebook.build import DataInvalid
    from carebook.check import NonDeterministic
    from carebook.run import ExecutionFailed
    from carebook.sphinx import SphinxFailed

    return {
        DataInvalid: "the data is invalid; no chapter was run and the last good build is untouched",
        ExecutionFailed: "a chapter failed; the last good build is untouched",
        NonDeterministic: "fix the chapter so it gives the same output every run (seed random numbers)",
        SphinxFailed: "the last good build is untouched",
    }


def main(argv: list[str] | None = None) -> int:
    """Run a command; known failures print one clear message and exit non-zero."""
    args = parser().parse_args(argv)
    standalone = args.command == "validate" and args.data_dir
    root = (args.root or (Path.cwd() if standalone else find_root(Path.cwd()))).resolve()
    args.build_dir = (args.build_dir or root / "_build").resolve()
    hints = failure_hints()
    try:
        if args.command in WRITES_BUILD:
            with build_lock(args.build_dir):
                return COMMANDS[args.command](args, root)
        return COMMANDS[args.command](args, root)
    except tuple(hints) as exc:
        print(f"{exc}\nerror: {hints[type(exc)]}", file=sys.stderr)
    except (KeyError, FileNotFoundError, FileExistsError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
    return EXIT_FAILED


if __name__ == "__main__":
    sys.exit(main())
