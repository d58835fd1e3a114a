"""The built site's internal links: every address on every page of both editions that stays on
the site (links, images, scripts, stylesheets) must name a file of the site, and a #fragment an
element of that page. Addresses on the site that are written out whole (canonical and hreflang
links, the 404 page's) count as internal: they must name a file of the site as it is built,
before it is published. External links are Sphinx's linkcheck's (``nox -s linkcheck``)."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from urllib.parse import unquote, urljoin, urlsplit

from addresses import site_url
from bs4 import BeautifulSoup
from build import pages  # docs/build.py: every page of the site

ADDRESSES = (("a", "href"), ("img", "src"), ("script", "src"), ("link", "href"))
OUTSIDE = Path("/nonexistent/outside-the-site")  # names no file


@cache
def parse(page: Path) -> BeautifulSoup:
    return BeautifulSoup(page.read_text(encoding="utf-8"), "html.parser")


def addresses(page: Path) -> list[str]:
    soup = parse(page)
    return [str(e[attr]) for tag, attr in ADDRESSES for e in soup.find_all(tag, {attr: True})]


def on_site(page: Path, site: Path, address: str) -> Path | None:
    """The file of the site that an address on a page names once the site is served at its
    address (addresses.site_url), or None if it leads off the site's host."""
    base = site_url()
    url = urljoin(base + page.relative_to(site).as_posix(), address)
    if url.startswith(base):
        return site / unquote(urlsplit(url).path).removeprefix(urlsplit(base).path)
    if urlsplit(url).netloc == urlsplit(base).netloc:
        return OUTSIDE  # the site's host, but above the site: nothing there is the site's
    return None


def broken_internal_links(site: Path) -> list[str]:
    """Each address on the site that names a missing file or anchor, as 'page: address'."""
    broken = []
    for page in pages(site):
        for address in addresses(page):
            url = urlsplit(address)
            target = on_site(page, site, address)
            if target is None:
                continue
            if not target.is_file():
                broken.append(f"{page.relative_to(site)}: {address} (no such file)")
            elif (
                url.fragment
                and target.suffix == ".html"
                and parse(target).find(id=unquote(url.fragment)) is None
            ):
                broken.append(f"{page.relative_to(site)}: {address} (no such anchor)")
    return broken
