"""Every section's anchor is its label: ASCII, the same in both editions, kept through rewording.

A section's address (``adam.html#adam-bias-correction``, the table of contents' links, the
heading's ¶ link) is its first id. Docutils puts the id it derives from the title first and a
label's id after it, and the derived one is ``id3`` or a Korean slug: it changes when a
heading's wording or order changes and reads as noise in an English address. So the label's id
goes first, and a section without a label is an error (fatal under ``-W``) that says how to
give it one.
"""

from __future__ import annotations

from docutils import nodes
from sphinx.application import Sphinx
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


def setup(app: Sphinx) -> dict[str, bool]:
    app.add_transform(LabelFirst)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
