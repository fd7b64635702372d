"""The cases of the main comparison, each timed once per repeat for both systems, alternating."""

from __future__ import annotations

import shutil
from pathlib import Path

from benchmarks import edits, serving
from benchmarks.edits import CODE_EDIT_CHAPTER, DATA_EDIT, DATA_EDIT_PAGE
from benchmarks.harness import SYSTEMS, Run, report_run, run_stock, runner, scratch_copy, set_stock_mode, stock_copy

CASES = {
    "clean": "Clean build, everything executed",
    "noop": "No-op rebuild (nothing changed)",
    "edit-code": f"One code cell edited ({CODE_EDIT_CHAPTER})",
    "edit-prose": f"A sentence added to a paragraph ({CODE_EDIT_CHAPTER})",
    "edit-build-code": f"A comment added to {edits.BUILD_CODE_EDIT}",
    "edit-data": f"One data CSV edited ({DATA_EDIT['table']}.csv)",
    "pdf": "PDF after HTML",
    "serve-edit-prose": f"Preview open: a sentence saved in {CODE_EDIT_CHAPTER} until the served page shows it",
}


def run_case(
    name: str,
    roots: dict[str, Path],
    order: tuple[str, ...],
    repeat: int,
    logs: Path,
    check: dict[str, str] | None = None,
    page: str = DATA_EDIT_PAGE,
) -> list[Run]:
    """Time case `name` once for each system, in `order`; with `check`, note whether `page` shows each system's text."""
    runs = []
    for system in order:
        run = runner(system)(roots[system], name, repeat, logs)
        if check:
            run.shows_new_value = edits.page_shows(roots[system], page, check[system])
        runs.append(run)
        report_run(run)
    return runs


def edit_both(roots: dict[str, Path], edit) -> dict[str, object]:
    """Make the same edit in each system's copy; what it returned, by system."""
    return {system: edit(root) for system, root in roots.items()}


def data_edit(roots: dict[str, Path], facts: dict) -> dict[str, str]:
    """Case 4's edit in both copies, recorded in `facts`; the text each page should then show."""
    built = all(edits.page_shows(r, DATA_EDIT_PAGE, "") for r in roots.values())  # "" is in any page that exists
    values = edit_both(roots, lambda root: edits.edit_csv(root, **DATA_EDIT))
    needles = {s: edits.value_needle(DATA_EDIT["column"], v) for s, v in values.items()}
    facts["data_edit"].update(
        new_value=values["carebook"],
        needle=needles["carebook"],
        readers=edits.readers_of(roots["carebook"], DATA_EDIT["table"]),
        needle_absent_before=built
        and not any(edits.page_shows(r, DATA_EDIT_PAGE, needles[s]) for s, r in roots.items()),
    )
    return needles


def serve_case(roots: dict[str, Path], order: tuple[str, ...], repeat: int, logs: Path) -> list[Run]:
    """The author's loop, last in a repeat (stock's server builds into its own folder): save to served page."""
    runs = []
    for system in order:
        runs.append(serving.run_serve(system, roots[system], repeat, logs))
        report_run(runs[-1])
    return runs


def one_repeat(
    repeat: int, roots: dict[str, Path], logs: Path, facts: dict, pdf: bool, serve: bool = True
) -> list[Run]:
    """Every case once, in order, on the two scratch copies; which system goes first flips each repeat."""
    order = SYSTEMS if repeat % 2 == 0 else SYSTEMS[::-1]
    runs = run_case("clean", roots, order, repeat, logs)
    set_stock_mode(roots["stock"], "cache")  # stock's cache starts empty: one build to fill it
    prime = run_stock(roots["stock"], "prime", repeat, logs)
    report_run(prime)
    runs += [prime, *run_case("noop", roots, order, repeat, logs)]
    edit_both(roots, lambda root: edits.edit_code_cell(root, CODE_EDIT_CHAPTER, repeat))
    runs += run_case("edit-code", roots, order, repeat, logs)
    sentences = edit_both(roots, lambda root: edits.edit_prose(root, CODE_EDIT_CHAPTER, repeat))
    runs += run_case("edit-prose", roots, order, repeat, logs, check=sentences, page=CODE_EDIT_CHAPTER)
    edit_both(roots, lambda root: edits.edit_build_code(root, repeat))
    runs += run_case("edit-build-code", roots, order, repeat, logs)
    runs += run_case("edit-data", roots, order, repeat, logs, check=data_edit(roots, facts))
    if pdf:
        runs += run_case("pdf", roots, order, repeat, logs)
    if serve:
        runs += serve_case(roots, order, repeat, logs)
    return runs


def compare(
    repeats: int, work: Path, source: Path, bundle: bytes, pdf: bool, serve: bool = True
) -> tuple[list[Run], dict]:
    """Every case, `repeats` times, each repeat in fresh scratch copies; the runs and the edits' facts."""
    runs: list[Run] = []
    facts: dict = {
        "data_edit": {**DATA_EDIT, "page": DATA_EDIT_PAGE},
        "code_edit_chapter": CODE_EDIT_CHAPTER,
        "build_code_edit": edits.BUILD_CODE_EDIT,
    }
    for repeat in range(repeats):
        roots = {
            "carebook": scratch_copy(source, work / f"carebook-{repeat}"),
            "stock": stock_copy(source, work / f"stock-{repeat}", bundle, "force"),
        }
        runs += one_repeat(repeat, roots, work / "logs", facts, pdf, serve)
        if repeat < repeats - 1:  # the last carebook copy is profiled afterwards
            for root in roots.values():
                shutil.rmtree(root)
    return runs, facts
