"""Translate the example titles and tooltips that sphinx-gallery writes as raw HTML.

Gallery thumbnails (on the gallery's index and in "examples using ..." on API pages) carry each
example's title and first paragraph inside raw HTML, which gettext never extracts. In a
translated edition, this replaces them with their translations from the examples' catalogs,
cleaned the way sphinx-gallery cleans them.
"""

import functools
import html
from pathlib import Path

from babel.messages.pofile import read_po
from docutils import nodes
from sphinx.application import Sphinx
from sphinx_gallery.gen_rst import _sanitize_rst


@functools.cache
def _translations(folder: Path) -> dict[str, str]:
    table = {}
    for po in folder.glob("*.po"):
        with po.open("rb") as file:
            for message in read_po(file):
                if message.id and message.string:
                    source, target = (
                        html.escape(_sanitize_rst(t)) for t in (message.id, message.string)
                    )
                    table[source] = target
    return dict(sorted(table.items(), key=lambda item: -len(item[0])))  # longest first


def translate_thumbnails(app: Sphinx, doctree: nodes.document, docname: str) -> None:
    folder = Path(app.srcdir) / "locale" / app.config.language / "LC_MESSAGES" / "auto_examples"
    if not folder.is_dir():  # the source language, or no translation
        return
    table = _translations(folder)
    for node in list(doctree.findall(nodes.raw)):
        text = node.astext()
        if "sphx-glr-thumb" in text:
            for source, target in table.items():
                text = text.replace(source, target)
            node.replace(node.children[0], nodes.Text(text))


def setup(app: Sphinx) -> dict[str, bool]:
    app.connect("doctree-resolved", translate_thumbnails)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
