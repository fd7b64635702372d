"""Editions that are the same bytes from the same sources, whatever the folder or the clock: dates come from the
edition (the staged configuration's `today`), never from the time of the build."""

from __future__ import annotations

import re
import zipfile
from datetime import UTC, datetime
from pathlib import Path

import yaml


def edition_epoch(target: Path) -> int:
    """The edition's date (the staged `_config.yml`'s `today`, from edition.py) as seconds since 1970, UTC."""
    config = yaml.safe_load((target / "_config.yml").read_text(encoding="utf-8")) or {}
    day = str(config.get("sphinx", {}).get("config", {}).get("today") or "1970-01-01")
    return int(datetime.fromisoformat(day).replace(tzinfo=UTC).timestamp())


def tex_environment(epoch: int) -> dict[str, str]:
    """For XeLaTeX (xdvipdfmx): the PDF's creation and modification dates and its /ID from the edition."""
    return {"SOURCE_DATE_EPOCH": str(epoch), "FORCE_SOURCE_DATE": "1"}


def fix_epub(path: Path, epoch: int) -> None:
    """Give every entry of the EPUB (a zip) the edition's date, and its package document's modified date too.

    Sphinx stamps the entries with the files' modification times and `dcterms:modified` with the clock unless
    SOURCE_DATE_EPOCH is set in the process, which the build never writes.
    """
    when = datetime.fromtimestamp(max(epoch, 315532800), UTC)  # zip dates start in 1980
    stamp = when.strftime("%Y-%m-%dT%H:%M:%SZ")
    with zipfile.ZipFile(path) as source:
        entries = [(info, source.read(info)) for info in source.infolist()]
    fresh = path.with_name(f".{path.name}.new")
    with zipfile.ZipFile(fresh, "w") as epub:
        for info, content in entries:
            if info.filename.endswith(".opf"):
                text = content.decode("utf-8")
                text = re.sub(r"(<dc:date>)[^<]*(</dc:date>)", rf"\g<1>{stamp}\g<2>", text)
                text = re.sub(r'(<meta property="dcterms:modified">)[^<]*(</meta>)', rf"\g<1>{stamp}\g<2>", text)
                content = text.encode("utf-8")
            entry = zipfile.ZipInfo(info.filename, date_time=when.timetuple()[:6])
            entry.compress_type, entry.external_attr = info.compress_type, 0o644 << 16
            epub.writestr(entry, content)
    fresh.replace(path)
