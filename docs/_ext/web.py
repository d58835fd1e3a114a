"""What a page of the hosted book needs beyond the theme (its patches of upstream HTML are
upstream.py's).

- The site's addresses (addresses.py): canonical links, links between the two editions of each
  page (hreflang), descriptions, the Colab links.
- Every figure has its size (no layout shift), loads lazily, and links to its full-size image,
  which a phone can zoom into.
- In the Korean edition, the API's docstrings are marked as English (``lang="en"``), so that
  screen readers pronounce them as English.
- An "Open in Colab" link on every gallery example, whose notebook's first cell installs myoptim.
- ``{{ repository }}`` in a page's code gives the address (and in prose, ``{repository}`text <>```
  of conf.py's extlinks).
"""

from __future__ import annotations

import html
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from addresses import github_name, repository, site_url
from docutils import nodes
from markupsafe import Markup
from sphinx import addnodes
from sphinx.application import Sphinx
from sphinx.config import Config
from sphinx.util.images import get_image_size

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


def setup(app: Sphinx) -> dict[str, bool]:
    app.connect("config-inited", configure)
    app.connect("source-read", fill_addresses)
    app.connect("doctree-resolved", size_images)
    app.connect("doctree-resolved", mark_english_docstrings)
    app.connect("doctree-resolved", add_colab_link)
    app.connect("html-page-context", link_editions)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
