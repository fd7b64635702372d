"""Charts as vector graphics for the PDF (vl-convert's PDF) and the EPUB (its SVG), drawn from the Vega-Lite spec
that each chart's HTML output carries (carebook.charts.Figure.html; print and the e-book take that output too,
_config.yml), so that their lettering is text: sharp at any size, searchable and selectable, and never smaller
than a reader can read."""

from __future__ import annotations

import copy
import hashlib
import html
import json
import re
import textwrap
from collections.abc import Iterator
from pathlib import Path

SPEC = re.compile(r'<script type="application/json" class="carebook-spec(-narrow)?"[^>]*>(.*?)</script>', re.S)
CHART = re.compile(r'<div id="(vis-[0-9a-f]+)" class="carebook-vis" data-alt="([^"]*)"')
FONT_SIZE = re.compile(r'font-size="([0-9.]+)px"')
SVG_WIDTH = re.compile(r'<svg\b[^>]*\bwidth="([0-9.]+)"')
FIT_TRIES = 6
TITLE_CHAR_PIXELS = 6  # pixels per character of the 11 px source line under a chart, at most about


def chart_in(markup: str) -> dict | None:
    """The chart that an output's HTML holds: its id, alt text, spec and phone layout's spec (None when it has
    none); None when the HTML holds no chart."""
    found = CHART.search(markup)
    specs = {narrow: json.loads(text) for narrow, text in SPEC.findall(markup)} if found else {}
    if "" not in specs:
        return None
    return {
        "id": found.group(1),
        "alt": html.unescape(found.group(2)),
        "spec": specs.get(""),
        "narrow": specs.get("-narrow"),
    }


def chart_nodes(document) -> Iterator[tuple[object, dict]]:
    """Each chart in a document as myst-nb pasted it (a raw HTML node), with the chart it holds."""
    from docutils import nodes

    for node in list(document.findall(nodes.raw)):
        chart = chart_in(node.astext()) if "html" in node.get("format", "").split() else None
        if chart is not None:
            yield node, chart


def chart_outputs(notebook: Path) -> dict[str, dict]:
    """Each chart of an executed chapter, by its id (see chart_in)."""
    found = {}
    for cell in json.loads(notebook.read_text(encoding="utf-8")).get("cells", []):
        for output in cell.get("outputs", []):
            for key, value in output.get("data", {}).items():
                chart = chart_in("".join(value)) if key.endswith("text/html") else None
                if chart is not None:
                    found[chart["id"]] = chart
    return found


def smallest_font(svg: str) -> float:
    """The smallest font size in a drawn SVG, in its own pixels (0 when it has no lettering)."""
    return min((float(size) for size in FONT_SIZE.findall(svg)), default=0.0)


def svg_width(svg: str) -> float:
    """The width of a drawn SVG, in its own pixels."""
    found = SVG_WIDTH.search(svg)
    return float(found.group(1)) if found else 0.0


# What grows with the lettering when a chart is zoomed for a narrow page: its lengths in pixels (row heights,
# label limits and offsets), so that rows stay tall enough for their labels and labels are no more cut.
ZOOMED = re.compile(r"(?i)(fontsize|limit|height|step|^d[xy]$|offset|padding|^size$|symbolsize)$")
AREAS = {"size", "symbolSize"}  # a mark's size is its area


def scaled_fonts(spec: dict, factor: float) -> dict:
    """`spec` zoomed by `factor` in everything but its plot widths: every font size (configured defaults, marks,
    axes, legends, titles) and every length that goes with the lettering (ZOOMED)."""
    out = copy.deepcopy(spec)
    config = out.setdefault("config", {})
    for key, size in (("axis", ("labelFontSize", 10)), ("legend", ("labelFontSize", 10)), ("text", ("fontSize", 11))):
        config.setdefault(key, {}).setdefault(*size)  # Vega-Lite's own defaults, so that they grow too
    config.setdefault("title", {}).setdefault("fontSize", 13)

    def walk(node: object) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                if key == "datasets":
                    continue
                if ZOOMED.search(key) and isinstance(value, int | float) and not isinstance(value, bool):
                    node[key] = round(value * (factor * factor if key in AREAS else factor), 2)
                else:
                    walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(out)
    return out


SIDE_LABEL_CHARS = 18  # a category name along the side of a narrowed chart wraps at this many characters
LABEL_LINE = 15  # pixels per line of a wrapped label
PIPED = "split(datum.label, '|')"
LEGEND_COLUMN = 150  # pixels per legend column in a narrowed chart


def _wrap_side_labels(spec: dict) -> None:
    """Category names along the side wrap onto lines of SIDE_LABEL_CHARS (each part of a piped "what|when"
    label on lines of its own), their rows made tall enough for them, as the web's phone layout does."""
    rows = [row for values in spec.get("datasets", {}).values() for row in values]

    def walk(node: object, owner: dict | None) -> None:
        if not isinstance(node, dict):
            if isinstance(node, list):
                for item in node:
                    walk(item, owner)
            return
        if isinstance(node.get("height"), int | float):
            owner = node
        y = (node.get("encoding") or {}).get("y")
        if (
            isinstance(y, dict)
            and y.get("field")
            and y.get("type") in ("nominal", "ordinal")
            and y.get("axis") is not None
        ):
            axis = y.get("axis") or {}
            piped = axis.get("labelExpr") == PIPED
            if piped or "labelExpr" not in axis:
                values = list(dict.fromkeys(str(r[y["field"]]) for r in rows if r.get(y["field"]) is not None))
                lines = {
                    v: [
                        line
                        for part in (v.split("|") if piped else [v])
                        for line in textwrap.wrap(part, SIDE_LABEL_CHARS)
                    ]
                    for v in values
                }
                most = max((len(ls) for ls in lines.values()), default=1)
                y["axis"] = {**axis, "labelExpr": f"({json.dumps(lines)})[datum.value] || datum.label", "labelLimit": 0}
                if owner is not None and values:
                    owner["height"] = max(owner["height"], len(values) * (most * LABEL_LINE + 6))
        for key, value in node.items():
            if key not in ("datasets", "encoding"):
                walk(value, owner)

    walk(spec, None)


def narrowed(spec: dict, width: int) -> dict:
    """`spec` with every plot width in it at most `width` pixels (for a narrow page: an e-reader's), its side
    labels wrapped and its source line re-wrapped to that width."""
    out = copy.deepcopy(spec)
    _wrap_side_labels(out)

    def walk(node: object) -> None:
        if isinstance(node, dict):
            if isinstance(node.get("width"), int | float):
                node["width"] = min(node["width"], width)
            for key, value in node.items():
                if key != "datasets":
                    walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(out)
    view = out.setdefault("config", {}).setdefault("view", {})
    for key in ("continuousWidth", "discreteWidth"):
        view[key] = min(view[key], width) if isinstance(view.get(key), int | float) else width
    config = out["config"]  # as the web's phone layout: legends in columns, slanted categories along the foot
    config["legend"] = {**config.get("legend", {}), "columns": max(1, width // LEGEND_COLUMN)}
    config["axisXDiscrete"] = {**config.get("axisXDiscrete", {}), "labelAngle": -35, "labelAlign": "right"}
    for key in ("axisTemporal", "axisQuantitative"):
        config[key] = {"labelOverlap": "greedy", "labelSeparation": 6, **config.get(key, {})}
    return with_title_wrapped(out, width)


def with_title_wrapped(spec: dict, width: int) -> dict:
    """`spec` (changed in place and returned) with its source line beneath re-wrapped to `width` pixels."""
    title = spec.get("title")
    if isinstance(title, dict) and title.get("text"):
        text = title["text"] if isinstance(title["text"], list) else [str(title["text"])]
        title["text"] = textwrap.wrap(" ".join(text), max(20, width // TITLE_CHAR_PIXELS))
    return spec


def legible(spec: dict, smallest: float, page: float, per_pixel: float) -> tuple[dict, str]:
    """`spec` with its fonts grown as far as needed for its smallest lettering to come out at least `smallest`
    (points or pixels) once drawn at `per_pixel` of that unit per pixel, and no wider than `page` pixels
    (scaled down to fit, when wider); returns the spec and its SVG."""
    import vl_convert

    svg = vl_convert.vegalite_to_svg(spec)
    for _ in range(FIT_TRIES):
        scale = per_pixel * min(1.0, page / (svg_width(svg) or page))
        least = smallest_font(svg) * scale
        if not least or least >= smallest - 0.01:
            break
        spec = scaled_fonts(spec, smallest / least * 1.04)
        svg = vl_convert.vegalite_to_svg(spec)
    return spec, svg


def write_chart(spec: dict, path: Path, fmt: str) -> None:
    """Draw `spec` into `path` as PDF or SVG (vl-convert), unless the file is already there."""
    import vl_convert

    if path.exists():
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    if fmt == "pdf":
        path.write_bytes(vl_convert.vegalite_to_pdf(spec))
    else:
        path.write_text(vl_convert.vegalite_to_svg(spec), encoding="utf-8")


def spec_key(spec: dict) -> str:
    """A short, stable name for a drawn spec (its file name)."""
    return hashlib.sha256(json.dumps(spec, sort_keys=True).encode()).hexdigest()[:16]
