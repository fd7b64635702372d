"""Load the book's sourced tables as typed DataFrames, noting each file read for the cache."""

from __future__ import annotations

import copy
import io
import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from functools import cache
from pathlib import Path

import pandas as pd

from carebook import ROOT, reads

DATA_ENV = reads.DATA_ENV
VALUE_COLUMNS = ("amount", "value", "count")


_READING: ContextVar[Path | None] = ContextVar("carebook_data_folder", default=None)  # set by `reading`


def data_dir() -> Path:
    """The data folder: the one `reading` names, else $CAREBOOK_DATA if set, else the repository's data/."""
    return Path(_READING.get() or os.environ.get(DATA_ENV, ROOT / "data")).resolve()


def read_bytes(path: Path) -> bytes:
    """The bytes of `path`, recorded as read (with their hash) for the build cache."""
    content = Path(path).read_bytes()
    reads.record(path, content)
    return content


@contextmanager
def reading(folder: Path) -> Iterator[None]:
    """Read the data package in `folder` (not $CAREBOOK_DATA) inside the block, as the build does for a book.

    The folder is held in a context variable, never in os.environ: other threads of the process are unaffected.
    """
    token = _READING.set(Path(folder))
    package.cache_clear()
    try:
        yield
    finally:
        _READING.reset(token)
        package.cache_clear()


@cache
def package() -> dict:
    """The data package descriptor (data/datapackage.json)."""
    return json.loads(read_bytes(data_dir() / "datapackage.json").decode("utf-8"))


def _stamp(path: Path) -> tuple[str, int, int, str]:
    """What identifies a file's current bytes without reading them (its path, modification time and size), and
    the record of reads in use: a cached read is reused only while both are unchanged."""
    stat = path.stat()
    return str(path), stat.st_mtime_ns, stat.st_size, os.environ.get(reads.DEPS_ENV, "")


@cache
def _json(stamp: tuple[str, int, int, str]) -> dict:
    """A JSON file, read (and recorded as read) once for each version of it."""
    return json.loads(read_bytes(Path(stamp[0])).decode("utf-8"))


def resource(name: str) -> dict:
    """The descriptor of table `name`, with its schema resolved."""
    for res in package()["resources"]:
        if res["name"] == name:
            schema = res["schema"]
            if isinstance(schema, str):
                schema = copy.deepcopy(_json(_stamp(data_dir() / schema)))
            return {**res, "schema": schema}
    names = ", ".join(r["name"] for r in package()["resources"])
    raise KeyError(f"no table {name!r} in data/datapackage.json (tables: {names})")


def _typed(column: pd.Series, field: dict) -> pd.Series:
    """Convert a column of strings to the field's type."""
    kind = field.get("type", "string")
    if kind == "date":
        return pd.to_datetime(column, format="%Y-%m-%d")
    if kind == "number":
        return pd.to_numeric(column).astype("float64")
    if kind == "integer":
        return pd.to_numeric(column).astype("Int64")
    if kind == "boolean":
        return column.map({"true": True, "false": False}).astype("boolean")
    enum = field.get("constraints", {}).get("enum")
    if enum:
        return pd.Categorical(column, categories=enum)
    return column.astype("string")


_TABLES: dict[tuple, pd.DataFrame] = {}


def _parsed(name: str) -> pd.DataFrame:
    """Table `name`, read (and recorded as read) once for each version of its CSV and schema, then reused."""
    res = resource(name)
    path = data_dir() / res["path"]
    key = (name, _stamp(path), json.dumps(res["schema"], sort_keys=True))
    if key not in _TABLES:
        frame = pd.read_csv(
            io.BytesIO(read_bytes(path)), dtype=str, keep_default_na=False, na_values=[""], encoding="utf-8"
        )
        for field in res["schema"]["fields"]:
            frame[field["name"]] = _typed(frame[field["name"]], field)
        _TABLES[key] = frame
    return _TABLES[key]


def load(name: str) -> pd.DataFrame:
    """Table `name` as a DataFrame typed by its schema (dates, numbers, categoricals); a copy of its own."""
    res = resource(name)
    frame = _parsed(name).copy()
    frame.attrs["table"] = name
    # Text from data is escaped wherever it is shown, except in columns the schema declares Markdown.
    frame.attrs["markdown"] = [field["name"] for field in res["schema"]["fields"] if field.get("markdown")]
    return frame


def fact(name: str, row_id: str) -> pd.Series:
    """The row of table `name` whose id is `row_id` (the table is read once); a KeyError names the table and
    id if absent."""
    frame = _parsed(name)
    match = frame.index[frame["id"] == row_id]
    if match.empty:
        raise KeyError(f"no row with id {row_id!r} in data/{name}.csv")
    row = frame.loc[match[0]].copy()
    row.attrs["table"] = name
    return row


def signed(row: pd.Series) -> float:
    """A row's figure with the sign of its `change`: negative for a decrease, as stated for an increase or a level.

    The tables store every amount as a positive number and say in `change` whether it is a rise or a fall.
    """
    change = row.get("change")
    if change is None or pd.isna(change) or str(change) not in ("level", "increase", "decrease"):
        raise ValueError(f"row {row.get('id')!r} has no change (level, increase or decrease) to sign its figure by")
    column = next((c for c in VALUE_COLUMNS if c in row.index and not pd.isna(row[c])), None)
    if column is None:
        raise ValueError(f"row {row.get('id')!r} has no amount, value or count to sign")
    return -float(row[column]) if str(change) == "decrease" else float(row[column])


def sources() -> pd.DataFrame:
    """The source registry, indexed by id."""
    return load("sources").set_index("id")
