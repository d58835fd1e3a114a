"""Link each glossary term to its entry where a chapter page first uses it.

A reader who lands on any section meets each term (학습률, momentum, bias correction, …)
linked to the glossary once, where it first occurs on that page, in either edition: the
terms are read from the glossary itself, in Korean and in English. Text in code, math,
headings, links, algorithm boxes (quotations) and outputs is left alone, and a term the
page already links with ``{term}`` counts as linked.
"""

from __future__ import annotations

import re
from functools import cache

from docutils import nodes
from sphinx import addnodes
from sphinx.application import Sphinx
from sphinx.environment import BuildEnvironment

GLOSSARY = "glossary"
AMBIGUOUS = {"속도"}  # also "speed": not every use means the velocity
SKIP = (
    nodes.literal, nodes.literal_block, nodes.math, nodes.math_block, nodes.reference,
    nodes.title, nodes.term, nodes.raw, nodes.rubric, nodes.caption, addnodes.pending_xref,
)  # fmt: skip


@cache
def _entries(env: BuildEnvironment) -> tuple[dict[str, str], dict[str, str], re.Pattern[str]]:
    """Each term's entry (named by the anchor of its first term), each anchor's entry, and a
    pattern matching every term."""
    anchors, entries = {}, {}
    for item in env.get_doctree(GLOSSARY).findall(nodes.definition_list_item):
        terms = list(item.findall(nodes.term))
        if not terms:
            continue
        anchor = terms[0]["ids"][0]
        for term in terms:
            entries.update(dict.fromkeys(term["ids"], anchor))
            if term.astext() not in AMBIGUOUS:
                anchors[term.astext()] = anchor
    names = sorted(anchors, key=len, reverse=True)  # "하이퍼파라미터" before "파라미터"
    alternatives = [
        re.escape(name) + (r"(?![A-Za-z0-9])" if name[-1].isascii() else "") for name in names
    ]
    pattern = re.compile(r"(?<![가-힣A-Za-z0-9_])(?:" + "|".join(alternatives) + ")")
    return anchors, entries, pattern


def _skipped(node: nodes.Node) -> bool:
    parent = node.parent
    while parent is not None:
        if isinstance(parent, SKIP) or "proof" in parent.get("classes", []):
            return True
        parent = parent.parent
    return False


def link_first_uses(app: Sphinx, doctree: nodes.document, docname: str) -> None:
    if app.builder.format != "html" or not docname.startswith("chapter/"):
        return
    anchors, entries, pattern = _entries(app.env)
    glossary = app.builder.get_relative_uri(docname, GLOSSARY)
    linked: set[str] = set()
    for node in list(doctree.findall(lambda n: isinstance(n, (nodes.Text, nodes.reference)))):
        if isinstance(node, nodes.reference):
            if GLOSSARY in node.get("refuri", "") and "#" in node["refuri"]:
                anchor = node["refuri"].split("#", 1)[1]
                linked.add(entries.get(anchor, anchor))
            continue
        if _skipped(node):
            continue
        text, pieces, start = str(node), [], 0
        for match in pattern.finditer(text):
            anchor = anchors[match[0]]
            if anchor in linked:
                continue
            linked.add(anchor)
            pieces.append(nodes.Text(text[start : match.start()]))
            link = nodes.reference("", "", internal=True, refuri=f"{glossary}#{anchor}")
            link += nodes.inline(match[0], match[0], classes=["xref", "std", "std-term"])
            pieces.append(link)
            start = match.end()
        if pieces:
            pieces.append(nodes.Text(text[start:]))
            node.parent.replace(node, [p for p in pieces if not isinstance(p, nodes.Text) or p])


def setup(app: Sphinx) -> dict[str, bool]:
    app.connect("doctree-resolved", link_first_uses)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
