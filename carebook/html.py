"""A Sphinx extension for the HTML book: fixes to what the theme's pages load."""

from __future__ import annotations


def drop_repeated_scripts(app, pagename, templatename, context, doctree) -> None:
    """Keep the first of each script: Sphinx 7.4 lists an inline script added after the builder started twice
    (filename None, then ''), so sphinx-thebe's `const THEBE_JS_URL` throws a SyntaxError on every page."""
    if "script_files" not in context:
        return
    seen, kept = set(), []
    for script in context["script_files"]:
        key = (script.filename or "", script.priority, tuple(sorted(script.attributes.items())))
        if key not in seen:
            seen.add(key)
            kept.append(script)
    context["script_files"] = kept


def setup(app) -> dict:
    """Register the page hooks."""
    app.connect("html-page-context", drop_repeated_scripts)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
