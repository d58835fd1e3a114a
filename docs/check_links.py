"""Check the links of the built site: internal ones always, external ones when online.

    python docs/check_links.py [SITE] [--external {auto,yes,no}]

SITE defaults to docs/_build/html (what ``nox -s docs`` builds). Internal: every address on
every page of both editions that stays on the site (links, images, scripts, stylesheets) must
name a file of the site, and a #fragment an element of that page. Addresses on the site that
are written out whole (canonical and hreflang links, the 404 page's) count as internal: they
must name a file of the site as it is built, before it is published. External: each
distinct http(s) address is requested once; with ``--external auto`` (the default) only when
one of the linked hosts can be reached, so an offline machine checks what it can and says so.
"""

from __future__ import annotations

import argparse
import socket
import sys
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from functools import cache
from pathlib import Path
from urllib.parse import unquote, urljoin, urlsplit

from bs4 import BeautifulSoup

sys.path.insert(0, str(Path(__file__).resolve().parent / "_ext"))
from addresses import site_url

SITE = Path(__file__).resolve().parent / "_build" / "html"  # where build.py puts the site
ADDRESSES = (("a", "href"), ("img", "src"), ("script", "src"), ("link", "href"))
TIMEOUT = 20  # seconds per request
USER_AGENT = "Mozilla/5.0 (compatible; myoptim-linkcheck)"  # some hosts refuse Python's own
REFUSE_HEAD = {"HTTP 403", "HTTP 405", "HTTP 501"}  # from servers that only take GET
OUTSIDE = Path("/nonexistent/outside-the-site")  # names no file


def pages(site: Path) -> list[Path]:
    """Every HTML page of the site (the theme also copies HTML templates into _static/)."""
    return sorted(p for p in site.rglob("*.html") if "_static" not in p.relative_to(site).parts)


@cache
def parse(page: Path) -> BeautifulSoup:
    return BeautifulSoup(page.read_text(encoding="utf-8"), "html.parser")


def addresses(page: Path) -> list[str]:
    soup = parse(page)
    return [str(e[attr]) for tag, attr in ADDRESSES for e in soup.find_all(tag, {attr: True})]


def has_id(page: Path, fragment: str) -> bool:
    return parse(page).find(id=unquote(fragment)) is not None


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
            elif url.fragment and target.suffix == ".html" and not has_id(target, url.fragment):
                broken.append(f"{page.relative_to(site)}: {address} (no such anchor)")
    return broken


def external_links(site: Path) -> dict[str, list[str]]:
    """Each http(s) address off the site, with the pages that use it."""
    links: dict[str, list[str]] = {}
    for page in pages(site):
        for address in addresses(page):
            if (
                urlsplit(address).scheme in ("http", "https")
                and on_site(page, site, address) is None
            ):
                links.setdefault(address.split("#")[0], []).append(str(page.relative_to(site)))
    return links


def reachable(url: str) -> bool:
    """Whether a connection to the address's host can be opened at all."""
    parts = urlsplit(url)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        socket.create_connection((parts.hostname, port), timeout=5).close()
    except OSError:
        return False
    return True


def request(url: str, method: str) -> str | None:
    """None if the address answers; otherwise what went wrong."""
    headers = {"User-Agent": USER_AGENT}
    try:
        urllib.request.urlopen(
            urllib.request.Request(url, method=method, headers=headers), timeout=TIMEOUT
        ).close()
    except urllib.error.HTTPError as error:
        return f"HTTP {error.code}"
    except OSError as error:  # URLError included: no such host, refused, timed out
        return str(getattr(error, "reason", error))
    return None


def check(url: str) -> str | None:
    problem = request(url, "HEAD")
    if problem in REFUSE_HEAD:
        problem = request(url, "GET")
    return problem


def broken_external_links(links: dict[str, list[str]]) -> list[str]:
    with ThreadPoolExecutor(max_workers=8) as pool:
        results = dict(zip(links, pool.map(check, links), strict=True))
    return [
        f"{url}: {problem} (on {', '.join(links[url][:3])})"
        for url, problem in results.items()
        if problem
    ]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("site", nargs="?", type=Path, default=SITE)
    parser.add_argument("--external", choices=("auto", "yes", "no"), default="auto")
    args = parser.parse_args()
    if not (args.site / "ko" / "index.html").is_file():
        sys.exit(f"No built site in {args.site}: build it first with `nox -s docs`.")
    broken = broken_internal_links(args.site)
    print(f"internal: {len(pages(args.site))} pages checked, {len(broken)} broken links")
    links = external_links(args.site)
    hosts = {urlsplit(url).netloc: url for url in links}
    if args.external == "no" or (
        args.external == "auto" and not any(reachable(url) for url in hosts.values())
    ):
        print(f"external: not checked, no network to reach {', '.join(sorted(hosts))}")
    else:
        broken_outside = broken_external_links(links)
        print(f"external: {len(links)} links checked, {len(broken_outside)} broken")
        broken += broken_outside
    for link in broken:
        print(link)
    return 1 if broken else 0


if __name__ == "__main__":
    sys.exit(main())
