"""What the English edition needs beyond gettext's translation of the prose.

- Code comments follow the page's language. A code block (a code cell's source, not an output)
  that has Korean in it becomes a message of the catalogs, so its comments are translated with
  the prose; other code, the package's source included, stays out of the catalogs.
- The glossary leads with the English term, sorted alphabetically, the Korean term beside it
  (marked ``lang="ko"``), and the index lists the English terms only. A page's description
  (link previews, search results) ends before the first Korean term it would quote.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from docutils import nodes
from sphinx import addnodes
from sphinx.application import Sphinx
from sphinx.locale import init as init_locale
from sphinx.transforms import SphinxTransform
from sphinx.util.i18n import docname_to_domain

HANGUL = re.compile("[\uac00-\ud7a3]")
SOURCE_LANGUAGE = "ko"


def _in_output(node: nodes.Node) -> bool:
    parent = node.parent
    while parent is not None:
        if "cell_output" in parent.get("classes", []):
            return True
        parent = parent.parent
    return False


class KoreanCodeIsTranslatable(SphinxTransform):
    """Code blocks with Korean are messages of the catalogs. The gettext build marks them for
    extraction; the English build puts their translations in itself, because Sphinx's Locale
    transform parses a translated code block of a MyST page as Markdown and leaves "::" where
    the code was (executablebooks/MyST-Parser#444)."""

    default_priority = 10  # with Sphinx's own gettext_additional_targets, before the Locale's 20

    def apply(self, **kwargs: object) -> None:
        blocks = [
            block
            for block in self.document.findall(nodes.literal_block)
            if HANGUL.search(block.astext()) and not _in_output(block)
        ]
        if self.config.language == SOURCE_LANGUAGE:
            for block in blocks:
                block["translatable"] = True
            return
        domain = docname_to_domain(self.env.docname, self.config.gettext_compact)
        folders = [Path(self.env.srcdir) / folder for folder in self.config.locale_dirs]
        catalog, _ = init_locale(folders, self.config.language, domain)
        for block in blocks:
            translated = catalog.gettext(block.rawsource or block.astext())
            block.rawsource = translated
            block[:] = [nodes.Text(translated)]


class EnglishFirstGlossary(SphinxTransform):
    default_priority = 30  # after the Locale transform has translated the definitions

    def apply(self, **kwargs: object) -> None:
        if self.config.language == SOURCE_LANGUAGE:
            return
        for glossary in self.document.findall(addnodes.glossary):
            for entries in glossary.findall(nodes.definition_list):
                for item in entries.children:
                    terms = [child for child in item.children if isinstance(child, nodes.term)]
                    korean = [term for term in terms if HANGUL.search(term.astext())]
                    for term in korean:
                        term["classes"].append("language-ko")
                        for index in term.findall(addnodes.index):
                            index["entries"] = []
                    english = [term for term in terms if term not in korean]
                    item.children[: len(terms)] = english + korean
                entries.children.sort(key=lambda item: item[0].astext().casefold())


def english_description(
    app: Sphinx, pagename: str, templatename: str, context: dict[str, Any], doctree: Any
) -> None:
    if app.config.language == SOURCE_LANGUAGE or "metatags" not in context:
        return

    def cut(match: re.Match[str]) -> str:
        text = HANGUL.split(match.group(2), maxsplit=1)[0].rstrip(" ,;:")
        return f'{match.group(1)}{text}..."'

    context["metatags"] = re.sub(
        r'(description" content=")([^"]*[\uac00-\ud7a3][^"]*)"', cut, context["metatags"]
    )


def setup(app: Sphinx) -> dict[str, bool]:
    app.add_transform(KoreanCodeIsTranslatable)
    app.add_transform(EnglishFirstGlossary)
    app.connect("html-page-context", english_description, priority=600)  # after opengraph's
    return {"parallel_read_safe": True, "parallel_write_safe": True}
