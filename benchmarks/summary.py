"""Figures from the runs: medians, paired ratios, the targets of issues 10 and 17, the scaling rows."""

from __future__ import annotations

import math
import statistics

from benchmarks.harness import SYSTEMS, Run

DASK_LIMIT = 1.3  # issue 17: Dask on a LocalCluster within 1.3x of the local pool at 40 chapters
CLEAN_LIMIT = 0.5  # issue 28: a clean build at most half of stock's
PROSE_LIMIT = 0.5  # issue 28: a prose edit at most half of stock's time for the same edit
CODE_LIMIT = 0.7  # issue 28: one code cell edited at most 0.7x stock's
SERVE_LIMIT = 0.5  # issue 28: the preview shows a saved sentence in at most half of sphinx-autobuild's time


def spread(values: list[float]) -> str:
    """'median (min–max)' in seconds."""
    if not values:
        return "n/a"
    if len(values) == 1:
        return f"{values[0]:.1f}"
    return f"{statistics.median(values):.1f} ({min(values):.1f}–{max(values):.1f})"


def executed_text(runs: list[Run]) -> str:
    """The distinct numbers of notebooks the runs executed, e.g. '6' or '1, 2'."""
    return ", ".join(map(str, sorted({len(r.executed) for r in runs}))) if runs else "n/a"


def select(runs: list[Run], system: str, case: str) -> list[Run]:
    """The successful runs of one system and case."""
    return [r for r in runs if r.system == system and r.case == case and r.ok]


def median(runs: list[Run]) -> float:
    """Median seconds (nan if none)."""
    return statistics.median(r.seconds for r in runs) if runs else math.nan


def paired(runs: list[Run], case: str) -> list[float]:
    """carebook / stock for each repeat of `case`: the two builds ran back to back, under much the same load."""
    ours = {r.repeat: r.seconds for r in select(runs, "carebook", case)}
    stock = {r.repeat: r.seconds for r in select(runs, "stock", case)}
    return [ours[k] / stock[k] for k in sorted(ours.keys() & stock.keys())]


def ratio(runs: list[Run], case: str) -> float:
    """carebook's median over stock's, for `case`."""
    return median(select(runs, "carebook", case)) / median(select(runs, "stock", case))


def ratio_text(runs: list[Run], case: str) -> str:
    """'0.76x (per repeat: 0.54, 0.76, 0.63)': the ratio of the medians, then each repeat's own ratio."""
    if not select(runs, "carebook", case) or not select(runs, "stock", case):
        return "not measured"
    each = ", ".join(f"{r:.2f}" for r in paired(runs, case))
    return f"{ratio(runs, case):.2f}x (per repeat: {each})"


def html_built(run: Run) -> bool:
    """True if the run rebuilt the HTML (its report says `built`; older results only have the step's seconds)."""
    status = run.step_status.get("html")
    return status == "built" if status else run.steps.get("html", 0.0) > 0


def targets(runs: list[Run], facts: dict, scaling: list[dict] | None = None) -> list[tuple[str, bool, str]]:
    """Each target: description, met, measured."""
    ours = {c: select(runs, "carebook", c) for c in {r.case for r in runs}}
    stock = {c: select(runs, "stock", c) for c in {r.case for r in runs}}
    noop_own = median(ours.get("noop", [])) / median(ours.get("clean", []))
    readers = facts["data_edit"].get("readers", [])
    edited, data_runs, prose_runs, code_runs = (
        ours.get(c, []) for c in ("edit-code", "edit-data", "edit-prose", "edit-build-code")
    )
    chapter = facts.get("code_edit_chapter", "")
    found = [
        (
            f"Clean build at most {CLEAN_LIMIT}x stock (ratio of medians)",
            ratio(runs, "clean") <= CLEAN_LIMIT,
            ratio_text(runs, "clean"),
        ),
        ("No-op rebuild at most 0.5x stock (ratio of medians)", ratio(runs, "noop") <= 0.5, ratio_text(runs, "noop")),
        ("No-op under 10% of our clean build", noop_own < 0.1, f"{100 * noop_own:.1f}%"),
        (
            f"Edited chapter: exactly one notebook executed, at most {CODE_LIMIT}x stock",
            bool(edited) and all(r.executed == [chapter] for r in edited) and ratio(runs, "edit-code") <= CODE_LIMIT,
            "; ".join([ratio_text(runs, "edit-code"), *(",".join(r.executed) or "none" for r in edited)]),
        ),
        (
            f"Edited prose: zero executed, the page shows the sentence, at most {PROSE_LIMIT}x stock",
            bool(prose_runs)
            and all(not r.executed and r.shows_new_value for r in prose_runs)
            and ratio(runs, "edit-prose") <= PROSE_LIMIT,
            "; ".join(
                [
                    ratio_text(runs, "edit-prose"),
                    *(f"{len(r.executed)} executed / shows: {r.shows_new_value}" for r in prose_runs),
                ]
            ),
        ),
        (
            "Edited build code: zero executed and the site rebuilt",
            bool(code_runs) and all(not r.executed and html_built(r) for r in code_runs),
            "; ".join(
                f"{len(r.executed)} executed / html {'rebuilt' if html_built(r) else 'not rebuilt'}" for r in code_runs
            )
            or "not measured",
        ),
        (
            f"Edited data: exactly its readers executed ({', '.join(readers)}), page shows the new value",
            bool(data_runs) and all(sorted(r.executed) == readers and r.shows_new_value for r in data_runs),
            "; ".join(f"{','.join(sorted(r.executed))} / shows: {r.shows_new_value}" for r in data_runs),
        ),
        (
            "Stock, edited data: zero executed and a stale page (expected of stock)",
            bool(stock.get("edit-data")) and all(not r.executed and not r.shows_new_value for r in stock["edit-data"]),
            "; ".join(f"{len(r.executed)} executed / shows: {r.shows_new_value}" for r in stock.get("edit-data", [])),
        ),
    ]
    served = ours.get("serve-edit-prose", [])
    if served or stock.get("serve-edit-prose"):
        found.append(
            (
                f"Preview open: the served page shows a saved sentence, in at most {SERVE_LIMIT}x "
                "sphinx-autobuild's time",
                bool(served)
                and all(r.shows_new_value for r in served)
                and ratio(runs, "serve-edit-prose") <= SERVE_LIMIT,
                "; ".join([ratio_text(runs, "serve-edit-prose"), *(f"shows: {r.shows_new_value}" for r in served)]),
            )
        )
    if scaling:
        largest = scaling[-1]
        dask = largest["dask_clean"] / largest["carebook_clean"]
        found.append(
            (
                f"Dask (LocalCluster) clean build within {DASK_LIMIT}x of the local pool at {largest['chapters']} "
                "chapters",
                dask <= DASK_LIMIT,
                "not measured"
                if math.isnan(dask)
                else f"{dask:.2f}x ({largest['dask_clean']:.1f} s against {largest['carebook_clean']:.1f} s)",
            )
        )
    return found


def scaling_rows(runs: list[Run], sizes: list[int]) -> list[dict]:
    """Per size: clean and no-op medians for both systems, the load before the clean builds, Dask's clean build."""
    rows = []
    for size in sizes:
        row: dict = {"chapters": size}
        for system in SYSTEMS:
            for case in ("clean", "noop"):
                row[f"{system}_{case}"] = median(select(runs, system, f"{case}-{size}"))
            loads = [r.load for r in select(runs, system, f"clean-{size}")]
            row[f"{system}_load"] = statistics.mean(loads) if loads else math.nan
        row["dask_clean"] = median(select(runs, "carebook-dask", f"clean-{size}"))
        rows.append(row)
    return rows
