"""Run it yourself: a chapter's bundle, unpacked outside the repository, runs with papermill on its own."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CHAPTER = "evidence"  # the quickest chapter to run


def glued(notebook: dict) -> dict[str, str]:
    """Each glued value's text in an executed notebook."""
    return {
        output["metadata"]["scrapbook"]["name"]: output["data"].get("application/papermill.record/text/plain")
        for cell in notebook["cells"]
        for output in cell.get("outputs", [])
        if output.get("metadata", {}).get("scrapbook")
    }


def test_a_chapter_bundle_runs_on_its_own(built_book: Path, tmp_path: Path) -> None:
    page = (built_book / "book" / f"{CHAPTER}.html").read_text(encoding="utf-8")
    assert f'href="../_static/bundles/{CHAPTER}.zip"' in page  # the page offers it
    with zipfile.ZipFile(built_book / "_static" / "bundles" / f"{CHAPTER}.zip") as archive:
        archive.extractall(tmp_path)
    folder = tmp_path / CHAPTER
    assert not folder.resolve().is_relative_to(ROOT)

    package = json.loads((folder / "data" / "datapackage.json").read_text(encoding="utf-8"))
    shipped = {path.relative_to(folder / "data").as_posix() for path in (folder / "data").glob("*.csv")}
    assert {res["path"] for res in package["resources"]} == shipped  # the package lists exactly what is shipped
    assert "legislation.csv" not in shipped and "evidence.csv" in shipped  # only what the chapter reads
    for path in (folder / "data").glob("*.csv"):
        assert "note" not in next(csv.reader(io.StringIO(path.read_text(encoding="utf-8"))))
    pins = (folder / "requirements.txt").read_text(encoding="utf-8")
    locked = (ROOT / "requirements.lock").read_text(encoding="utf-8")
    for name in ("pandas", "altair", "papermill", "myst-nb"):
        pin = next(line for line in pins.splitlines() if line.startswith(f"{name}=="))
        assert f"\n{pin} " in locked  # the lock's exact version
    assert "jupyter-book" not in pins and "playwright" not in pins  # the kernel's needs, not the build's

    # A last cell proves the kernel used the bundle's own code and data, not the repository's.
    original = json.loads((folder / f"{CHAPTER}.ipynb").read_text(encoding="utf-8"))
    probe = dict(original)
    probe["cells"] = [
        *original["cells"],
        {
            "cell_type": "code",
            "id": "probe",
            "metadata": {},
            "execution_count": None,
            "outputs": [],
            "source": "import carebook, carebook.data\nprint(carebook.__file__, carebook.data.data_dir())",
        },
    ]
    (folder / "probe.ipynb").write_text(json.dumps(probe), encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith("CAREBOOK_") and k != "PYTHONPATH"}
    done = subprocess.run(
        [sys.executable, "-m", "papermill", "probe.ipynb", "out.ipynb"],
        cwd=folder,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    ran = json.loads((folder / "out.ipynb").read_text(encoding="utf-8"))
    printed = "".join(ran["cells"][-1]["outputs"][0]["text"])
    code, data_dir = printed.split()
    assert Path(code).is_relative_to(folder.resolve()) and Path(data_dir) == (folder / "data").resolve()
    assert glued(ran) == glued(original) and glued(original)  # the same figures as the book's page
