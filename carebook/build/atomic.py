"""Write a file so that a reader (or the next build, after a kill) sees either the old bytes or the new, never
half of them: the content goes to a temporary file beside the target, which then replaces it in one rename."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


def write_atomic(path: Path, content: bytes | str) -> None:
    """Replace `path` with `content` (text is written as UTF-8) in one `os.replace`."""
    data = content.encode("utf-8") if isinstance(content, str) else content
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
