"""Sections: numbered from the table of contents, addressed by their labels.

Numbers. The chapter's toctree is ``:numbered:``, so Sphinx numbers every heading under it from
its place in the toctree: headings, the sidebar, the previous/next links and ``{numref}``
references all follow when a page is inserted or moved. Sphinx numbers each numbered toctree
from 1 and has no option to start elsewhere (sphinx-doc/sphinx#8128), while this book is
chapter ``book_chapter`` (3), so its sections are 3.1, 3.1.1, ...: after Sphinx assigns the
numbers, they get the chapter's number in front.

Anchors. A section's address (``adam.html#adam-bias-correction``, the table of contents'
links, the heading's ¶ link) is its first id. Docutils puts the id it derives from the title
first and a label's id after it, and the derived one is ``id3`` or a Korean slug: it changes
when a heading's wording or order changes and reads as noise in an English address. So the
label's id goes first, and a section without a label is an error (fatal under ``-W``) that
says how to give it one.
"""

from __future__ import annotations

import copy
import re
from pathlib import Path

from docutils import nodes
from sphinx.application import Sphinx
from sphinx.environment import BuildEnvironment
from sphinx.transforms import SphinxTransform
from sphinx.util import logging

logger = logging.getLogger(__name__)


class LabelFirst(SphinxTransform):
    # After the targets were moved onto their sections (docutils' PropagateTargets, 260) and
    # before the table of contents reads the ids (when the document is read).
    default_priority = 700

    def apply(self, **kwargs: object) -> None:
        document = self.document
        # Headings: algorithm boxes and exercises hold untitled sections, and labels of their own.
        for section in document.findall(nodes.section):
            if not section.children or not isinstance(section[0], nodes.title):
                continue
            labels = [
                document.nameids[name]
                for name in section["names"]
                if document.nametypes.get(name) and document.nameids.get(name) in section["ids"]
            ]
            if not labels:
                logger.warning(
                    f"section {section[0].astext()!r} has no label: write (some-label)= (MyST) or "
                    ".. _some-label: (reST) above its heading, in ASCII",
                    location=section,
                )
                continue
            section["ids"].remove(labels[0])
            section["ids"].insert(0, labels[0])


def chapter_pages(docs: Path) -> list[str]:
    """The chapter's pages, in order: the entries of the root page's numbered toctree."""
    root = (docs / "index.md").read_text(encoding="utf-8")
    for block in re.findall(r"```\{toctree\}\n(.*?)```", root, re.S):
        if re.search(r"^:numbered:", block, re.M):
            return [line for line in block.splitlines() if line and not line.startswith(":")]
    raise LookupError(f"{docs / 'index.md'} has no :numbered: toctree")


def number_from_the_chapter(app: Sphinx, env: BuildEnvironment) -> list[str]:
    """Put the chapter's number in front of the numbers Sphinx just assigned (priority 900)."""
    chapter = app.config.book_chapter
    for docname, numbers in env.toc_secnumbers.items():
        env.toc_secnumbers[docname] = {a: (chapter, *n) if n else n for a, n in numbers.items()}
        # The sidebar's numbers; the title's give the page's <title> and the previous/next links.
        for reference in env.tocs[docname].findall(nodes.reference):
            if reference.get("secnumber"):
                reference["secnumber"] = [chapter, *reference["secnumber"]]
        if number := env.toc_secnumbers[docname].get(""):
            env.titles[docname]["secnumber"] = list(number)
    return rewrite_on_renumbering(env)


def rewrite_on_renumbering(env: BuildEnvironment) -> list[str]:
    """Every page, when a section's or a figure's number changed since the last build.

    Sphinx writes again the pages whose own numbers changed, not the pages that show them in a
    ``{numref}``: after a page was inserted into the chapter, the API page still said "3.10절"
    for what had become 3.12 (docs/_ext/upstream.py lists this)."""
    numbers = (env.toc_secnumbers, env.toc_fignumbers)
    if numbers == getattr(env, "book_numbers", None):
        return []
    env.book_numbers = copy.deepcopy(numbers)
    return sorted(env.found_docs)


def setup(app: Sphinx) -> dict[str, bool]:
    app.add_config_value("book_chapter", 1, "env", int)
    app.add_transform(LabelFirst)
    # After Sphinx's own TocTreeCollector (default priority) has assigned the numbers.
    app.connect("env-get-updated", number_from_the_chapter, priority=900)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
