"""The book's house colours and interaction, applied to a finished Vega-Lite spec: one colour per thing across
the book, only the values drawn in a legend, and zoomable axes that zoom with Shift and keep end marks whole."""

from __future__ import annotations

from collections.abc import Sequence

# Okabe and Ito's colour-blind-safe palette (black dropped: it is the text colour).
PALETTE = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#999999"]
BLUE, ORANGE, GREEN, PINK, SKY, VERMILLION, YELLOW, GREY = PALETTE
# One colour per thing across the book: every chart whose colour channel shows one of these sets of values
# gets these colours (see `house_colours`), whichever chapter draws it. Colours that are close (blue and
# sky, orange and vermillion) are told apart by shape or label too in the charts that use both.
COLOURS: dict[str, dict[str, str]] = {
    "vanguard model": {"PACS": BLUE, "MCP": ORANGE, "Enhanced health in care homes": GREEN, "UEC": PINK, "ACC": SKY},
    "kind of event": {
        "legislation": BLUE,
        "policy": PINK,
        "funding": ORANGE,
        "programme": GREEN,
        "review": VERMILLION,
        "organisation": SKY,
    },
    "kind of initiative": {
        "programme": GREEN,
        "fund": ORANGE,
        "pilot": PINK,
        "plan": BLUE,
        "system": SKY,
        "devolution": VERMILLION,
    },
    "kind of provision": {"duty": VERMILLION, "power": BLUE, "structure": GREY},
    "strength of evidence": {"evaluation": GREEN, "audit": BLUE, "claim": ORANGE, "opinion": GREY},
    "plan or outcome": {"Planned": GREY, "Actual": BLUE},
    "part of the fund": {"National minimum": BLUE, "Local top-ups": SKY},
    "kind of sum": {"Integration money": BLUE, "Hoped-for savings": GREEN, "Pressure": VERMILLION},
    "kind of area": {"vanguard areas": BLUE, "non-vanguard areas": GREY},
}
# Charts whose scales are bound to drag and zoom zoom only with Shift held: the wheel scrolls the page.
ZOOM_EVENTS = "wheel![event.shiftKey]"
EDGE_PADDING = 8  # pixels beyond a zoomable axis's domain: room for half the largest mark (size 120: radius 6)


def colours_for(values: Sequence[str]) -> dict[str, str] | None:
    """The book's colours for a set of values (the first mapping in COLOURS holding all of them), or None."""
    wanted = set(values)
    return next((mapping for mapping in COLOURS.values() if wanted and wanted <= mapping.keys()), None)


def _dicts(spec: object):
    """Every dict in a Vega-Lite spec, depth first (the inline datasets left out)."""
    if isinstance(spec, dict):
        yield spec
        for key, value in spec.items():
            if key != "datasets":
                yield from _dicts(value)
    elif isinstance(spec, list):
        for item in spec:
            yield from _dicts(item)


def house_colours(spec: dict) -> dict:
    """`spec` with every nominal colour channel whose values COLOURS knows given the book's colours for them."""
    rows = [row for dataset in spec.get("datasets", {}).values() for row in dataset if isinstance(row, dict)]
    for node in _dicts(spec):
        encoding = node.get("encoding")
        if not isinstance(encoding, dict):
            continue
        for channel in ("color", "fill", "stroke"):
            enc = encoding.get(channel)
            if not isinstance(enc, dict) or enc.get("type") != "nominal" or "field" not in enc:
                continue
            scale = enc.setdefault("scale", {})
            values = [row[enc["field"]] for row in rows if row.get(enc["field"]) is not None]
            mapping = colours_for(scale.get("domain") or values)
            if mapping is None or "range" in scale:
                continue
            # Only the values drawn: a legend key with no mark of its colour misleads (colours stay tied to values).
            present = set(values)
            domain = [value for value in scale.get("domain") or mapping if value in present] or scale.get("domain")
            scale["domain"], scale["range"] = domain, [mapping[value] for value in domain]
            for other in ("shape", "strokeDash", "size", "opacity"):  # the same field elsewhere: one legend
                same = encoding.get(other)
                if isinstance(same, dict) and same.get("field") == enc["field"]:
                    same.setdefault("scale", {}).setdefault("domain", domain)
    return spec


def house_interaction(spec: dict) -> dict:
    """`spec` with every scale-bound interval (Altair's `.interactive()`) zooming only with Shift held, and its
    axes padded so that a mark at either end of the domain is drawn whole (bound scales clip marks to the plot)."""
    for node in list(_dicts(spec)):
        for param in node.get("params", []) if isinstance(node.get("params"), list) else []:
            select = param.get("select")
            if isinstance(select, dict) and select.get("type") == "interval" and param.get("bind") == "scales":
                select["zoom"] = ZOOM_EVENTS
                pad_bound_axes(node, select.get("encodings", ["x", "y"]))
    return spec


def pad_bound_axes(node: dict, channels: Sequence[str]) -> None:
    """Give the continuous scales of `channels` in `node` (and its layers) EDGE_PADDING pixels at each end.

    Vega pads the initial domain only: once dragged or zoomed the view's own domain is used as it is."""
    for part in _dicts(node):
        encoding = part.get("encoding")
        for channel in channels if isinstance(encoding, dict) else ():
            enc = encoding.get(channel)
            continuous = isinstance(enc, dict) and enc.get("type") in ("quantitative", "temporal")
            if continuous and enc.setdefault("scale", {}) is not None:  # `scale: null` draws values as they are
                enc["scale"].setdefault("padding", EDGE_PADDING)
