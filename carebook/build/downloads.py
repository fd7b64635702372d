"""The data tables as readers download them: citations in place of source ids, no working notes."""

from __future__ import annotations

import csv
import io
from pathlib import Path

DROPPED = ("note",)


def listed(data_dir: Path) -> list[Path]:
    """The data files readers get: the package descriptor and the tables and schemas it lists, nothing else (no
    notes, backups, editors' lock files), and none that leads outside the data folder."""
    import json

    package = json.loads((data_dir / "datapackage.json").read_text(encoding="utf-8"))
    names = ["datapackage.json"]
    for resource in package.get("resources", []):
        names += [resource[key] for key in ("path", "schema") if isinstance(resource.get(key), str)]
    base = data_dir.resolve()
    found = {data_dir / name for name in names if (data_dir / name).resolve().is_relative_to(base)}
    return sorted(path for path in found if path.is_file())


def labels(data_dir: Path) -> dict[str, str]:
    """Each source id's citation as readers see it: 'Keeble et al. (2019)'."""
    import pandas as pd  # here, not at import: importing the build's modules (`carebook --help`) needs no pandas

    from carebook import citations

    frame = pd.read_csv(data_dir / "sources.csv", dtype=str, keep_default_na=False, na_values=[""])
    frame["date"] = pd.to_datetime(frame["date"], format="%Y-%m-%d") if "date" in frame.columns else pd.NaT
    works = citations.works_from_sources(frame.set_index("id"))
    years = citations.year_labels(works)
    return {work.key: f"{work.author} ({years[work.key]})" for work in works}


def reader_csv(path: Path, cited: dict[str, str]) -> bytes:
    """`path` for download: `source_id` becomes `source` (the citation), the sources' `id` their citation, notes go."""
    rows = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8"))))
    if not rows:
        return b""
    header, body = rows[0], rows[1:]
    is_registry = path.name == "sources.csv"
    key_column = "id" if is_registry else "source_id"
    renamed = {key_column: "citation" if is_registry else "source"}
    keep = [i for i, name in enumerate(header) if name not in DROPPED]
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([renamed.get(header[i], header[i]) for i in keep])
    for row in body:
        cells = dict(zip(header, row, strict=False))
        key = cells.get(key_column)
        writer.writerow([cited.get(key, key) if header[i] == key_column else row[i] for i in keep])
    return out.getvalue().encode("utf-8")
