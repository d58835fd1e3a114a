"""Every patch of the HTML, styles and scripts that the theme, Sphinx and the extensions write,
in one place: the table ``PATCHES`` names each patch, the upstream behaviour it works around
(with the upstream issue where there is one) and a piece of the upstream file that shows that
behaviour. tests/test_upstream.py fails when an upgrade changes that piece, so a patch is looked
at again (dropped, or moved with upstream) instead of silently doing nothing or breaking pages.

Template overrides live in docs/_templates/, script fixes in docs/_static/book.js and the
translation of code in english.py, where Sphinx and the pages need them; the other patches made
in Python are below.
"""

from __future__ import annotations

import html
import re
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from docutils import nodes
from sphinx.application import Sphinx
from sphinx.locale import get_translation
from sphinx.util.images import get_image_size
from sphinx.writers.html5 import HTML5Translator
from sphinx_exercise.nodes import solution_node
from sphinx_gallery.directives import depart_imgsg_html, imgsgnode, visit_imgsg_html


@dataclass(frozen=True)
class Patch:
    ours: str  # the template, script or function of ours that patches it
    works_around: str
    upstream: str  # "package:file in the package" that shows the behaviour
    shows: str = ""  # text of that file that shows it (whitespace aside); "" if it exists
    lacks: str = ""  # or text whose absence shows it
    issue: str = ""


THEME = "pydata_sphinx_theme:theme/pydata_sphinx_theme/"
BOOK = "sphinx_book_theme:theme/sphinx_book_theme/"
PATCHES = [
    Patch("_templates/layout.html (css)", "the theme's 'auto' colour mode is applied by its "
          "script: until it runs the page is partly unstyled and the text moves",
          THEME + "layout.html", 'dataset.theme = localStorage.getItem("theme") || '
          '"{{ default_mode }}"'),
    Patch("_templates/layout.html (css)", "the theme loads a 1.5 MB icon script on every page",
          THEME + "static/webpack-macros.html", "_static/scripts/fontawesome.js"),
    Patch("_templates/layout.html (extrahead)", "the theme loads Sphinx's search scripts and "
          "the whole index on every page", THEME + "layout.html",
          "<script src=\"{{ pathto('searchindex.js', 1) | e }}\"></script>"),
    Patch("_templates/author.html", "the theme writes 'By' before the name; the Korean word "
          "goes after it", BOOK + "components/author.html", "{{ translate('By') }} {{ author }}"),
    Patch("_templates/sbt-sidebar-nav.html", "the chapter menu's label is English in every "
          "edition", BOOK + "components/sbt-sidebar-nav.html", 'aria-label="Main"'),
    Patch("_templates/toggle-primary-sidebar.html", "the menu button has an English title and "
          "no name", BOOK + "components/toggle-primary-sidebar.html",
          'title="Toggle primary sidebar"'),
    Patch("_templates/toggle-secondary-sidebar.html", "the contents button has an English "
          "title and no name", BOOK + "components/toggle-secondary-sidebar.html",
          'title="Toggle secondary sidebar"'),
    Patch("_templates/search-button-field.html", "the search field's name leaves out the "
          "shortcut it shows, so speech commands naming what is on screen miss it",
          THEME + "components/search-button-field.html", "aria-label=\"{{ _('Search') }}\""),
    Patch("_templates/sections/header.html", "a second pair of sidebar toggles, in a hidden "
          "bar, takes the script's binding from the visible pair",
          THEME + "sections/header.html",
          '<button class="pst-navbar-icon sidebar-toggle primary-toggle"',
          issue="pydata/pydata-sphinx-theme#2451"),
    Patch("_templates/sections/sidebar-primary.html", "the sidebar's title and search are in "
          "no landmark (axe: region)", THEME + "layout.html",
          '<div id="pst-primary-sidebar" class="bd-sidebar-primary bd-sidebar'),
    Patch("_static/book.js", "from file://, fetching search results' summaries fails and the "
          "search stops", "sphinx:themes/basic/static/searchtools.js", "fetch(requestUrl)"),
    Patch("_static/book.js", "Sphinx's Korean catalog leaves the one-result search line empty",
          "sphinx:locale/ko/LC_MESSAGES/sphinx.js",
          '"Search finished, found one page matching the search query.": [ ""'),
    Patch("_static/book.js", "a button's tooltip, opened on focus, stays after a click",
          THEME + "static/scripts/bootstrap.js", "{delay:{show:500,hide:100}}"),
    Patch("_static/book.js", "sphinx-copybutton has no Korean messages",
          "sphinx_copybutton:_static/copybutton.js_t", lacks="'ko'"),
    Patch("_ext/english.py (KoreanCodeIsTranslatable)", "a translated code block of a MyST "
          "page is parsed as Markdown and becomes '::', its code gone", "sphinx:transforms/i18n.py",
          "msgstr = '::\\n\\n' + indent(msgstr, ' ' * 3)",
          issue="executablebooks/MyST-Parser#444"),
    Patch("_ext/sections.py (rewrite_on_renumbering)", "an incremental build writes again only "
          "the pages whose own section or figure numbers changed, so a {numref} elsewhere keeps "
          "the old number", "sphinx:environment/collectors/toctree.py",
          "return self.assign_section_numbers(env) + self.assign_figure_numbers(env)"),
    Patch("label_toggles", "the menu's buttons that open a part of it have no name",
          "pydata_sphinx_theme:toctree.py", 'summary = soup.new_tag("summary")'),
    Patch("visit_citation", "a reference gets the role doc-biblioentry, deprecated and not "
          "allowed in a list (ARIA 1.2)", "docutils:writers/_html_base.py",
          'role="doc-biblioentry"'),
    Patch("visit_gallery_image", "sphinx-gallery's figures have no size, load eagerly, link "
          "nowhere and take the plot's English title, unescaped, as alt text",
          "sphinx_gallery:directives.py",
          'html_block = f\'<img src="{uri}" srcset="{srcsetst}" alt="{alt}"\''),
    Patch("sharp_chapter_figures", "Sphinx writes an image without srcset, so a chapter figure "
          "drawn by the gallery has no 2x image", "sphinx:writers/html5.py", lacks="srcset"),
    Patch("visit_solution", "an exercise's solution is a div that a script folds",
          "sphinx_exercise:nodes.py", 'self.starttag(node, "div", CLASS="admonition")'),
    Patch("defer_scripts", "Sphinx writes script files without defer: each blocks the first "
          "paint", "sphinx:builders/html/__init__.py", lacks="defer"),
    Patch("drop_unused_stylesheets", "extensions add their stylesheets to every page",
          "sphinx_proof:__init__.py", 'app.add_css_file("proof.css")'),
    Patch("absolute_404_links", "sphinx-notfound-page makes only images and the theme's links "
          "absolute, not links in the page's text", "notfound:extension.py",
          "replace_uris(app, doctree, docutils.nodes.image, 'uri')"),
    Patch("prune", "the theme's stylesheet carries Font Awesome's table of icons (55 KB)",
          THEME + "static/styles/pydata-sphinx-theme.css", '.fa-hashtag{--fa:"\\#"}'),
    Patch("prune", "the theme publishes its icon script and source maps, which no page uses",
          THEME + "static/scripts/fontawesome.js"),
]  # fmt: skip

UNPUBLISHED = ["**/*.map", "scripts/fontawesome.js*", "vendor/fontawesome", "locales"]
# Stylesheets that extensions add to every page, and the class of the elements they style.
STYLESHEET_USERS = {
    "_static/sg_gallery": "sphx-glr-",
    "_static/proof.css": "proof",
    "_static/mystnb.": "cell",
    "_static/copybutton.css": "highlight",
    "_static/pygments.css": "highlight",
}
# Font Awesome's table of icons inside the theme's stylesheet (55 KB): book.css draws icons.
ICON_TABLE = re.compile(r"\.fa-[\w-]+(?::before)?\{--fa:[^}]*\}")


def collect_figure_alts(app: Sphinx, doctree: nodes.document) -> None:
    """The alt text of each gallery image that a chapter figure shows, by file name."""
    alts = {
        Path(image["uri"]).name: image["alt"]
        for figure in doctree.findall(nodes.figure)
        for image in figure.findall(nodes.image)
        if "sphx_glr_" in image["uri"] and image.get("alt")
    }
    if alts:
        app.env.myoptim_figure_alts[app.env.docname] = alts


def init_figure_alts(app: Sphinx) -> None:
    if not hasattr(app.env, "myoptim_figure_alts"):
        app.env.myoptim_figure_alts = {}


def purge_figure_alts(app: Sphinx, env: Any, docname: str) -> None:
    env.myoptim_figure_alts.pop(docname, None)


def merge_figure_alts(app: Sphinx, env: Any, docnames: set[str], other: Any) -> None:
    for docname in docnames & other.myoptim_figure_alts.keys():
        env.myoptim_figure_alts[docname] = other.myoptim_figure_alts[docname]


def visit_gallery_image(translator: HTML5Translator, node: imgsgnode) -> None:
    """sphinx-gallery's figures (image-sg), sized, lazily loaded, linked to their file, with
    the chapter's alt text."""
    alts = {
        name: alt
        for table in translator.builder.env.myoptim_figure_alts.values()
        for name, alt in table.items()
    }
    if Path(node["uri"]).name in alts:  # sphinx-gallery writes the alt text unescaped
        node["alt"] = html.escape(alts[Path(node["uri"]).name])
    start = len(translator.body)
    visit_imgsg_html(translator, node)
    img = "".join(translator.body[start:])
    del translator.body[start:]
    source = re.search(r'src="([^"]*)"', img)
    size = get_image_size(Path(translator.builder.srcdir) / node["uri"].lstrip("/"))
    if source is None or size is None:  # not what this function knows how to improve
        translator.body.append(img)
        return
    width, height = size
    img = img.replace("<img ", f'<img width="{width}" height="{height}" loading="lazy" ', 1)
    translator.body.append(
        f'<a class="reference internal image-reference" href="{source[1]}">{img}</a>'
    )


def visit_solution(translator: HTML5Translator, node: solution_node) -> None:
    """The solution's title ("해답 연습 7") becomes the <summary> that opens it."""
    translator.body.append(translator.starttag(node, "details", CLASS="admonition"))
    title = node.next_node(nodes.title)
    if title is not None:  # as text: a link inside the summary would be a control in a control
        translator.body.append('<summary class="admonition-title">')
        translator.body.append(html.escape(" ".join(title.astext().split())))
        translator.body.append("</summary>\n")
        title.parent.remove(title)  # rendered: the children are visited after this returns


def depart_solution(translator: HTML5Translator, node: solution_node) -> None:
    translator.body.append("</details>\n")


def sharp_chapter_figures(
    app: Sphinx, pagename: str, templatename: str, context: dict[str, Any], doctree: Any
) -> None:
    """A chapter figure drawn by the gallery gets its 2x image too, as the gallery's pages do
    (sphinx-gallery's ``image_srcset``; those pages make the builder copy the 2x files)."""
    images = Path(app.srcdir) / "auto_examples" / "images"

    def with_srcset(match: re.Match[str]) -> str:
        src, name = match[1], match[2]
        if not (images / f"{name}_2_00x.png").exists():
            return match[0]
        double = src.removesuffix(".png") + "_2_00x.png"
        return f'{match[0]} srcset="{src}, {double} 2x"'

    if "body" in context:
        pattern = r'src="([^"]*_images/(sphx_glr_[^"/]*_\d{3})\.png)"(?! srcset)'
        context["body"] = re.sub(pattern, with_srcset, context["body"])


def absolute_404_links(app: Sphinx, doctree: nodes.document, docname: str) -> None:
    """The 404 page is served at whatever address was missing: its links cannot be relative."""
    if docname != app.config.notfound_pagename:
        return
    for reference in doctree.findall(nodes.reference):
        uri = reference.get("refuri", "")
        if uri and "://" not in uri and not uri.startswith(("/", "#")):
            reference["refuri"] = app.config.notfound_urls_prefix + uri


def visit_citation(translator: HTML5Translator, node: nodes.citation) -> None:
    """A reference as docutils writes it, but as an item of its list: docutils' role for it,
    doc-biblioentry, is deprecated and not allowed in a list (ARIA 1.2)."""
    start = len(translator.body)
    type(translator).visit_citation(translator, node)
    translator.body[start:] = [
        part.replace('role="doc-biblioentry"', 'role="listitem"')
        for part in translator.body[start:]
    ]


def label_toggles(
    app: Sphinx, pagename: str, templatename: str, context: dict[str, Any], doctree: Any
) -> None:
    """The theme's buttons that open a part of the chapter menu have no name: give them one."""
    if (generate := context.get("generate_toctree_html")) is None:
        return
    label = html.escape(str(get_translation("sphinx")("Show subsections")), quote=True)

    def labelled(*args: Any, **kwargs: Any) -> str:
        return str(generate(*args, **kwargs)).replace(
            "<summary>", f'<summary aria-label="{label}">'
        )

    context["generate_toctree_html"] = labelled


def defer_scripts(
    app: Sphinx, pagename: str, templatename: str, context: dict[str, Any], doctree: Any
) -> None:
    """Every script file deferred, so that a page shows before its scripts run; but
    documentation_options.js, which inline scripts read, and the search page's, which its
    template's own scripts need first."""
    if pagename == "search":
        return
    js_tag = context["js_tag"]

    def deferred(script: Any) -> str:
        tag: str = js_tag(script)
        filename = str(getattr(script, "filename", "") or "")
        if filename and not filename.endswith("documentation_options.js") and " defer" not in tag:
            tag = tag.replace("<script ", "<script defer ", 1)
        return tag

    context["js_tag"] = deferred


def drop_unused_stylesheets(
    app: Sphinx, pagename: str, templatename: str, context: dict[str, Any], doctree: Any
) -> None:
    """Extensions add their stylesheets to every page; each one blocks the page's first paint."""
    classes = set(re.findall(r'class="([^"]*)"', context.get("body", "")))
    used = {name for value in classes for name in value.split()}
    context["css_files"] = [
        css
        for css in context.get("css_files", [])
        if all(
            any(name.startswith(user) for name in used)
            for prefix, user in STYLESHEET_USERS.items()
            if str(css.filename).startswith(prefix)
        )
    ]


def prune(app: Sphinx, exception: Exception | None) -> None:
    if exception is not None or app.builder.format != "html":
        return
    static = Path(app.outdir) / "_static"
    theme_css = static / "styles" / "pydata-sphinx-theme.css"
    theme_css.write_text(
        ICON_TABLE.sub("", theme_css.read_text(encoding="utf-8")), encoding="utf-8"
    )
    for pattern in UNPUBLISHED:
        for path in list(static.glob(pattern)):
            if path.is_dir():
                shutil.rmtree(path)
            else:
                path.unlink()


def setup(app: Sphinx) -> dict[str, bool]:
    app.connect("builder-inited", init_figure_alts)
    app.connect("doctree-read", collect_figure_alts)
    app.connect("env-purge-doc", purge_figure_alts)
    app.connect("env-merge-info", merge_figure_alts)
    app.add_node(imgsgnode, override=True, html=(visit_gallery_image, depart_imgsg_html))
    app.add_node(solution_node, override=True, html=(visit_solution, depart_solution))
    app.add_node(
        nodes.citation, override=True, html=(visit_citation, HTML5Translator.depart_citation)
    )
    app.connect("doctree-resolved", absolute_404_links)
    app.connect("html-page-context", label_toggles, priority=900)  # after the theme sets it
    app.connect("html-page-context", defer_scripts)
    app.connect("html-page-context", sharp_chapter_figures)
    app.connect("html-page-context", drop_unused_stylesheets)
    app.connect("build-finished", prune)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
