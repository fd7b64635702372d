"""A Sphinx extension the build always loads: an incremental HTML build reads and writes what a clean one
would. Sphinx decides what to read again by modification times, and writes again only the pages it read; a
page that shows another page's figure numbers, headings or title would keep the old ones."""

from __future__ import annotations

import hashlib
import json

from carebook.sphinxext import fignumbers


def changed_by_content(app, env, added, changed, removed) -> list[str]:
    """The pages whose staged files changed by content (the build compares hashes, `carebook_reread`): Sphinx
    itself compares modification times, which a clock set wrong once makes lie."""
    return sorted(set(app.config.carebook_reread) & env.found_docs)


def cross_page_targets(env) -> str:
    """What other pages show of a page: its title, its labels (with their headings) and its figure numbers."""

    std = env.domaindata.get("std", {})
    parts = [
        sorted((name, str(title.astext())) for name, title in env.titles.items()),
        sorted((k, list(v)) for k, v in std.get("labels", {}).items()),
        sorted((k, list(v)) for k, v in std.get("anonlabels", {}).items()),
        sorted(
            (doc, sorted((kind, sorted(nums.items())) for kind, nums in figs.items()))
            for doc, figs in env.toc_fignumbers.items()
        ),
    ]
    return hashlib.sha256(json.dumps(parts, default=str).encode()).hexdigest()


def rewrite_on_new_targets(app, env) -> list[str]:
    """Every page, when a page read again changed what other pages show of it (a renumbered figure, a renamed
    heading): their {numref} and {ref} are resolved when written, so they must be written again."""
    targets = cross_page_targets(env)
    before, env.carebook_targets = getattr(env, "carebook_targets", None), targets
    return sorted(env.found_docs) if before not in (None, targets) else []


def setup(app) -> dict:
    """Register the hooks."""
    app.setup_extension(fignumbers.__name__)  # figure numbers without unpickling every page
    app.add_config_value("carebook_reread", [], "", types=[list])
    app.connect("env-get-outdated", changed_by_content)
    app.connect("env-get-updated", rewrite_on_new_targets, priority=900)  # after Sphinx numbers the figures
    return {"parallel_read_safe": True, "parallel_write_safe": True}
