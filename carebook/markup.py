"""Text from data made safe for the markup it is placed in: it shows as written, never as markup."""

from __future__ import annotations

import re

MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()<>#+!|~$&:^=-])")


def markdown_text(text: object) -> str:
    """`text` as Markdown that reads back as exactly that text: every markup character backslash-escaped,
    line breaks as spaces (CommonMark allows a backslash before any ASCII punctuation)."""
    return MARKDOWN_SPECIAL.sub(r"\\\1", " ".join(str(text).splitlines()))


def whole_or_cut(text: str, limit: int) -> str:
    """`text` whole, or cut at the last word that fits in `limit` characters and marked with " …" (a no-break
    space before it, so the mark never starts a line on its own)."""
    text = " ".join(str(text).split())
    if len(text) <= limit:
        return text
    return text[: limit + 1].rsplit(" ", 1)[0].rstrip(",;:") + "\u00a0…"
