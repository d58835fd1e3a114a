"""Math typeset when the book is built, not each time a page is read.

MathJax in the browser costs a phone seconds of script work on a page of formulas. Where the
machine that builds the book has Node.js, the same MathJax (version 3, from the
sphinx-mathjax-offline wheel) typesets every formula here, into SVG drawn in the text's colour:
pages then load no script, font or stylesheet for their math, and each formula carries a hidden
MathML copy that screen readers read. A formula MathJax cannot typeset fails the build.

Without Node.js, the book falls back to MathJax in the browser, served from the site itself so
that it works offline, and the build says so.
"""

from __future__ import annotations

import contextlib
import html
import json
import re
import shutil
import subprocess
from importlib.metadata import distribution
from pathlib import Path
from typing import Any

from docutils import nodes
from sphinx.application import Sphinx
from sphinx.config import Config
from sphinx.ext import mathjax
from sphinx.util import logging
from sphinx.writers.html5 import HTML5Translator

MATHJAX = distribution("sphinx-mathjax-offline").locate_file("sphinx-mathjax-offline/static")
SCRIPT = Path(__file__).with_suffix(".js")
RENDERER = "math_svg"
logger = logging.getLogger(__name__)


class Typesetter:
    """One Node.js process that typesets formula after formula (see math_svg.js)."""

    def __init__(self, node: str) -> None:
        self.process = subprocess.Popen(
            [node, str(SCRIPT), str(Path(str(MATHJAX)) / "mathjax")],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, encoding="utf-8",
        )  # fmt: skip
        self.css = " ".join(self._answer()["css"].split())

    def _answer(self) -> dict[str, str]:
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        if not line:
            raise RuntimeError(f"{SCRIPT.name} stopped (exit status {self.process.wait()})")
        answer: dict[str, str] = json.loads(line)
        return answer

    def svg(self, tex: str, display: bool) -> str:
        assert self.process.stdin is not None
        self.process.stdin.write(json.dumps({"tex": tex, "display": display}) + "\n")
        self.process.stdin.flush()
        answer = self._answer()
        if "error" in answer:
            raise ValueError(answer["error"])
        return answer["svg"]

    def close(self) -> None:
        if self.process.stdin:
            self.process.stdin.close()
        self.process.wait()


_typesetter: Typesetter | None = None


def typesetter() -> Typesetter:
    """The Node.js process, started for the first formula."""
    global _typesetter
    if _typesetter is None:
        node = shutil.which("node")
        assert node is not None, "choose_renderer() chose math_svg without Node.js"
        _typesetter = Typesetter(node)
    return _typesetter


def choose_renderer(app: Sphinx, config: Config) -> None:
    if shutil.which("node"):
        config.html_math_renderer = RENDERER
    else:
        logger.info(
            "math_svg: Node.js not found: formulas are typeset in the browser by MathJax. "
            "Install Node.js to typeset them when the book is built."
        )
        config.html_math_renderer = "mathjax"
        config.html_static_path.append(str(MATHJAX))
        config.mathjax_path = "mathjax/tex-chtml.js"


def typeset(translator: HTML5Translator, node: nodes.Element, display: bool) -> None:
    """Let Sphinx write the formula as it does for MathJax, then typeset the TeX it wrote."""
    config = translator.builder.config
    opening, closing = config.mathjax_display if display else config.mathjax_inline
    start = len(translator.body)
    visit = mathjax.html_visit_displaymath if display else mathjax.html_visit_math
    with contextlib.suppress(nodes.SkipNode):  # how Sphinx's visitor ends
        visit(translator, node)  # type: ignore[arg-type]
    written = "".join(translator.body[start:])
    del translator.body[start:]
    found = re.search(re.escape(opening) + "(.*)" + re.escape(closing), written, re.DOTALL)
    if found is None:  # `nowrap` math: TeX without delimiters, which only a browser can find
        logger.warning("math_svg: cannot typeset math without delimiters", location=node)
        translator.body.append(written)
        raise nodes.SkipNode
    tex = html.unescape(found[1])
    try:
        svg = typesetter().svg(tex, display)
    except ValueError as error:
        logger.warning("math_svg: cannot typeset %r: %s", tex, error, location=node)
        svg = found[0]
    translator.body.append(written[: found.start()] + svg + written[found.end() :])
    raise nodes.SkipNode


def visit_math(translator: HTML5Translator, node: nodes.math) -> None:
    typeset(translator, node, display=False)


def visit_displaymath(translator: HTML5Translator, node: nodes.math_block) -> None:
    typeset(translator, node, display=True)


def add_stylesheet(
    app: Sphinx, pagename: str, templatename: str, context: dict[str, Any], doctree: Any
) -> None:
    """MathJax's rules for its SVG (2 KB), inline: no request for it, and only where needed;
    and the page's glyphs, once each."""
    if context.get("has_maths_elements") and app.builder.math_renderer_name == RENDERER:
        context["metatags"] += f"\n<style>{typesetter().css}</style>"
        context["body"] = share_glyphs(context["body"])


GLYPH = re.compile(r'<path data-c="[0-9A-F]+" d="([^"]*)"([^>]*)></path>')


def share_glyphs(body: str) -> str:
    """Each glyph's outline once per page, used by every formula that draws it.

    Typeset one at a time, each formula carries the outline of every glyph it draws (MathJax's
    ``fontCache: "none"``): a page of formulas repeated the same few dozen outlines 1,164 times,
    600 KB of its 680. They go into one hidden SVG at the top of the page instead."""
    keys: dict[str, str] = {}  # outline: its id, in the order of first use

    def use(glyph: re.Match[str]) -> str:
        key = keys.setdefault(glyph[1], f"mjx-g{len(keys)}")
        return f'<use href="#{key}"{glyph[2]}></use>'

    body = GLYPH.sub(use, body)
    if not keys:
        return body
    paths = "".join(f'<path id="{key}" d="{d}"></path>' for d, key in keys.items())
    hidden = 'aria-hidden="true" style="position:absolute;width:0;height:0;overflow:hidden"'
    return f'<svg xmlns="http://www.w3.org/2000/svg" {hidden}><defs>{paths}</defs></svg>{body}'


def stop(app: Sphinx, exception: Exception | None) -> None:
    global _typesetter
    if _typesetter:
        _typesetter.close()
        _typesetter = None


def setup(app: Sphinx) -> dict[str, bool]:
    app.add_html_math_renderer(RENDERER, (visit_math, None), (visit_displaymath, None))
    app.connect("config-inited", choose_renderer)
    app.connect("html-page-context", add_stylesheet)
    app.connect("build-finished", stop)
    return {"parallel_read_safe": True, "parallel_write_safe": False}
