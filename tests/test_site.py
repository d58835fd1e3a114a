"""The built site as a host and search engines see it: favicon, 404 page, sitemap, canonical
and hreflang links, descriptions and link previews, and its weight."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from addresses import repository, site_url
from bs4 import BeautifulSoup, Comment
from conftest import ROOT
from site_links import on_site
from site_links import pages as all_pages

EDITIONS = ("ko", "en")
NOT_INDEXED = ("search.html", "404.html")  # pages a search engine should not list
SITEMAP = "{http://www.sitemaps.org/schemas/sitemap/0.9}"
XHTML = "{http://www.w3.org/1999/xhtml}"


def soup(page: Path) -> BeautifulSoup:
    return BeautifulSoup(page.read_text(encoding="utf-8"), "html.parser")


def edition_pages(site: Path) -> list[tuple[str, Path]]:
    return [(edition, page) for edition in EDITIONS for page in all_pages(site / edition)]


def resolves(site: Path, page: Path, address: str) -> bool:
    target = on_site(page, site, address)
    return target is not None and target.is_file()


def test_every_page_has_a_favicon(site: Path) -> None:
    for _, page in edition_pages(site):
        (icon,) = soup(page).select('link[rel="icon"]')
        assert resolves(site, page, icon["href"]), page


def test_canonical_and_hreflang_links_pair_the_editions(site: Path) -> None:
    base = site_url()
    for edition, page in edition_pages(site):
        name = page.relative_to(site / edition).as_posix()
        html = soup(page)
        (canonical,) = html.select('link[rel="canonical"]')
        assert canonical["href"] == f"{base}{edition}/{name}", page
        if page.name in NOT_INDEXED:
            assert html.select_one('meta[name="robots"]')["content"] == "noindex"
            continue
        alternates = {a["hreflang"]: a["href"] for a in html.select('link[rel="alternate"]')}
        assert alternates == {
            "ko": f"{base}ko/{name}",
            "en": f"{base}en/{name}",
            "x-default": f"{base}ko/{name}",
        }, page
        assert all(resolves(site, page, href) for href in alternates.values()), page


def test_every_page_has_a_description_and_a_link_preview(site: Path) -> None:
    """Described all; previewed (OpenGraph), those written as text rather than generated."""
    base = site_url()
    for edition, page in edition_pages(site):
        if page.name in NOT_INDEXED:
            continue
        meta = {
            m.get("name") or m.get("property"): m["content"]
            for m in soup(page).select("meta[content]")
        }
        assert 20 <= len(meta["description"]) <= 300, page
        if "_modules" in page.parts or page.name in ("genindex.html", "py-modindex.html"):
            continue
        assert meta["og:description"] == meta["description"]
        assert meta["og:title"]
        assert meta["og:site_name"] == "myoptim"
        assert meta["og:url"] == f"{base}{page.relative_to(site).as_posix()}"
        assert meta["og:locale"] == {"ko": "ko_KR", "en": "en_US"}[edition]
        assert resolves(site, page, meta["og:image"]), page
        assert meta["twitter:card"] == "summary_large_image"


def test_sitemap_lists_every_page_with_its_other_edition(site: Path) -> None:
    base = site_url()
    urls = ET.parse(site / "sitemap.xml").getroot().findall(f"{SITEMAP}url")
    listed = {url.find(f"{SITEMAP}loc").text for url in urls}
    expected = {
        f"{base}{page.relative_to(site).as_posix()}"
        for _, page in edition_pages(site)
        if page.name not in NOT_INDEXED
    }
    assert listed == expected
    for url in urls:
        links = {link.get("hreflang"): link.get("href") for link in url.findall(f"{XHTML}link")}
        assert set(links) == set(EDITIONS)
        assert all(resolves(site, site / "index.html", href) for href in links.values())
    robots = (site / "robots.txt").read_text(encoding="utf-8")
    assert f"Sitemap: {base}sitemap.xml" in robots.splitlines()


def test_404_page_links_from_the_hosts_root(site: Path) -> None:
    """Served at whatever address was missing, the page can only use absolute links."""
    page = site / "404.html"
    html = soup(page)
    assert html.html["lang"] == "ko"
    assert "페이지를 찾을 수 없습니다" in html.title.get_text()
    addresses = [e.get("href") or e.get("src") for e in html.select("[href], [src]")]
    relative = [a for a in addresses if a and not re.match(r"(/|#|[a-z]+:)", a)]
    assert relative == []
    assert all(resolves(site, page, a) for a in addresses if a and a.startswith("/"))
    assert (site / "en" / "404.html").is_file()


def test_header_links_to_the_repository(site: Path) -> None:
    for _, page in edition_pages(site):
        (link,) = soup(page).select("a.btn-source-repository-button")
        assert link["href"] == repository(), page


def test_gallery_examples_open_in_colab(site: Path) -> None:
    """Each example links to its own edition's notebook on the branch the workflow publishes,
    and that notebook installs myoptim first."""
    owner, name = repository().removeprefix("https://github.com/").split("/")
    for edition in EDITIONS:
        for page in sorted((site / edition / "auto_examples").glob("plot_*.html")):
            html = soup(page)
            (link,) = html.select("p.colab-link a")
            assert link["href"] == (
                f"https://colab.research.google.com/github/{owner}/{name}/blob/notebooks/"
                f"{edition}/{page.stem}.ipynb"
            )
            (notebook,) = [
                a["href"] for a in html.select("a.download") if a["href"].endswith(".ipynb")
            ]
            cells = json.loads((page.parent / notebook).read_text(encoding="utf-8"))["cells"]
            assert f"git+{repository()}" in "".join(cells[0]["source"]), page


def test_korean_interface(book: Path) -> None:
    """The Korean edition's buttons, menus and labels are Korean; its English docstrings say so."""
    english_only = re.compile(r"^[^\uac00-\ud7a3]*[A-Za-z]{3}[^\uac00-\ud7a3]*$")
    allowed = {"English", "Read this page in English", "myoptim", "Ctrl", ".pdf", ".md", ".rst"}
    for page in all_pages(book):
        html = soup(page)
        # The chapter's own words (its text, titles in menus and tables of contents) may be
        # English; the theme's may not.
        for tag in html.select(
            "article, script, style, .onlyprint, .toc-entry, nav.bd-docs-nav a, "
            ".prev-next-title, .navbar-brand, .copyright, .bd-search kbd, a.language-switcher"
        ):
            tag.decompose()
        for link in html.select(".prev-next-area a[title]"):  # the title of the page it leads to
            del link["title"]
        texts = [
            t.strip()
            for t in html.body.find_all(string=True)
            if t.strip() and not isinstance(t, Comment)
        ]
        texts += [
            e[attr]
            for attr in ("aria-label", "title", "placeholder")
            for e in html.body.select(f"[{attr}]")
        ]
        english = sorted({t for t in texts if english_only.match(t)} - allowed)
        assert english == [], page.relative_to(book)
    docstrings = soup(book / "api.html").select("dl.py > dd")
    assert docstrings
    assert all(dd.get("lang") == "en" for dd in docstrings)


@pytest.mark.parametrize("edition", EDITIONS)
def test_every_icon_the_pages_use_is_drawn_by_book_css(site: Path, edition: str) -> None:
    """The theme's icon font and script are not published: book.css must draw every icon."""
    css = (ROOT / "docs" / "_static" / "book.css").read_text(encoding="utf-8")
    drawn = set(re.findall(r"\.(fa-[\w-]+) \{ --icon:", css))
    used = {
        name
        for page in all_pages(site / edition)
        for element in soup(page).select("[class*='fa-']")
        for name in element["class"]
        if name.startswith("fa-") and name not in ("fa-solid", "fa-brands", "fa-lg", "fa-fw")
    }
    assert used
    assert used <= drawn, used - drawn
    static = site / edition / "_static"
    assert not list(static.rglob("*.map"))
    assert not list(static.rglob("fontawesome*"))
    assert not list(static.rglob("*.woff2"))


def test_the_site_is_light(site: Path) -> None:
    """Under 15 MB in all (it was 67 MB: two MathJax copies, source maps, an icon script)."""
    size = sum(f.stat().st_size for f in site.rglob("*") if f.is_file())
    assert size < 15_000_000, f"{size / 1e6:.1f} MB"


def test_every_figure_links_to_its_full_size_image(site: Path) -> None:
    """A phone shows a figure a third of its size: a tap opens it whole. Each has its size, so
    that the text does not move when it arrives."""
    figures = 0
    for _, page in edition_pages(site):
        for img in soup(page).select("article img"):
            if "_static/" in img["src"]:  # the theme's own, such as the index's +/- toggles
                continue
            assert img.get("width"), (page, img["src"])
            assert img.get("height"), (page, img["src"])
            if img.find_parent(class_="sphx-glr-thumbcontainer"):
                continue  # a thumbnail: the example is its link
            figures += 1
            link = img.find_parent("a")
            assert link is not None, (page, img["src"])
            assert link["href"] == img["src"], (page, img["src"])
            assert resolves(site, page, link["href"])
    assert figures >= 20


def scores(script: str) -> dict[str, str]:
    """The numeric fields of a Scorer object literal in ``script``: name -> value as written."""
    body = script[script.index("var Scorer = {") :]
    body = body[: body.index("\n  };") if "\n  };" in body else body.index("\n};")]
    body = re.sub(r"/\*.*?\*/|//[^\n]*", "", body, flags=re.S)
    fields = re.findall(r"(\w+): (\{[^}]*\}|-?\d+)", body)
    return {name: re.sub(r"\s", "", value).replace(",}", "}") for name, value in fields}


def test_the_search_keeps_sphinxs_scores_but_for_ties(site: Path) -> None:
    """docs/_ext/search_scorer.js copies Sphinx's default scores and adds a tie-break: when
    Sphinx changes its defaults, this fails and the copy is brought in step."""
    ours = (ROOT / "docs" / "_ext" / "search_scorer.js").read_text(encoding="utf-8")
    for edition in ("ko", "en"):
        static = site / edition / "_static"
        sphinx = (static / "searchtools.js").read_text(encoding="utf-8")
        assert scores(ours) == scores(sphinx)
        assert "score: (result) =>" in (static / "language_data.js").read_text(encoding="utf-8")
