"""A chart's data: the frames it draws, their sources, and the table readers see beneath it."""

from __future__ import annotations

import altair as alt
import pandas as pd

from carebook.data import VALUE_COLUMNS


def reader_columns(frame: pd.DataFrame) -> pd.DataFrame:
    """A chart's data as readers see it: a citation in place of source_id and locator; no working columns.

    Columns whose names start with "_" (positions computed for drawing) and notes are left out.
    """
    from carebook import prose

    shown = frame.copy()
    if "source_id" in shown.columns:
        citations = prose.sources(shown) if "locator" in shown.columns else [prose.cite(s) for s in shown["source_id"]]
        position = list(shown.columns).index("source_id")
        shown = shown.drop(columns=[c for c in ("source_id", "locator") if c in shown.columns])
        shown.insert(min(position, len(shown.columns)), "source", citations)
    shown = shown[[c for c in shown.columns if not str(c).startswith("_") and c != "note"]]
    for column in shown.columns:
        if _is_figure(shown[column], column):
            shown[column] = _as_text(shown, column)
    if "unit" in shown.columns and any(c in shown.columns for c in VALUE_COLUMNS):
        shown = shown.drop(columns="unit")  # each figure now carries its unit ("£3.8 billion")
    return shown.astype(object).where(shown.notna(), "")  # a missing value is an empty cell, never "<NA>"


def _is_figure(values: pd.Series, name: object) -> bool:
    """Whether a column holds figures to print as the prose does (not years, not booleans)."""
    if pd.api.types.is_bool_dtype(values) or not pd.api.types.is_numeric_dtype(values):
        return False
    return "year" not in str(name).lower()


def _as_text(frame: pd.DataFrame, column: object) -> pd.Series:
    """A numeric column as the prose prints it: 3,800 not 3800.0; in its row's unit where the row has one."""
    from carebook import prose

    units = frame["unit"] if column in VALUE_COLUMNS and "unit" in frame.columns else None
    return pd.Series(
        [
            None if pd.isna(value) else prose.fmt(value, None if units is None or pd.isna(units[i]) else str(units[i]))
            for i, value in frame[column].items()
        ],
        index=frame.index,
        dtype=object,
    )


def encoded_fields(spec: dict | list) -> set[str]:
    """Every field name a Vega-Lite spec encodes, searched through layers and concatenations."""
    found: set[str] = set()
    if isinstance(spec, dict):
        for key, value in spec.items():
            if key == "field" and isinstance(value, str):
                found.add(value)
            elif key != "datasets":
                found |= encoded_fields(value)
    elif isinstance(spec, list):
        for item in spec:
            found |= encoded_fields(item)
    return found


def frames(chart: alt.SchemaBase) -> list[pd.DataFrame]:
    """The data frames a chart draws, searched through its layers, concatenations, facets and repeats."""
    found = [chart.data] if isinstance(getattr(chart, "data", None), pd.DataFrame) else []
    for key in ("layer", "concat", "hconcat", "vconcat"):
        parts = getattr(chart, key, None)
        for part in parts if isinstance(parts, list) else []:
            found += frames(part)
    inner = getattr(chart, "spec", None)  # of a facet or repeat
    return found + (frames(inner) if isinstance(inner, alt.SchemaBase) else [])


def drawn_sources(chart: alt.SchemaBase) -> list[str]:
    """The source ids of the rows a chart draws: their source_id column, or what `prose.with_source` noted."""
    found: set[str] = set()
    for frame in frames(chart):
        found |= set(frame.attrs.get("source_ids", ()))
        if "source_id" in frame.columns:
            found |= set(map(str, frame["source_id"].dropna()))
    return sorted(found)
