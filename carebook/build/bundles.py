"""Run it yourself: each chapter as a zip that runs on its own, with papermill or in Jupyter.

A bundle holds the executed notebook, the data files the chapter read (its recorded reads, with their schemas
and a data package listing only them), the kernel-side `carebook` code and a requirements file pinned from
the book's lock. Nothing in it points back at the repository. The zip is the same bytes for the same inputs.
"""

from __future__ import annotations

import functools
import io
import json
import zipfile
from pathlib import Path

from carebook.build import cache, warm
from carebook.build.stamp import KERNEL_ENTRIES, PACKAGE, closure, digest, file_hash, files_hash

BUNDLE_DIR = "_static/bundles"  # staged with the site; each chapter page links its own
KERNEL_REQUIREMENTS = ("pandas", "altair", "vl-convert-python", "myst-nb", "papermill", "ipykernel")
DROPPED_FIELDS = ("note",)  # working notes stay out of downloads
VOLATILE_METADATA = ("papermill", "execution")
STAMP_CHARS = 24  # of a cached bundle's name
ZIP_TIME = (1980, 1, 1, 0, 0, 0)  # fixed, so that two builds give the same zip


def _closure(names: tuple[str, ...]) -> set[str]:
    """The installed distributions `names` need, themselves included (canonical names), markers evaluated."""
    from importlib import metadata

    from packaging.requirements import Requirement
    from packaging.utils import canonicalize_name

    found: set[str] = set()
    seen: set[tuple[str, frozenset]] = set()
    todo = [(name, frozenset()) for name in names]
    while todo:
        name, extras = todo.pop()
        if (canonicalize_name(name), extras) in seen:
            continue
        seen.add((canonicalize_name(name), extras))
        try:
            dist = metadata.distribution(name)
        except metadata.PackageNotFoundError:
            continue
        found.add(canonicalize_name(name))
        for text in dist.requires or []:
            req = Requirement(text)
            if req.marker and not any(req.marker.evaluate({"extra": extra}) for extra in (extras or {""})):
                continue
            todo.append((req.name, frozenset(req.extras)))
    return found


@functools.cache  # one resolution per lock a process: every chapter's bundle shares it
def requirements(lock: str) -> str:
    """requirements.txt for the bundle: the lock's exact versions of what the chapter's kernel needs (the
    installed versions for a book without a lock)."""
    from importlib import metadata

    from packaging.utils import canonicalize_name

    pins = {}
    for line in lock.splitlines():
        if line and not line[0].isspace() and not line.startswith("#") and "==" in line:
            pin = line.split()[0].rstrip("\\")
            pins[canonicalize_name(pin.split("==")[0])] = pin
    needed = _closure(KERNEL_REQUIREMENTS)
    if not pins:
        pins = {name: f"{name}=={metadata.version(name)}" for name in needed}
    header = "# The exact versions the book was built with (from its lock file), for the chapter's kernel.\n"
    return header + "\n".join(sorted(pins[name] for name in needed if name in pins)) + "\n"


def _without_notes_csv(content: bytes) -> bytes:
    """A data table without its working-notes column."""
    import csv

    rows = list(csv.reader(io.StringIO(content.decode("utf-8"))))
    if not rows:
        return content
    keep = [i for i, name in enumerate(rows[0]) if name not in DROPPED_FIELDS]
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows([[row[i] for i in keep if i < len(row)] for row in rows])
    return out.getvalue().encode("utf-8")


def _without_notes_schema(content: bytes) -> bytes:
    """A table schema without the working-notes field."""
    schema = json.loads(content)
    schema["fields"] = [field for field in schema.get("fields", []) if field.get("name") not in DROPPED_FIELDS]
    return (json.dumps(schema, indent=2, ensure_ascii=False) + "\n").encode("utf-8")


def data_files(root: Path, reads: list[str]) -> dict[str, bytes]:
    """The files the chapter read (paths relative to the root): notes left out, and a data package listing
    only the tables read, so it stays a valid package of the files shipped."""
    files = {}
    for path in sorted(reads):
        if Path(path).is_absolute() or not (root / path).is_file():  # a folder listed, a file tested for and absent
            continue
        content = (root / path).read_bytes()
        if path.startswith("data/schemas/"):
            content = _without_notes_schema(content)
        elif path.startswith("data/") and path.endswith(".csv"):
            content = _without_notes_csv(content)
        files[path] = content
    if "data/datapackage.json" in files:
        package = json.loads(files["data/datapackage.json"])
        package["resources"] = [res for res in package["resources"] if f"data/{res['path']}" in files]
        files["data/datapackage.json"] = (json.dumps(package, indent=2, ensure_ascii=False) + "\n").encode()
    return files


def notebook(executed: Path) -> bytes:
    """The executed notebook, code and outputs kept, run-time metadata (timings) left out."""
    nb = json.loads(executed.read_text(encoding="utf-8"))
    for key in VOLATILE_METADATA:
        nb["metadata"].pop(key, None)
        for cell in nb["cells"]:
            cell.get("metadata", {}).pop(key, None)
    return (json.dumps(nb, indent=1, sort_keys=True, ensure_ascii=False) + "\n").encode()


def readme(slug: str, title: str) -> bytes:
    """How to run the bundle, for someone with Python and nothing else."""
    return f"""# {title}: run it yourself

This folder is one chapter of *Joined Up? Integrating health and social care in England* as a
Jupyter notebook (`{slug}.ipynb`, with the outputs the book shows), the data tables it reads
(`data/`, a Frictionless data package with each table's schema), the code it calls (`carebook/`)
and the exact package versions the book was built with (`requirements.txt`).

With Python 3.11, in this folder:

    python3 -m venv .venv
    .venv/bin/pip install -r requirements.txt
    .venv/bin/papermill {slug}.ipynb {slug}-run.ipynb

papermill runs every cell afresh and writes the result to `{slug}-run.ipynb`. The first code cell
holds the chapter's parameters; run with other values with `-p NAME VALUE`. To work cell by cell
in Jupyter instead: `.venv/bin/pip install jupyterlab`, then `.venv/bin/jupyter lab {slug}.ipynb`.

Text and data CC BY 4.0. Code MIT.
""".encode()


def _inputs(root: Path, build: Path, slug: str) -> tuple[Path, list[str]]:
    """The executed notebook and the files the chapter read (paths relative to the root)."""
    record = cache.Manifest(build / "cache", slug).read() or {}
    return build / "executed" / f"{slug}.ipynb", sorted(record.get("reads", {}))


def members(root: Path, build: Path, slug: str, title: str) -> dict[str, bytes]:
    """Every file of one chapter's bundle, by its path inside the zip's folder."""
    executed, reads = _inputs(root, build, slug)
    files = {f"{slug}.ipynb": notebook(executed), "README.md": readme(slug, title)}
    files.update(data_files(root, reads))
    for module in closure(KERNEL_ENTRIES):  # the chapter API, as the chapter step's stamp computes it
        files[f"carebook/{module}"] = (PACKAGE / module).read_bytes()
    lock = root / "requirements.lock"
    pins = warm.by_content(  # resolving the kernel's packages reads every installed package's metadata
        "bundle requirements", [lock], lambda: requirements(lock.read_text(encoding="utf-8") if lock.exists() else "")
    )
    files["requirements.txt"] = pins.encode()
    return files


def zipped(folder: str, files: dict[str, bytes]) -> bytes:
    """A zip of `files` under `folder/`, sorted, with fixed times and modes: the same bytes every time."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for name in sorted(files):
            info = zipfile.ZipInfo(f"{folder}/{name}", date_time=ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            archive.writestr(info, files[name])
    return out.getvalue()


def stamp(root: Path, build: Path, slug: str, title: str) -> str:
    """The hash of everything a bundle is made from, this module's code included."""
    executed, reads = _inputs(root, build, slug)
    paths = [executed, root / "requirements.lock", *(root / path for path in reads)]
    code = files_hash(PACKAGE, [PACKAGE / name for name in (*closure(KERNEL_ENTRIES), "build/bundles.py")])
    return digest(slug, title, code, *reads, *(file_hash(path) for path in paths))


def bundle(root: Path, build: Path, slug: str, title: str) -> bytes:
    """One chapter's bundle as zip bytes, made again only when its stamp changes (kept in the build cache)."""
    stored = build / "cache" / "bundles" / f"{slug}-{stamp(root, build, slug, title)[:STAMP_CHARS]}.zip"
    if stored.exists():
        return stored.read_bytes()
    content = zipped(slug, members(root, build, slug, title))
    stored.parent.mkdir(parents=True, exist_ok=True)
    for old in stored.parent.glob(f"{slug}-{'?' * STAMP_CHARS}.zip"):
        old.unlink()
    partial = stored.with_suffix(".part")
    partial.write_bytes(content)
    partial.replace(stored)  # never half a zip in the cache
    return content
