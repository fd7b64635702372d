"""results.json as Markdown: the main table, the targets and the scaling run (the profile is in render_profile)."""

from __future__ import annotations

import math

from benchmarks.cases import CASES
from benchmarks.harness import SYSTEMS, Run
from benchmarks.render_profile import weight_lines, where_the_time_goes
from benchmarks.summary import executed_text, median, paired, scaling_rows, select, spread, targets

UNCOUNTED = ("serve-edit-prose",)  # a preview server's notebook runs are not read from its output


def num(value: float, digits: int = 1) -> str:
    """A figure with `digits` decimals, or 'n/a' when it was not measured."""
    return "n/a" if value is None or math.isnan(value) else f"{value:.{digits}f}"


def split_runs(saved: dict) -> tuple[list[Run], list[Run]]:
    """The main comparison's runs and the scaling run's (their case ends in the book's size, e.g. clean-40)."""
    runs = [Run(**r) for r in saved["runs"]]
    scaled = [r for r in runs if r.case.rsplit("-", 1)[-1].isdigit()]
    return [r for r in runs if r not in scaled], scaled


def heading(machine: dict, repeats: int) -> list[str]:
    """The title and the paragraph on the machine and the method."""
    return [
        "# Build benchmark: carebook versus stock jupyter-book",
        "",
        f"Measured {machine['date']} on {machine['cores']} cores ({machine['platform']}, Python {machine['python']}), "
        f"{repeats} repeat(s) of each case, the two systems alternating; load average "
        f"{machine['load_start'][0]:.1f} at the start and {machine['load_end'][0]:.1f} at the end "
        f"(mean 1-minute load before each timed build: {machine['mean_load']:.1f}; the machine is shared, "
        "so a load above the core count slows both systems). Seconds are wall time: median (min–max); "
        "the ratio is of the medians, then each repeat's own (its two builds ran back to back).",
    ]


def case_row(runs: list[Run], case: str, title: str) -> str:
    """One line of the main table."""
    ours, stock = select(runs, "carebook", case), select(runs, "stock", case)
    if case == "edit-data":
        shows = {s: [r.shows_new_value for r in select(runs, s, case)] for s in SYSTEMS}
        title += " " + "; ".join(
            f"{s} page shows new value: {'yes' if all(v) else 'no' if not any(v) else 'sometimes'}"
            for s, v in shows.items()
        )
    ratio = median(ours) / median(stock) if ours and stock else math.nan
    counted = case not in UNCOUNTED
    return (
        f"| {title} | {spread([r.seconds for r in ours])} | {executed_text(ours) if counted else 'not counted'} | "
        f"{spread([r.seconds for r in stock])} | {executed_text(stock) if counted else 'not counted'} | "
        f"{num(ratio, 2)} | "
        f"{', '.join(f'{r:.2f}' for r in paired(runs, case))} |"
    )


def main_table(runs: list[Run], facts: dict) -> list[str]:
    """The cases against stock, then what each edit was."""
    out = ["| Case | carebook s | executed | stock s | executed | carebook / stock | per repeat |"]
    out += ["| --- | --- | --- | --- | --- | --- | --- |"]
    out += [case_row(runs, case, title) for case, title in CASES.items() if case in {r.case for r in runs}]
    prime, data = select(runs, "stock", "prime"), facts["data_edit"]
    chapter = facts.get("code_edit_chapter", "")
    out += [
        "",
        f"Stock's no-op, edit and PDF cases use `execute_notebooks: cache`; filling its empty cache first took "
        f"{spread([r.seconds for r in prime])} s ({executed_text(prime)} executed), not counted above. "
        f"Case 3 adds a statement to the last code cell of `{chapter}`; the prose case adds a sentence to the end "
        f"of a paragraph of `{chapter}` and looks for it in the built page; the build-code case adds a comment to "
        f"`{facts.get('build_code_edit', 'carebook/sphinxext/html.py')}`; case 4 adds "
        f"{data['delta']} to `{data['column']}` of row `{data['row']}` in `data/{data['table']}.csv`, which the "
        f"chart of `{data['page']}` draws, and looks for `{data.get('needle', '?')}` in the built page (absent "
        f"before the edit: {data.get('needle_absent_before')}). Chapters that read that table, from their sources: "
        f"{', '.join(data.get('readers', []))}.",
    ]
    failed = [r for r in runs if not r.ok]
    if failed:
        names = ", ".join(f"{r.system} {r.case} #{r.repeat + 1}" for r in failed)
        out += ["", f"Failed builds (excluded above): {names}"]
    return out


def scaling_section(rows: list[dict], repeats: int, workers: int) -> list[str]:
    """The scaling table and how each system grew with the chapter count."""
    out = [
        "## Scaling",
        "",
        f"Generated books of synthetic chapters (parameters, load `demand`, compute, glue, one chart), {repeats} "
        "run(s) per size. Stock's clean build here is its first build in `cache` mode (an empty cache, so "
        "everything is executed). Our clean build runs twice: on the local pool, and with `--executor dask` on a "
        "Dask `LocalCluster` (one worker, a thread per core).",
        "",
        "| Chapters | carebook clean s | stock clean s | ratio | carebook no-op s | stock no-op s | ratio "
        "| load before the clean builds (carebook, stock) | carebook --executor dask clean s | dask / local |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for row in rows:
        out.append(
            f"| {row['chapters']} | {num(row['carebook_clean'])} | {num(row['stock_clean'])} | "
            f"{num(row['carebook_clean'] / row['stock_clean'], 2)} | {num(row['carebook_noop'])} | "
            f"{num(row['stock_noop'])} | {num(row['carebook_noop'] / row['stock_noop'], 2)} | "
            f"{num(row['carebook_load'])}, {num(row['stock_load'])} | {num(row['dask_clean'])} | "
            f"{num(row['dask_clean'] / row['carebook_clean'], 2)} |"
        )
    loads = [row[f"{s}_load"] for row in rows for s in SYSTEMS]
    if loads and max(loads) - min(loads) > 1:
        out += [
            "",
            "The load changed between sizes by more than one core's worth: the growth below mixes the chapter "
            "count with the machine's other work.",
        ]
    if len(rows) > 1:
        first, last = rows[0], rows[-1]
        added = last["chapters"] - first["chapters"]
        out += [
            "",
            f"From {first['chapters']} to {last['chapters']} chapters ({last['chapters'] / first['chapters']:.0f}x): "
            f"carebook's clean build grew {last['carebook_clean'] / first['carebook_clean']:.1f}x and its no-op "
            f"{last['carebook_noop'] / first['carebook_noop']:.1f}x; stock's clean build grew "
            f"{last['stock_clean'] / first['stock_clean']:.1f}x and its no-op "
            f"{last['stock_noop'] / first['stock_noop']:.1f}x. Per chapter, carebook's clean build cost "
            f"{(last['carebook_clean'] - first['carebook_clean']) / added:.2f} s and stock's "
            f"{(last['stock_clean'] - first['stock_clean']) / added:.2f} s (with {workers} carebook workers).",
        ]
    return out


def markdown(saved: dict) -> str:
    """The whole of results.md from a results.json (as written by a run, or saved)."""
    runs, scale_runs = split_runs(saved)
    settings, machine, facts = saved["settings"], saved["machine"], saved["facts"]
    rows = scaling_rows(scale_runs, settings["scale_sizes"]) if scale_runs else []
    out = [*heading(machine, settings["repeats"]), "", *main_table(runs, facts)]
    if any(not r.ok for r in scale_runs):
        names = ", ".join(f"{r.system} {r.case} #{r.repeat + 1}" for r in scale_runs if not r.ok)
        out += ["", f"Failed builds of the scaling run (excluded below): {names}"]
    out += ["", "## Targets", "", "| Target | Met | Measured |", "| --- | --- | --- |"]
    out += [
        f"| {name} | {'yes' if met else '**no**'} | {measured} |" for name, met, measured in targets(runs, facts, rows)
    ]
    if rows:
        out += ["", *scaling_section(rows, settings["scale_repeats"], machine["workers"])]
    out += weight_lines(machine.get("page_weight"))
    out += where_the_time_goes(saved.get("floor") or {}, runs, machine)
    return "\n".join(out) + "\n"
