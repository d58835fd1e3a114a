"""Figures the reader can move: a gallery example's grid of settings, drawn by the browser.

    ```{movable} quadratic_model
    :figure: fig-quadratic-paths

    guide
    : 학습률과 모멘텀을 움직여 보세요. ...

    lr
    : 학습률 ε

    converges
    : ε = {lr}, 모멘텀 {alpha}: ... {steps}스텝 ...
    ```

The example that writes ``quadratic_model.json`` (``MYOPTIM_RESULTS``, set by conf.py) stores
under its key ``"movable"`` every setting of a grid as myoptim computed it at build time:

- ``controls``: one per slider, each with ``name``, ``values`` and their ``text`` as shown;
  ``"choice": true`` makes radio buttons instead of a slider;
- ``frames``: one per setting, the last control varying fastest; a frame may hold ``path``
  (x, y, x, y, ... x 100, as integers), ``curve`` (log10 x 100 at the steps ``x``; null where
  the run overflowed), ``line`` (a level on the curve, log10 x 100), ``mark`` (a value of the
  first control beyond which the run diverges, shown under its slider), ``angle`` and
  ``ellipses`` (the level sets drawn under the path), ``say`` (which sentence describes it)
  and ``text`` (the numbers that sentence quotes, as the example formatted them); other keys
  (the exact setting, say) are for readers of the data;
- ``common``: what every frame shares (a frame's own keys win), with the axes' ``labels``
  (English, as the static figures' are);
- ``start``: the setting shown first, the static figure's.

The directive's content is a definition list whose terms are keys and whose definitions are
the figure's words in the page's language, translated with the page: ``guide`` (what to do),
one label per control name, and one sentence per ``say`` of the frames, in which ``{name}``
stands for a number of the frame's ``text`` or a control's current value. The build fails when
the figure is not on the page, when words are missing, or when a sentence names a number the
data lacks (in each edition, after translation).

The data is written to ``_images/movable-<name>.js`` in the output, the same file for both
editions (docs/build.py keeps one copy). Only pages with such a figure load it and
``_static/movable.js``, which draws the figure into the static one on screen; without
JavaScript, and in print, the static figure stands.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any, ClassVar

from claims import results_folder
from docutils import nodes
from docutils.parsers.rst import directives
from sphinx.application import Sphinx
from sphinx.util import logging
from sphinx.util.docutils import SphinxDirective, SphinxTranslator

logger = logging.getLogger(__name__)
SCRIPT = "movable.js"


class movable_words(nodes.General, nodes.Element):
    """The figure's words (a definition list); its attributes name the data and the figure."""


class Movable(SphinxDirective):
    required_arguments = 1
    has_content = True
    option_spec: ClassVar[dict[str, Any]] = {"figure": directives.unchanged_required}

    def run(self) -> list[nodes.Node]:
        name = self.arguments[0]
        self.env.note_dependency(str(results_folder() / f"{name}.json"))
        node = movable_words(name=name, figure=self.options["figure"])
        self.set_source_info(node)
        self.state.nested_parse(self.content, self.content_offset, node)
        return [node]


def data_of(name: str) -> dict[str, Any] | None:
    path = results_folder() / f"{name}.json"
    if not path.exists():
        return None
    return json.loads(path.read_text()).get("movable")


def words_of(node: movable_words) -> dict[str, str]:
    words = {}
    for item in node.findall(nodes.definition_list_item):
        term = item.next_node(nodes.term)
        words[term.astext().strip()] = item.next_node(nodes.definition).astext().strip()
    return words


def problems(words: dict[str, str], data: dict[str, Any]) -> list[str]:
    """What keeps these words from describing every frame of the data."""
    found = []
    names = [control["name"] for control in data["controls"]]
    for key in ["guide", *names, *sorted({frame["say"] for frame in data["frames"]})]:
        if key not in words:
            found.append(f"no words for {key!r}")
    for frame in data["frames"]:
        for key in re.findall(r"\{(\w+)\}", words.get(frame["say"], "")):
            if key not in names and key not in frame.get("text", {}):
                found.append(f"{frame['say']!r} names {{{key}}}, which a frame lacks")
    return sorted(set(found))


def check_and_write(app: Sphinx, doctree: nodes.document, docname: str) -> None:
    """After translation: the words fit the data, the figure is on the page, the data is out."""
    for node in doctree.findall(movable_words):
        name, figure = node["name"], node["figure"]
        data = data_of(name)
        if data is None:
            logger.warning(
                f"{results_folder() / name}.json has no 'movable' key: its gallery example "
                f"writes it when it runs",
                location=node,
                type="movable",
            )
            continue
        if figure not in doctree.ids:
            logger.warning(f"movable {name}: no figure {figure!r} on this page", location=node)
        for problem in problems(words_of(node), data):
            logger.warning(f"movable {name}: {problem}", location=node, type="movable")
        if app.builder.format == "html":
            out = Path(app.outdir) / "_images" / f"movable-{name}.js"
            out.parent.mkdir(exist_ok=True)
            script = (
                "window.MOVABLE = window.MOVABLE || {};\n"
                f"window.MOVABLE[{json.dumps(name)}] = "
                f"{json.dumps(data, separators=(',', ':'))};\n"
            )
            if not out.exists() or out.read_text() != script:
                out.write_text(script)


def visit_html(self: SphinxTranslator, node: movable_words) -> None:
    up = "../" * self.builder.current_docname.count("/")
    self.body.append(
        f'<script defer src="{up}_images/movable-{node["name"]}.js"></script>'
        f'<div class="movable-words" hidden data-movable="{node["name"]}" '
        f'data-figure="{node["figure"]}">'
    )


def depart_html(self: SphinxTranslator, node: movable_words) -> None:
    self.body.append("</div>")


def skip(self: SphinxTranslator, node: movable_words) -> None:
    raise nodes.SkipNode


def add_script(app: Sphinx, pagename: str, templatename: str, context: dict, doctree) -> None:
    """movable.js only on the pages that have such a figure."""
    if doctree is not None and next(doctree.findall(movable_words), None) is not None:
        app.add_js_file(SCRIPT, loading_method="defer")


def setup(app: Sphinx) -> dict[str, bool]:
    app.add_node(
        movable_words,
        html=(visit_html, depart_html),
        latex=(skip, None),
        text=(skip, None),
        man=(skip, None),
        texinfo=(skip, None),
    )
    app.add_directive("movable", Movable)
    app.connect("doctree-resolved", check_and_write)
    app.connect("html-page-context", add_script)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
