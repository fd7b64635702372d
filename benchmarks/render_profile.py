"""results.md's page weight, lower bound and profile sections, from what the probes measured."""

from __future__ import annotations

import statistics

from benchmarks.harness import Run
from benchmarks.summary import median, select


def weight_lines(weight: dict | None) -> list[str]:
    """The page-weight section of results.md."""
    if not weight:
        return []
    mib = 1024 * 1024
    return [
        "",
        "## Page weight",
        "",
        f"Largest page: `{weight['largest_page']}`, {weight['largest_page_bytes'] / 1024:.0f} KiB of HTML (whatever "
        f"it carries inline: tables, chart specs). Whole site: {weight['site_bytes'] / mib:.1f} MiB, of which the "
        f"chart script every page shares (vega, vega-lite and vega-embed, cached by the browser after the first page) "
        f"is {weight['vega_bundle_bytes'] / mib:.1f} MiB." + (f" ({weight['note']}.)" if weight.get("note") else ""),
    ]


def where_the_time_goes(floor: dict, runs: list[Run], machine: dict) -> list[str]:
    """The lower bound and the profile of our clean build, as Markdown."""
    if not floor:
        return []
    clean = select(runs, "carebook", "clean")
    steps = {k: statistics.median(r.steps.get(k, 0.0) for r in clean) for k in ("validate", "execute", "stage", "html")}
    out = ["", "## Lower bound", ""]
    kernel = floor.get("kernel", {})
    if "trivial" in kernel:
        out += [
            f"- Starting a kernel and running a trivial cell through papermill: {kernel['trivial']['wall']:.2f} s; "
            f"a cell that imports pandas and altair: {kernel['imports']['wall']:.2f} s "
            f"(the import itself {kernel['imports']['cell']:.2f} s)."
            + (
                f" A trivial cell in a kernel forked from the build's warm template (which has imported them): "
                f"{kernel['forked']['wall']:.2f} s; the floors below count a kernel start as that."
                if "forked" in kernel
                else ""
            ),
            f"- The chapters' own cell time (papermill's per-cell durations, last clean build): "
            f"{sum(floor['cells'].values()):.1f} s in all; "
            + ", ".join(f"{k} {v:.1f}" for k, v in sorted(floor["cells"].items(), key=lambda kv: -kv[1]))
            + ".",
            f"- Floor for a clean build on {machine['workers']} workers: {floor['floor_formula']} = "
            f"**{floor['floor']:.1f} s**, against a measured median of {median(clean):.1f} s "
            f"({median(clean) / floor['floor']:.2f}x the floor).",
        ]
        stock_clean = select(runs, "stock", "clean")
        if stock_clean:
            cells = floor["cells"]
            balanced = (sum(cells.values()) + floor["kernel_start"] * len(cells)) / machine["workers"] + floor["html"]
            out.append(
                f"- With the work shared perfectly instead (every chapter's cells plus a kernel start, divided among "
                f"the workers, plus the HTML step): {balanced:.1f} s. Against stock's median clean build "
                f"({median(stock_clean):.1f} s) the two floors are {floor['floor'] / median(stock_clean):.2f}x and "
                f"{balanced / median(stock_clean):.2f}x."
            )
    out += ["", "## Where the time goes", "", "Our clean build (median of the steps it reports):", ""]
    out += [f"- {name}: {seconds:.1f} s" for name, seconds in steps.items()]
    walls = floor.get("chapter_wall", {})
    if walls and floor.get("cells"):
        overhead = {k: walls[k] - floor["cells"].get(k, 0.0) for k in walls}
        out += [
            "",
            "Per chapter in the last clean build (wall in its worker, of which its own cells; the rest is kernel "
            "start, papermill and waiting for a core):",
            "",
            "| Chapter | wall s | cells s | rest s |",
            "| --- | --- | --- | --- |",
        ]
        out += [f"| {k} | {walls[k]:.1f} | {floor['cells'].get(k, 0.0):.1f} | {overhead[k]:.1f} |" for k in walls]
    png = floor.get("png", {})  # runs from before charts stopped rendering a PNG as they execute
    if "charts" in png:
        out += [
            "",
            f"PNG conversion (vl-convert, for the PDF; every chart makes one during execution): {png['charts']} charts "
            f"re-rendered in {png['seconds']:.1f} s, plus {png['init']:.2f} s to start vl-convert's engine, which "
            "every kernel pays once.",
        ]
    prof = floor.get("sphinx_profile", {})
    if "phases" in prof:
        html = steps.get("html") or prof["wall_profiled"]
        scale = html / prof["wall_profiled"]
        out += [
            "",
            f"The Sphinx HTML step, profiled with cProfile on the staged tree ({prof['wall_profiled']:.1f} s under the "
            f"profiler; seconds below are scaled to the unprofiled {html:.1f} s). Phases, then the costliest parts "
            "(which overlap the phases):",
            "",
            "| Part | share | about s |",
            "| --- | --- | --- |",
        ]
        for name, seconds in [*prof["phases"].items(), *prof["hotspots"].items()]:
            out.append(f"| {name} | {100 * seconds / prof['wall_profiled']:.0f}% | {seconds * scale:.1f} |")
        memo = prof.get("memo", {})
        if memo:
            out += [
                "",
                f"The same step unprofiled, once without carebook's memo of pybtex's plugin look-ups (each of which "
                f"scans every installed package's entry points) and once with it: {memo['without']:.1f} s and "
                f"{memo['with']:.1f} s.",
            ]
    stock_clean = select(runs, "stock", "clean")
    if stock_clean:
        executing = statistics.median(sum(r.chapter_seconds.values()) for r in stock_clean)
        out += [
            "",
            f"Stock's clean build: myst-nb reports {executing:.1f} s executing the chapters one after another; "
            f"the rest of its {median(stock_clean):.1f} s is Sphinx.",
        ]
    return out
