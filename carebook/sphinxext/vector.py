"""Charts as vector graphics for the PDF (vl-convert's PDF) and the EPUB (its SVG), drawn again from each
chart's Vega-Lite spec (in the executed chapter, beside the PNG that myst-nb pastes), so that their lettering
is text: sharp at any size, searchable and selectable, and never smaller than a reader can read."""

from __future__ import annotations

import base64
import copy
import hashlib
import json
import re
from pathlib import Path

SPEC = re.compile(r'<script type="application/json" class="carebook-spec(-narrow)?"[^>]*>(.*?)</script>', re.S)
FONT_SIZE = re.compile(r'font-size="([0-9.]+)px"')
SVG_WIDTH = re.compile(r'<svg\b[^>]*\bwidth="([0-9.]+)"')
FIT_TRIES = 3


def _plain(data: dict) -> dict:
    """An output's data keyed by MIME type ('image/png'), whether papermill recorded it (its own prefix) or not."""
    return {key.rsplit("/", 2)[-2] + "/" + key.rsplit("/", 1)[-1]: value for key, value in data.items()}


def chart_outputs(notebook: Path) -> dict[str, dict]:
    """Each chart of an executed chapter, by the sha256 of its PNG (as myst-nb names the image file): its alt
    text (text/plain), its spec and its phone layout's spec (None when it has none)."""
    found = {}
    for cell in json.loads(notebook.read_text(encoding="utf-8")).get("cells", []):
        for output in cell.get("outputs", []):
            data = _plain(output.get("data", {}))
            if "image/png" not in data:
                continue
            png = base64.b64decode("".join(data["image/png"]))
            specs = {narrow: json.loads(text) for narrow, text in SPEC.findall("".join(data.get("text/html", "")))}
            found[hashlib.sha256(png).hexdigest()] = {
                "alt": "".join(data.get("text/plain", "")),
                "spec": specs.get(""),
                "narrow": specs.get("-narrow"),
            }
    return found


def smallest_font(svg: str) -> float:
    """The smallest font size in a drawn SVG, in its own pixels (0 when it has no lettering)."""
    return min((float(size) for size in FONT_SIZE.findall(svg)), default=0.0)


def svg_width(svg: str) -> float:
    """The width of a drawn SVG, in its own pixels."""
    found = SVG_WIDTH.search(svg)
    return float(found.group(1)) if found else 0.0


def scaled_fonts(spec: dict, factor: float) -> dict:
    """`spec` with every font size in it (configured defaults, marks, axes, legends, titles) times `factor`."""
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
                if key.lower().endswith("fontsize") and isinstance(value, int | float):
                    node[key] = round(value * factor, 2)
                else:
                    walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(out)
    return out


def narrowed(spec: dict, width: int) -> dict:
    """`spec` with every plot width in it at most `width` pixels (for a narrow page: an e-reader's)."""
    out = copy.deepcopy(spec)

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
        if isinstance(view.get(key), int | float):
            view[key] = min(view[key], width)
    return out


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
        spec = scaled_fonts(spec, smallest / least * 1.02)
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
