"""Sentences true in the web edition only: the `{web}` role keeps its text on the web pages and drops it from
the PDF and the EPUB, where nothing can be pointed at, hovered or followed to a row ("Acronyms show their
meaning when you point at them")."""

from __future__ import annotations

from docutils import nodes

WEB_BUILDERS = ("html", "dirhtml", "singlehtml")


class web_only(nodes.inline):  # noqa: N801 (docutils names nodes in lower case)
    """Text of the web edition only."""


def web_role(name, rawtext, text, lineno, inliner, options=None, content=None):
    """{web}`text`: `text` in the web edition, nothing in print or the e-book. Markup inside is parsed, so a
    link to a web-only page can be web-only too: ``{web}``see {doc}`changes` `` (double backticks)."""
    if "`" not in text:
        return [web_only(rawtext, text)], []
    node = web_only(rawtext)
    children, messages = inliner.parse(text, lineno, inliner, node)
    node += children
    return [node], messages


def _post_transform() -> type:
    """The transform that keeps or drops web-only text by builder (Sphinx imported only when used)."""
    from sphinx.transforms.post_transforms import SphinxPostTransform

    class WebOnlyText(SphinxPostTransform):
        """Unwrap web-only text for a web builder; remove it for any other, before cross-references are
        resolved (Sphinx's resolver runs at 10): a link in it may name a page that edition leaves out."""

        default_priority = 5

        def run(self, **kwargs) -> None:
            web = self.app.builder.name in WEB_BUILDERS
            for node in list(self.document.findall(web_only)):
                if web:
                    node.replace_self(node.children)
                else:
                    node.parent.remove(node)

    return WebOnlyText


def setup(app) -> dict:
    """Register the role and its transform."""
    app.add_role("web", web_role)
    app.add_node(web_only)
    app.add_post_transform(_post_transform())
    return {"parallel_read_safe": True, "parallel_write_safe": True}
