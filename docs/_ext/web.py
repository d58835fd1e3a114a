"""What a page of the hosted book needs beyond the theme.

- The site's addresses (addresses.py): canonical links, links between the two editions of each
  page (hreflang), the 404 page's links, the Colab links.
- A page that renders before its scripts run: every script file is deferred but the one that
  inline scripts read (documentation_options.js), and a page loads only the stylesheets it uses.
- The 404 page's links are absolute, as the page is served at any missing address.
- Every figure has its size (no layout shift), loads lazily, and links to its full-size image,
  which a phone can zoom into. A gallery figure's alt text is the chapter's, in the page's
  language (sphinx-gallery's is the plot's English title).
- In the Korean edition, the API's docstrings are marked as English (``lang="en"``), so that
  screen readers pronounce them as English.
- An "Open in Colab" link on every gallery example, whose notebook's first cell installs myoptim.
- An exercise's solution folds into a native ``<details>``: it opens without a script, from
  the keyboard and for a screen reader.
- ``{{ repository }}`` in a page's code, and the role ``{repository}`text```, give the address.
- The published folder keeps only files a page can request: no source maps, no icon font or
  script (book.css draws the icons, so the theme's stylesheet loses its table of them), no
  message catalogs of the theme.
"""

from __future__ import annotations

import html
import re
import shutil
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from addresses import github_name, repository, site_url
from docutils import nodes
from markupsafe import Markup
from sphinx import addnodes
from sphinx.application import Sphinx
from sphinx.config import Config
from sphinx.locale import get_translation
from sphinx.util.images import get_image_size
from sphinx.writers.html5 import HTML5Translator
from sphinx_exercise.nodes import solution_node
from sphinx_gallery.directives import depart_imgsg_html, imgsgnode, visit_imgsg_html

EDITIONS = ("ko", "en")
LOCALES = {"ko": "ko_KR", "en": "en_US"}  # OpenGraph's form of the language
COLAB_BRANCH = "notebooks"  # where the workflow publishes the examples' notebooks for Colab
OPEN_IN_COLAB = {"ko": "Colab에서 열기", "en": "Open in Colab"}
SEARCH_BAR_TEXT = {"ko": "검색...", "en": "Search..."}
# For pages Sphinx makes without a source (indices, source listings), which have no paragraph
# to describe them.
DESCRIPTION = {
    "ko": "{title}: 딥러닝 옵티마이저를 직접 만들며 배우는 실행 가능한 교재, "
    "{book}의 한 페이지입니다.",
    "en": "{title}: a page of {book}, an executable textbook on deep-learning optimizers.",
}
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


INSTALL_COMMENT = {
    "ko": "# Colab처럼 myoptim이 아직 설치되지 않은 곳이라면 저장소에서 설치합니다.",
    "en": "# On Colab, or wherever myoptim is not installed yet: install it from its repository.",
}


def install_cell(language: str = "en") -> str:
    """The first cell of every example's notebook: install myoptim where it is missing (its
    comment in the notebook's language)."""
    return (
        f"{INSTALL_COMMENT[language]}\n"
        "import importlib.util\n"
        "import subprocess\n"
        "import sys\n"
        "\n"
        'if importlib.util.find_spec("myoptim") is None:\n'
        f'    pip = [sys.executable, "-m", "pip", "install", "git+{repository()}"]\n'
        "    subprocess.run(pip, check=True)"
    )


def colab_url(language: str, example: str) -> str:
    owner, name = github_name()
    return (
        f"https://colab.research.google.com/github/{owner}/{name}/blob/{COLAB_BRANCH}/"
        f"{language}/{example}.ipynb"
    )


def fill_addresses(app: Sphinx, docname: str, source: list[str]) -> None:
    """Write the repository's address and name where a page's code says {{ repository }} and
    {{ repository_name }}."""
    source[0] = source[0].replace("{{ repository }}", repository())
    source[0] = source[0].replace("{{ repository_name }}", github_name()[1])


def repository_role(
    name: str, rawtext: str, text: str, lineno: int, inliner: Any, *args: Any, **kwargs: Any
) -> tuple[list[nodes.Node], list[nodes.system_message]]:
    """{repository}`text`: a link to the repository (the text stays translatable)."""
    return [nodes.reference(rawtext, text, refuri=repository())], []


def configure(app: Sphinx, config: Config) -> None:
    """The addresses of this edition (its language is known only once -D options apply)."""
    config.html_baseurl = f"{site_url()}{config.language}/"
    config.html_theme_options = {
        **config.html_theme_options,
        "search_bar_text": SEARCH_BAR_TEXT[config.language],
    }
    config.ogp_site_url = config.html_baseurl
    config.notfound_urls_prefix = urlsplit(config.html_baseurl).path


def size_images(app: Sphinx, doctree: nodes.document, docname: str) -> None:
    """Give every image its size, so that the text does not jump when it arrives, and load it
    only when the reader nears it. Sphinx then links each one to its full-size file (as it
    does for any image with a size); a thumbnail of the gallery links to its example instead."""
    for image in doctree.findall(nodes.image):
        image.setdefault("loading", "lazy")
        if "/images/thumb/" in image["uri"]:  # sphinx-gallery's thumbnails
            image["classes"].append("no-scaled-link")
        if not any(key in image for key in ("width", "height", "scale")) and (
            size := get_image_size(Path(app.srcdir) / image["uri"])
        ):
            image["width"], image["height"] = (str(n) for n in size)


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


def mark_english_docstrings(app: Sphinx, doctree: nodes.document, docname: str) -> None:
    if app.config.language != "en":
        for content in doctree.findall(addnodes.desc_content):
            content["classes"].append("language-en")  # docutils writes it as lang="en"


def add_colab_link(app: Sphinx, doctree: nodes.document, docname: str) -> None:
    folder, _, example = docname.partition("/")
    if folder != "auto_examples" or not example.startswith("plot_"):
        return
    language = app.config.language
    link = nodes.reference("", OPEN_IN_COLAB[language], refuri=colab_url(language, example))
    section = next(iter(doctree.findall(nodes.section)))
    section.insert(1, nodes.paragraph("", "", link, classes=["colab-link"]))


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


def link_editions(
    app: Sphinx, pagename: str, templatename: str, context: dict[str, Any], doctree: Any
) -> None:
    """Link the page to its other edition, describe it, say whether it may be indexed."""
    site = site_url()
    language = app.config.language
    tags = [f'<meta property="og:locale" content="{LOCALES[language]}">']
    tags += [
        f'<meta property="og:locale:alternate" content="{LOCALES[other]}">'
        for other in EDITIONS
        if other != language
    ]
    if 'name="description"' not in context.get("metatags", ""):
        text = DESCRIPTION[language].format(
            title=Markup(context.get("title", "")).striptags(), book=app.config.html_title
        )
        tags.append(f'<meta name="description" content="{html.escape(text, quote=True)}">')
    if pagename in ("search", app.config.notfound_pagename):
        tags.append('<meta name="robots" content="noindex">')
    else:
        page = f"{pagename}{app.builder.out_suffix}"
        tags += [
            f'<link rel="alternate" hreflang="{edition}" href="{site}{edition}/{page}">'
            for edition in EDITIONS
        ]
        tags.append(f'<link rel="alternate" hreflang="x-default" href="{site}ko/{page}">')
    context["metatags"] = context.get("metatags", "") + "\n" + "\n".join(tags)


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
    app.connect("config-inited", configure)
    app.connect("source-read", fill_addresses)
    app.add_role("repository", repository_role)
    app.connect("doctree-resolved", size_images)
    app.connect("builder-inited", init_figure_alts)
    app.connect("doctree-read", collect_figure_alts)
    app.connect("env-purge-doc", purge_figure_alts)
    app.connect("env-merge-info", merge_figure_alts)
    app.add_node(imgsgnode, override=True, html=(visit_gallery_image, depart_imgsg_html))
    app.connect("doctree-resolved", absolute_404_links)
    app.add_node(solution_node, override=True, html=(visit_solution, depart_solution))
    app.connect("doctree-resolved", mark_english_docstrings)
    app.connect("doctree-resolved", add_colab_link)
    app.connect("html-page-context", label_toggles, priority=900)  # after the theme sets it
    app.connect("html-page-context", defer_scripts)
    app.connect("html-page-context", sharp_chapter_figures)
    app.connect("html-page-context", drop_unused_stylesheets)
    app.connect("html-page-context", link_editions)
    app.add_node(
        nodes.citation, override=True, html=(visit_citation, HTML5Translator.depart_citation)
    )
    app.connect("build-finished", prune)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
