"""Put a finished output where readers find it, in one rename, and link the editions from the web pages."""

from __future__ import annotations

import json
import os
import re
import shutil
from collections.abc import Callable
from pathlib import Path

EDITIONS_SCRIPT = "_static/carebook-editions.js"  # tells every web page which other editions exist
EDITIONS = re.compile(r"^window\.carebookEditions = (\{.*\});$", re.M)  # its one listing


def publish(source: Path, target: Path, fill: Callable[[Path], bytes | None] | None = None) -> None:
    """Replace `target` with a copy of `source` in one rename, so readers never see half a build; `fill` gives
    the content to publish for a file instead of a copy (or None: a copy)."""
    fresh = target.with_name(f".{target.name}.new")
    old = target.with_name(f".{target.name}.old")
    shutil.rmtree(fresh, ignore_errors=True)

    def copy(src: str, dst: str) -> None:
        content = fill(Path(src)) if fill else None
        if content is None:
            copy_or_link(src, dst, source, target)
        else:
            Path(dst).write_bytes(content)  # written afresh each time: never linked to an older edition's

    shutil.copytree(source, fresh, copy_function=copy)
    shutil.rmtree(old, ignore_errors=True)
    if target.exists():
        target.rename(old)
    fresh.rename(target)
    shutil.rmtree(old, ignore_errors=True)


def copy_or_link(src: str, dst: str, source: Path, target: Path) -> None:
    """Copy `src` to `dst`, or hard-link the published copy when `src` is unchanged since it was published
    (same size and modification time, as rsync's quick check; copy2 keeps the time). The published tree is
    only ever replaced whole, never written in place by Sphinx, so a link never shows a half-built file."""
    published = target / Path(src).relative_to(source)
    try:
        now, then = os.stat(src), published.stat()
        if (now.st_size, now.st_mtime_ns) == (then.st_size, then.st_mtime_ns):
            os.link(published, dst)
            return
    except OSError:  # not published before, or links not possible here: copy
        pass
    shutil.copy2(src, dst)


def publish_file(source: Path, target: Path) -> None:
    """Replace the file `target` with a copy of `source` in one rename."""
    target.parent.mkdir(parents=True, exist_ok=True)
    fresh = target.with_name(f".{target.name}.new")
    shutil.copyfile(source, fresh)
    fresh.replace(target)


def beside_site(edition: Path, html: Path, name: str, link: str) -> None:
    """Put an edition (the PDF, the EPUB) into the published web edition and tell its pages to link it.

    Only the published site changes (never the staged tree), so HTML builds stay the same with or without
    it; the next HTML build that publishes a new site drops it, until that edition is built again.
    """
    script = html / EDITIONS_SCRIPT
    if not script.exists():
        return
    publish_file(edition, html / edition.name)
    text = script.read_text(encoding="utf-8")
    found = EDITIONS.search(text)
    editions = json.loads(found.group(1)) if found else {}
    editions[name] = {"file": edition.name, "link": link}  # named for the output in the table (outputs.TABLE)
    listing = f"window.carebookEditions = {json.dumps(editions, sort_keys=True, ensure_ascii=False)};"
    publish_file_text(script, EDITIONS.sub(lambda _: listing, text) if found else f"{text}\n{listing}\n")


def publish_file_text(target: Path, text: str) -> None:
    """Replace the text file `target` in one rename."""
    fresh = target.with_name(f".{target.name}.new")
    fresh.write_text(text, encoding="utf-8")
    fresh.replace(target)
