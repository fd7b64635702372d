"""A chapter's source as a web page ("How this page was computed"): the MyST notebook's text, escaped, in a page
that declares UTF-8, so every browser and static server shows "2022–2026" and not "2022â€“2026" (a bare `.md`
is served without a character set). The `.md` itself stays beside it as the download."""

from __future__ import annotations

from html import escape

PAGE = """<!DOCTYPE html>
<html lang="en-GB">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>How this page was computed: {heading}</title>
<style>
body {{ font-family: system-ui, sans-serif; margin: 1rem auto; max-width: 52rem; padding: 0 1rem; color: #222; }}
p {{ line-height: 1.5; }}
pre {{ font-size: 0.85rem; line-height: 1.4; white-space: pre-wrap; overflow-wrap: anywhere;
      background: #f6f6f6; border: 1px solid #ddd; padding: 0.75rem; }}
a {{ color: #0b5394; }}
</style>
</head>
<body>
<main>
<h1>How this page was computed: {heading}</h1>
<p>The chapter&#8217;s notebook as written, with the code that reads the book&#8217;s data tables and computes
every figure and number on <a href="../../{page}.html">its page</a>.
<a href="{slug}.md" download>Download it</a> as a MyST Markdown file; to run it, take the chapter&#8217;s
&#8220;Run it yourself&#8221; zip from its page.</p>
<pre>{source}</pre>
</main>
</body>
</html>
"""


def source_page(text: str, heading: str, slug: str, page: str) -> bytes:
    """The HTML page showing chapter `slug`'s source `text` (its page is `page`, e.g. 'book/funding')."""
    return PAGE.format(heading=escape(heading), slug=escape(slug), page=escape(page), source=escape(text)).encode()
