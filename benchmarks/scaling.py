"""The scaling run: generated books of 10, 20 and 40 chapters, both systems, and ours again on Dask."""

from __future__ import annotations

import shutil
import textwrap
from pathlib import Path

import yaml

from benchmarks.harness import COPY_IGNORE, SYSTEMS, Run, report_run, run_carebook, runner, set_stock_mode
from carebook.scaffold import front_matter


def chapter_source(number: int) -> str:
    """A synthetic chapter of the real shape: parameters, load a table, compute, glue, one chart."""
    fence = "```"
    return front_matter() + textwrap.dedent(f"""
        # Synthetic chapter {number}

        {fence}{{code-cell}} ipython3
        :tags: [parameters]
        scale = {number}
        {fence}

        {fence}{{code-cell}} ipython3
        import altair as alt

        from carebook import charts, data, prose

        table = data.load("demand")
        shown = table[["id", "value", "source_id"]].copy()
        shown["scaled"] = shown["value"] * scale
        prose.glue("syn{number}_total", float(shown["scaled"].sum()), rows=[f"demand:{{row}}" for row in shown["id"]])
        {fence}

        The scaled total is {{glue:md}}`syn{number}_total`.

        {fence}{{code-cell}} ipython3
        chart = alt.Chart(shown).mark_bar().encode(x=alt.X("scaled:Q", title="Scaled"), y=alt.Y("id:N", title=None))
        charts.figure(
            "fig-syn{number}",
            chart,
            alt="Bars showing each scaled value of the demand table, one bar for each row.",
            sources=sorted(shown["source_id"].unique()),
            table="demand",
        )
        {fence}

        {fence}{{glue:figure}} fig-syn{number}
        :name: fig-syn{number}

        The demand table, each value scaled by the chapter's number.
        {fence}
        """)


def synthetic_book(source: Path, target: Path, chapters: int) -> Path:
    """A book of `chapters` synthetic chapters with `source`'s configuration, package, data and static files."""
    target.mkdir(parents=True)
    for name in ("_config.yml", "references.bib", "requirements.lock"):
        shutil.copy2(source / name, target / name)
    for name in ("_static", "latex", "carebook", "data"):
        shutil.copytree(source / name, target / name, ignore=COPY_IGNORE)
    (target / "book").mkdir()
    (target / "book" / "index.md").write_text(f"# Synthetic book\n\n{chapters} generated chapters.\n")
    names = [f"ch{n:03d}" for n in range(1, chapters + 1)]
    for number, name in enumerate(names, 1):
        (target / "book" / f"{name}.md").write_text(chapter_source(number), encoding="utf-8")
    toc = {"format": "jb-book", "root": "book/index", "chapters": [{"file": f"book/{n}"} for n in names]}
    (target / "_toc.yml").write_text(yaml.safe_dump(toc, sort_keys=False), encoding="utf-8")
    return target


def timed_as(run: Run, case: str) -> Run:
    """`run` renamed to a scaling case (e.g. clean-40), reported."""
    run.case = case
    report_run(run)
    return run


def one_size(size: int, repeat: int, work: Path, source: Path, bundle: bytes) -> list[Run]:
    """Clean and no-op builds of one generated book for both systems, then our clean build on Dask."""
    runs = []
    logs = work / "logs" / f"scale-{size}"
    order = SYSTEMS if (repeat + size) % 2 == 0 else SYSTEMS[::-1]
    for system in order:
        root = synthetic_book(source, work / f"scale-{size}-{system}-{repeat}", size)
        if system == "stock":  # its first build in cache mode fills an empty jupyter-cache
            (root / "_static" / "vega-bundle.js").write_bytes(bundle)
            set_stock_mode(root, "cache")
        for case in ("clean", "noop"):
            runs.append(timed_as(runner(system)(root, case, repeat, logs), f"{case}-{size}"))
        if system == "carebook":  # the same book on a Dask LocalCluster, from a clean build folder
            shutil.rmtree(root / "_build")
            runs.append(timed_as(run_carebook(root, "clean", repeat, logs, executor="dask"), f"clean-{size}"))
        shutil.rmtree(root)
    return runs


def scaling(sizes: list[int], repeats: int, work: Path, source: Path, bundle: bytes) -> list[Run]:
    """Every size, `repeats` times."""
    return [run for size in sizes for repeat in range(repeats) for run in one_size(size, repeat, work, source, bundle)]
