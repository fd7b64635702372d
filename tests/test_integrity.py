"""Cache artefacts are written whole and checked when read: a torn file is made again, never published."""

from __future__ import annotations

import shutil
from pathlib import Path

from carebook.build import vega_bundle
from carebook.build.atomic import write_atomic


def test_a_torn_vega_bundle_is_made_again(vega_cache: Path, tmp_path: Path):
    build = tmp_path / "_build"
    shutil.copytree(vega_cache, build / "cache")
    (cached,) = (build / "cache").glob("vega-*.js")
    whole = cached.read_bytes()
    cached.write_bytes(whole[: len(whole) // 3])  # a build killed while writing it
    assert vega_bundle(build) == whole
    assert cached.read_bytes() == whole


def test_write_atomic_leaves_no_temporary_file_and_replaces_whole(tmp_path: Path):
    target = tmp_path / "cache" / "x.json"
    write_atomic(target, "old")
    write_atomic(target, b"new")
    assert target.read_bytes() == b"new"
    assert [p.name for p in target.parent.iterdir()] == ["x.json"]
