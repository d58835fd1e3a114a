"""The built site in a real browser: every page of both editions, served from a sub-path.

Playwright drives the installed Chrome or Edge, or the system's Chromium (or the browser that
``$MYOPTIM_CHROMIUM`` names) through the site served over http under /myoptim/, as GitHub
Pages serves a project, and opened from file://. Each page is loaded once per edition and
checked for what a reader would notice: errors, missing files, requests leaving the site, raw
TeX, broken images, hidden algorithm boxes, a language switcher that goes elsewhere.
Screenshots are saved in ``$MYOPTIM_ARTIFACTS`` (default ``artifacts/``).
"""

from __future__ import annotations

import functools
import math
import os
import re
import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import SimpleHTTPRequestHandler
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit

import pytest
from addresses import repository, site_url
from axe_playwright_python.sync_playwright import Axe
from bs4 import BeautifulSoup
from conftest import ROOT, Quiet, serving
from playwright import sync_api as pw
from site_links import pages as all_pages

pytestmark = pytest.mark.browser
EDITIONS = ("ko", "en")
OTHER = {"ko": "en", "en": "ko"}
CHANNELS = ("chrome", "msedge")  # Playwright's names for installed Chrome and Edge
BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
SUB_PATH = urlsplit(site_url()).path  # where GitHub Pages serves the project's site
ALGORITHM_BOXES = sum(
    page.read_text(encoding="utf-8").count("```{prf:algorithm}")
    for page in (ROOT / "docs" / "chapter").glob("*.md")
)
CAPTION = {"ko": "알고리즘", "en": "Algorithm"}
DEVICES: dict[str, dict[str, Any]] = {  # as Playwright's browser contexts take them
    "phone": {
        "viewport": {"width": 375, "height": 812},
        "device_scale_factor": 2,
        "is_mobile": True,
        "has_touch": True,
    },
    "desktop": {"viewport": {"width": 1280, "height": 800}},
}
# A query in each edition's language and the page it must find first (after glossary terms).
SEARCHES = {
    "ko": ("편향 보정", "chapter/adam.html"),
    "en": ("bias correction", "chapter/adam.html"),
}


@pytest.fixture(scope="session")
def artifacts() -> Path:
    """Where screenshots go: $MYOPTIM_ARTIFACTS, or artifacts/ in the repository."""
    folder = Path(os.environ.get("MYOPTIM_ARTIFACTS", ROOT / "artifacts"))
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture(scope="session")
def base_url(site: Path) -> Iterator[str]:
    """The site served over http on localhost under its sub-path, nothing else; a missing
    address answers with the site's 404.html, as GitHub Pages does."""

    # No log line per request: the browser reports failed requests, with the page that made them.
    class Site(Quiet, SimpleHTTPRequestHandler):
        def translate_path(self, path: str) -> str:
            # The site under SUB_PATH; nothing elsewhere. (A symbolic link would need
            # privileges on Windows.)
            if path.split("?")[0] == SUB_PATH.rstrip("/"):
                return str(site)  # a folder: answered with a redirect to SUB_PATH
            if not path.startswith(SUB_PATH):
                return str(site / "no such page")
            return super().translate_path("/" + path.removeprefix(SUB_PATH))

        def send_error(self, code: int, message: str | None = None, explain: str | None = None):
            page = site / "404.html"
            if code != 404 or not self.path.startswith(SUB_PATH):
                return super().send_error(code, message, explain)
            body = page.read_bytes()
            self.send_response(404)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            return None

    with serving(functools.partial(Site, directory=site)) as address:
        yield f"{address}{SUB_PATH}"


@pytest.fixture(scope="session")
def browser() -> Iterator[pw.Browser]:
    """$MYOPTIM_CHROMIUM, else installed Chrome or Edge (found where their installers put
    them, on every platform), else Chromium or Chrome on the PATH."""
    with pw.sync_playwright() as playwright:
        browser = launch(playwright)
        yield browser
        browser.close()


def launch(playwright: pw.Playwright) -> pw.Browser:
    options: dict[str, Any] = {"args": ["--no-sandbox"]}
    if executable := os.environ.get("MYOPTIM_CHROMIUM"):
        return playwright.chromium.launch(executable_path=executable, **options)
    for channel in CHANNELS:
        try:
            return playwright.chromium.launch(channel=channel, **options)
        except pw.Error:  # not installed
            continue
    if found := next(filter(None, map(shutil.which, BROWSERS)), None):
        return playwright.chromium.launch(executable_path=found, **options)
    pytest.fail(
        "The browser tests need Chrome, Edge or Chromium: install Chrome, or on Debian "
        "`apt-get install chromium`, or set MYOPTIM_CHROMIUM to a Chrome or Chromium "
        "executable. To run the other tests without them: pytest -m 'not browser'."
    )


class Watcher:
    """Records what goes wrong in a browser tab, and blocks requests that leave the site."""

    def __init__(self, page: pw.Page, site: str) -> None:
        self.problems: list[str] = []
        self.site = site
        page.on("console", self.console)
        page.on("pageerror", lambda error: self.problems.append(f"uncaught: {error}"))
        page.on("requestfailed", self.failed)
        page.on("response", self.response)
        page.route("**/*", self.route)

    def console(self, message: pw.ConsoleMessage) -> None:
        if message.type in ("error", "warning"):
            self.problems.append(f"console {message.type}: {message.text}")

    def failed(self, request: pw.Request) -> None:
        # Off-site requests are reported by route(); the browser aborts what a page was still
        # fetching (its icon, say) when a click leaves it.
        if request.url.startswith(self.site) and request.failure != "net::ERR_ABORTED":
            self.problems.append(f"failed: {request.url} ({request.failure})")

    def response(self, response: pw.Response) -> None:
        if response.status >= 400:
            self.problems.append(f"HTTP {response.status}: {response.url}")

    def route(self, route: pw.Route) -> None:
        if route.request.url.startswith((self.site, "data:", "blob:")):
            route.continue_()
        else:
            self.problems.append(f"off-site request: {route.request.url}")
            route.abort()

    def take(self) -> list[str]:
        problems, self.problems = self.problems, []
        return problems


@dataclass
class Visit:
    """What one page showed once loaded."""

    problems: list[str]  # console errors and warnings, failed and off-site requests
    math: int  # math elements
    unrendered: list[str]  # math left as TeX, or typeset as an error
    images: int
    broken_images: list[str]
    boxes: list[dict[str, str | bool]]  # algorithm boxes: caption, visible
    switcher: str = field(default="")  # the address the language switcher led to
    violations: list[str] = field(default_factory=list)  # axe-core's, one per element


# Run in the page once it has loaded: wait for MathJax, fonts and every image, then report.
INSPECT = """async () => {
  if (window.MathJax?.startup?.promise) await MathJax.startup.promise;
  const images = [...document.images];
  await Promise.all(images.map((img) => {
    img.loading = "eager";  // images below the fold count too
    return img.decode().catch(() => null);
  }));
  await document.fonts.ready;
  const math = [...document.querySelectorAll("span.math, div.math")];
  return {
    math: math.length,
    unrendered: math
      .filter((m) => !m.querySelector("mjx-container") || m.querySelector("mjx-merror"))
      .map((m) => m.textContent.slice(0, 60)),
    images: images.length,
    broken_images: images.filter((img) => !img.complete || img.naturalWidth === 0)
      .map((img) => img.getAttribute("src")),
    boxes: [...document.querySelectorAll("div.proof.algorithm")].map((box) => {
      const r = box.getBoundingClientRect(), style = getComputedStyle(box);
      return {
        caption: box.querySelector(".admonition-title")?.textContent.trim() ?? "",
        visible: r.width > 0 && r.height > 0 && style.visibility === "visible"
          && Number(style.opacity) > 0,
      };
    }),
  };
}"""


def inspect(page: pw.Page, watcher: Watcher) -> Visit:
    return Visit(**page.evaluate(INSPECT), problems=watcher.take())


AXE = Axe()
AXE_RULES = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]


def accessibility(page: pw.Page) -> list[str]:
    """What axe-core finds against WCAG 2.1 A and AA and its best practices, per element.

    The book lets the browser skip laying out sections far off screen (content-visibility);
    axe measures colours at positions that would move as it scrolls them in, so it checks the
    page laid out whole.
    """
    page.add_style_tag(content="section { content-visibility: visible !important; }")
    options = {"runOnly": {"type": "tag", "values": AXE_RULES}, "resultTypes": ["violations"]}
    results = AXE.run(page, options=options).response
    return [
        f"{violation['id']}: {node['target']} {node.get('failureSummary', '')[:200]}"
        for violation in results["violations"]
        for node in violation["nodes"]
    ]


def follow_switcher(page: pw.Page) -> str:
    """Click the page's language switcher; the address it led to."""
    switcher = page.locator("a.language-switcher")
    if switcher.count() != 1:
        return f"{switcher.count()} language switchers"
    with page.expect_navigation(wait_until="load"):
        switcher.click()
    return page.url


def page_names(edition: Path) -> list[str]:
    return [p.relative_to(edition).as_posix() for p in all_pages(edition)]


@pytest.fixture(scope="session")
def visits(site: Path, base_url: str, browser: pw.Browser) -> dict[str, dict[str, Visit]]:
    """Every page of both editions, as a reader who switches language on each one.

    Each Korean page is opened by its address; its switcher then leads to the English page,
    inspected in turn, whose switcher leads back.
    """
    page = browser.new_page(viewport=DEVICES["desktop"]["viewport"])
    watcher = Watcher(page, base_url)
    visits: dict[str, dict[str, Visit]] = {"ko": {}, "en": {}}
    for name in page_names(site / "ko"):
        page.goto(urljoin(base_url, f"ko/{name}"), wait_until="load")
        for edition in EDITIONS:
            visits[edition][name] = inspect(page, watcher)
            visits[edition][name].violations = accessibility(page)
            visits[edition][name].switcher = follow_switcher(page)
        # Back on the Korean page: let it finish loading (fonts, math) before leaving it.
        visits["ko"][name].problems += inspect(page, watcher).problems
    page.close()
    return visits


def report(visits: dict[str, dict[str, Visit]], what: str) -> list[str]:
    return [
        f"{edition}/{name}: {item}"
        for edition, pages in visits.items()
        for name, visit in pages.items()
        for item in getattr(visit, what)
    ]


def test_every_page_of_both_editions_is_visited(
    site: Path, visits: dict[str, dict[str, Visit]]
) -> None:
    for edition in EDITIONS:
        assert sorted(visits[edition]) == page_names(site / edition)
    assert len(visits["ko"]) > 20  # the chapter, gallery, API, source and index pages


def test_no_console_errors_failed_or_off_site_requests(
    visits: dict[str, dict[str, Visit]],
) -> None:
    assert report(visits, "problems") == []


def test_math_is_typeset_by_mathjax(site: Path, visits: dict[str, dict[str, Visit]]) -> None:
    assert report(visits, "unrendered") == []
    for edition, pages in visits.items():
        for name, visit in pages.items():
            html = BeautifulSoup((site / edition / name).read_text(encoding="utf-8"), "html.parser")
            assert visit.math == len(html.select("span.math, div.math")), f"{edition}/{name}"
    assert visits["ko"]["chapter/adam.html"].math > 50


def test_no_accessibility_violations(visits: dict[str, dict[str, Visit]]) -> None:
    assert report(visits, "violations") == []


def test_every_image_loads(site: Path, visits: dict[str, dict[str, Visit]]) -> None:
    assert report(visits, "broken_images") == []
    figures = visits["en"]["auto_examples/plot_fashion_mnist.html"].images
    assert figures >= 1, "the Fashion-MNIST comparison shows no figure"


@pytest.mark.parametrize("edition", EDITIONS)
def test_algorithm_boxes_are_visible_and_numbered(
    edition: str, visits: dict[str, dict[str, Visit]]
) -> None:
    boxes = [box for visit in visits[edition].values() for box in visit.boxes]
    assert [box for box in boxes if not box["visible"]] == []
    captions = [re.match(rf"{CAPTION[edition]} (\d+)", str(box["caption"])) for box in boxes]
    assert sorted(int(c[1]) for c in captions if c) == list(range(1, ALGORITHM_BOXES + 1))


def test_language_switcher_lands_on_the_counterpart_page(
    base_url: str, visits: dict[str, dict[str, Visit]]
) -> None:
    wrong = [
        f"{edition}/{name} → {visit.switcher}"
        for edition, pages in visits.items()
        for name, visit in pages.items()
        if visit.switcher != urljoin(base_url, f"{OTHER[edition]}/{name}")
    ]
    assert wrong == []


def test_site_root_sends_readers_to_the_korean_edition(base_url: str, browser: pw.Browser) -> None:
    page = browser.new_page()
    watcher = Watcher(page, base_url)
    page.goto(base_url)
    page.wait_for_url(urljoin(base_url, "ko/index.html"))
    assert watcher.take() == []
    page.close()


def search(page: pw.Page, query: str) -> list[str]:
    """Search the way a reader does (Ctrl+K, type, Enter); the pages found, best first."""
    page.keyboard.press("Control+k")
    box = page.locator("dialog input[type=search], .search-button__wrapper input[type=search]")
    box.first.fill(query)
    with page.expect_navigation(wait_until="load"):
        box.first.press("Enter")
    page.wait_for_selector("#search-results .search-summary:not(:empty)")
    pages = page.locator("#search-results li:is(.kind-title, .kind-text) > a")
    return [a.get_attribute("href") or "" for a in pages.all()]


@pytest.mark.parametrize("scheme", ["http", "file"])
@pytest.mark.parametrize("edition", EDITIONS)
def test_search_finds_the_expected_page(
    edition: str, scheme: str, site: Path, base_url: str, browser: pw.Browser
) -> None:
    root = base_url if scheme == "http" else site.as_uri() + "/"
    page = browser.new_page()
    watcher = Watcher(page, root)
    page.goto(urljoin(root, f"{edition}/index.html"), wait_until="load")
    query, expected = SEARCHES[edition]
    results = search(page, query)
    assert results, f"no results for {query!r}"
    assert urljoin(page.url, results[0]).split("#")[0] == urljoin(root, f"{edition}/{expected}")
    assert watcher.take() == []
    page.close()


def test_pages_work_from_file(site: Path, browser: pw.Browser) -> None:
    """Opened from disk: math, images and the switcher work, and nothing is fetched."""
    page = browser.new_page()
    watcher = Watcher(page, site.as_uri() + "/")
    for name in ("chapter/adam.html", "auto_examples/plot_fashion_mnist.html"):
        page.goto((site / "ko" / name).as_uri(), wait_until="load")
        visit = inspect(page, watcher)
        assert (visit.problems, visit.unrendered, visit.broken_images) == ([], [], [])
        assert follow_switcher(page) == (site / "en" / name).as_uri()
    for name in movable_pages(site / "ko"):  # their data is a script, which file:// allows
        page.goto((site / "ko" / name).as_uri(), wait_until="load")
        assert page.locator("figure.movable-on .movable-panels svg").count() >= 1, name
        assert watcher.take() == []
    page.close()


def luminance(css_color: str) -> float:
    red, green, blue = (int(x) / 255 for x in re.findall(r"\d+", css_color)[:3])
    return 0.2126 * red + 0.7152 * green + 0.0722 * blue


@pytest.mark.parametrize("edition", EDITIONS)
def test_dark_mode_renders(
    edition: str, base_url: str, browser: pw.Browser, artifacts: Path
) -> None:
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    watcher = Watcher(page, base_url)
    page.goto(urljoin(base_url, f"{edition}/chapter/adam.html"), wait_until="load")
    page.locator(".theme-switch-button").first.click()
    page.locator(".theme-change-button[data-mode=dark]").first.click()
    page.keyboard.press("Escape")  # close the menu
    assert page.evaluate("document.documentElement.dataset.theme") == "dark"
    page.evaluate(INSPECT)  # wait for math, fonts and images
    colors = page.evaluate(
        """() => ({
          page: getComputedStyle(document.body).backgroundColor,
          text: getComputedStyle(document.querySelector("article p")).color,
          box: getComputedStyle(document.querySelector("div.proof.algorithm")).backgroundColor,
          math: getComputedStyle(document.querySelector("mjx-container")).color,
        })"""
    )
    assert luminance(colors["page"]) < 0.2, colors
    assert min(luminance(colors["text"]), luminance(colors["math"])) > 0.6, colors
    assert luminance(colors["box"]) < 0.3, colors  # transparent (0, 0, 0, 0) shows the page
    page.locator("div.proof.algorithm").first.scroll_into_view_if_needed()
    page.screenshot(path=artifacts / f"dark-adam-{edition}.png")
    page.reload(wait_until="load")  # the choice is remembered
    assert page.evaluate("document.documentElement.dataset.theme") == "dark"
    assert watcher.take() == []
    page.close()


SCREENSHOTS = {  # file name: page, element to capture (None: the first screen)
    "landing-ko.png": ("ko/index.html", None),
    "landing-en.png": ("en/index.html", None),
    "fashion-mnist-ko.png": ("ko/chapter/fashion-mnist.html", "figure"),
    "fashion-mnist-en.png": ("en/chapter/fashion-mnist.html", "figure"),
}


@pytest.mark.parametrize("name", SCREENSHOTS)
def test_screenshots(name: str, base_url: str, browser: pw.Browser, artifacts: Path) -> None:
    address, element = SCREENSHOTS[name]
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.goto(urljoin(base_url, address), wait_until="load")
    page.evaluate(INSPECT)  # wait for math, fonts and images
    target = page.locator(element).first if element else page
    target.screenshot(path=artifacts / name)
    assert (artifacts / name).stat().st_size > 10_000  # not a blank frame
    page.close()


@dataclass
class PhoneVisit:
    problems: list[str]
    width: int  # of the page, in CSS pixels
    violations: list[str]


@pytest.fixture(scope="session")
def phone_visits(
    site: Path, base_url: str, browser: pw.Browser
) -> dict[str, dict[str, PhoneVisit]]:
    """Every page of both editions on a phone's screen, 375 CSS pixels wide."""
    context = browser.new_context(**DEVICES["phone"])
    page = context.new_page()
    watcher = Watcher(page, base_url)
    visits: dict[str, dict[str, PhoneVisit]] = {edition: {} for edition in EDITIONS}
    for edition in EDITIONS:
        for name in page_names(site / edition):
            page.goto(urljoin(base_url, f"{edition}/{name}"), wait_until="load")
            page.evaluate(INSPECT)  # every image and formula in place, at its size
            width = page.evaluate("document.documentElement.scrollWidth")
            visits[edition][name] = PhoneVisit(watcher.take(), width, accessibility(page))
    context.close()
    return visits


def test_no_page_is_wider_than_a_phone(phone_visits: dict[str, dict[str, PhoneVisit]]) -> None:
    """Wider, and the browser zooms the whole page out until it fits: the text gets tiny."""
    wide = [
        f"{edition}/{name}: {visit.width} px"
        for edition, pages in phone_visits.items()
        for name, visit in pages.items()
        if visit.width > DEVICES["phone"]["viewport"]["width"]
    ]
    assert wide == []


def test_no_accessibility_violations_on_a_phone(
    phone_visits: dict[str, dict[str, PhoneVisit]],
) -> None:
    assert report(phone_visits, "violations") == []  # type: ignore[arg-type]
    assert report(phone_visits, "problems") == []  # type: ignore[arg-type]


def press(element: pw.Locator, device: str) -> None:
    """A tap on a phone, a click elsewhere (both fail on a covered or hidden element)."""
    if device == "phone":
        element.tap()
    else:
        element.click()


def dialog_open(page: pw.Page, dialog: str) -> bool:
    return bool(page.evaluate(f"document.getElementById({dialog!r})?.open"))


def tooltips(page: pw.Page) -> list[str]:
    return [t.inner_text() for t in page.locator(".tooltip").all() if t.is_visible()]


GLOSSARY = {"ko": "용어집", "en": "Glossary"}
HEADER_PAGES = ["chapter/adam.html", "auto_examples/plot_fashion_mnist.html"]


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("edition", EDITIONS)
@pytest.mark.parametrize("name", HEADER_PAGES)
def test_header_buttons_do_what_they_say(
    name: str, edition: str, device: str, site: Path, base_url: str, browser: pw.Browser
) -> None:
    context = browser.new_context(**DEVICES[device])
    page = context.new_page()
    watcher = Watcher(page, base_url)
    address = urljoin(base_url, f"{edition}/{name}")
    page.goto(address, wait_until="load")
    header = page.locator(".bd-header-article")

    # The chapter menu: a dialog on a phone, whose links can be tapped; the sidebar on a desktop,
    # which the button folds away and back.
    menu = header.locator(".primary-toggle")
    chapters = page.locator("nav.bd-docs-nav li.toctree-l1 > a.reference")
    press(menu, device)
    if device == "phone":
        assert dialog_open(page, "pst-primary-sidebar-modal")
        assert chapters.count() > 5
        assert all(link.is_visible() for link in chapters.all())
        page.keyboard.press("Escape")
        assert not dialog_open(page, "pst-primary-sidebar-modal")
        press(menu, device)
        with page.expect_navigation(wait_until="load"):
            press(chapters.filter(has_text=GLOSSARY[edition]).first, device)
        assert page.url == urljoin(base_url, f"{edition}/glossary.html")
        page.goto(address, wait_until="load")
    else:
        expect = pw.expect(chapters.first)
        expect.to_be_hidden()
        assert tooltips(page) == []
        press(menu, device)
        expect.to_be_visible()
    assert tooltips(page) == []

    # The page's contents: a dialog on a phone; always beside the text on a desktop.
    contents = header.locator(".secondary-toggle")
    entries = page.locator("#pst-page-toc-nav a.nav-link")
    if device == "phone":
        press(contents, device)
        assert dialog_open(page, "pst-secondary-sidebar-modal")
        assert entries.count() > 1
        assert entries.first.is_visible()
        page.touchscreen.tap(10, 400)  # the backdrop, left of the panel
        assert not dialog_open(page, "pst-secondary-sidebar-modal")
    else:
        assert not contents.is_visible()
        assert entries.first.is_visible()

    # Search: the header's button on a phone, the sidebar's field on a desktop.
    search = page.locator(
        ".bd-header-article .search-button" if device == "phone" else ".search-button-field"
    )
    press(search, device)
    assert dialog_open(page, "pst-search-dialog")
    assert page.evaluate("document.activeElement.name") == "q"
    page.keyboard.press("Escape")
    assert not dialog_open(page, "pst-search-dialog")

    # Colour mode, download, repository.
    press(header.locator(".theme-switch-button"), device)
    press(header.locator(".theme-change-button[data-mode=dark]"), device)
    assert page.evaluate("document.documentElement.dataset.theme") == "dark"
    press(header.locator(".dropdown-download-buttons > button"), device)
    source = header.locator(".btn-download-source-button")
    pw.expect(source).to_be_visible()
    assert (site / edition / urljoin(name, source.get_attribute("href") or "")).is_file()
    page.keyboard.press("Escape")
    link = header.locator(".btn-source-repository-button")
    pw.expect(link).to_be_visible()
    assert link.get_attribute("href") == repository()
    assert tooltips(page) == []

    # The other edition, last: it leaves the page.
    with page.expect_navigation(wait_until="load"):
        press(header.locator("a.language-switcher"), device)
    assert page.url == urljoin(base_url, f"{OTHER[edition]}/{name}")
    assert watcher.take() == []
    context.close()


@pytest.mark.parametrize("edition", EDITIONS)
def test_missing_pages_get_the_404_page_with_working_links(
    edition: str, base_url: str, browser: pw.Browser
) -> None:
    """GitHub Pages answers any missing address under the site with its 404.html."""
    page = browser.new_page(viewport=DEVICES["desktop"]["viewport"])
    watcher = Watcher(page, base_url)
    missing = urljoin(base_url, f"{edition}/chapter/no/such/page.html")
    response = page.goto(missing, wait_until="load")
    assert response is not None
    assert response.status == 404
    assert watcher.take() == [  # the page's own status; no stylesheet, script or image failed
        f"HTTP 404: {missing}",
        "console error: Failed to load resource: the server responded with a status of 404 "
        "(Not Found)",
    ]
    page.evaluate(INSPECT)
    assert page.evaluate("getComputedStyle(document.body).fontFamily") != "Times New Roman"
    assert page.locator(".bd-sidebar-primary").is_visible()  # styled as the book
    with page.expect_navigation(wait_until="load"):
        page.locator("article a.reference").first.click()  # "the first page"
    assert page.url == urljoin(base_url, "ko/index.html")
    assert watcher.take() == []
    page.close()


@pytest.mark.parametrize("theme", ["light", "dark"])
def test_printing_gives_dark_text_on_white_and_whole_code_lines(
    theme: str, base_url: str, browser: pw.Browser, artifacts: Path
) -> None:
    page = browser.new_page(viewport=DEVICES["desktop"]["viewport"])
    page.goto(urljoin(base_url, "ko/chapter/fast-path.html"), wait_until="load")
    page.evaluate(
        f"localStorage.setItem('mode', '{theme}'); localStorage.setItem('theme', '{theme}')"
    )
    page.reload(wait_until="load")
    assert page.evaluate("document.documentElement.dataset.theme") == theme
    page.emulate_media(media="print")
    page.evaluate(INSPECT)
    colors = page.evaluate(
        """() => ({
          page: getComputedStyle(document.body).backgroundColor,
          text: getComputedStyle(document.querySelector("article p")).color,
          code: getComputedStyle(document.querySelector("article pre")).color,
        })"""
    )
    assert luminance(colors["page"]) > 0.9, colors
    assert max(luminance(colors["text"]), luminance(colors["code"])) < 0.3, colors
    widths = page.evaluate(
        """() => [...document.querySelectorAll("article pre")].map((pre) => ({
          text: pre.textContent.slice(0, 60), width: pre.clientWidth, content: pre.scrollWidth,
        }))"""
    )
    assert len(widths) > 5
    assert [w["text"] for w in widths if w["width"] == 0] == []  # every one laid out on paper
    assert [w["text"] for w in widths if w["content"] > w["width"] + 1] == []
    pdf = page.pdf(format="A4")
    (artifacts / f"fast-path-{theme}.pdf").write_bytes(pdf)
    assert pdf.startswith(b"%PDF")
    page.close()


def test_copy_buttons_copy_the_code_without_prompts(base_url: str, browser: pw.Browser) -> None:
    context = browser.new_context(**DEVICES["desktop"])
    context.grant_permissions(["clipboard-read", "clipboard-write"])
    page = context.new_page()
    page.goto(urljoin(base_url, "ko/install.html"), wait_until="load")
    block = page.locator("div.highlight-bash pre").first
    block.hover()
    button = page.locator("div.highlight-bash button.copybtn").first
    assert button.get_attribute("data-tooltip") == "복사"
    button.click()
    copied = page.evaluate("navigator.clipboard.readText()")
    venv = "python3 -m venv .venv\nsource .venv/bin/activate\n"
    assert copied == f'{venv}pip install "git+{repository()}"'  # the block as written, whole
    assert not page.locator(".cell_output button.copybtn").count()  # outputs are not for copying
    context.close()


def movable_pages(edition: Path) -> list[str]:
    """The pages with a figure the reader can move (docs/_ext/movable.py)."""
    return [
        name
        for name in page_names(edition)
        if 'class="movable-words"' in (edition / name).read_text(encoding="utf-8")
    ]


def affine(data: list[float], drawn: list[float]) -> float:
    """How far (in drawn units) `drawn` is from the line through the points (data, drawn) of
    the first value and of the last that differs from it: 0 when `drawn` is an affine image of
    `data`, as a drawing of the numbers is."""
    assert len(data) == len(drawn)
    pairs = list(zip(data, drawn, strict=True))
    (a, u), (b, v) = pairs[0], next((p for p in reversed(pairs) if p[0] != data[0]), pairs[0])
    if a == b:  # one distinct value: every drawn one must be the same
        return max(abs(w - u) for w in drawn)
    return max(abs(u + (d - a) * (v - u) / (b - a) - w) for d, w in pairs)


def setting(widget: pw.Locator) -> list[int]:
    """The setting the controls show: an index per control, as the reader set them."""
    return widget.evaluate(
        """(widget) => [...widget.querySelectorAll(".movable-control")].map((control) =>
             control.matches("fieldset")
               ? Number(control.querySelector("input:checked").value)
               : Number(control.querySelector("input").value))"""
    )


def check_drawing(widget: pw.Locator, data: dict[str, Any], words: dict[str, str]) -> str:
    """The figure draws and says the build's numbers for the setting its controls show; the
    sentence it says."""
    index = 0
    for control, chosen in zip(data["controls"], setting(widget), strict=True):
        index = index * len(control["values"]) + chosen
    frame = data["common"] | data["frames"][index]
    drawn = widget.evaluate(
        """(widget) => {
             const numbers = (line) => (line?.getAttribute("points") || "").trim()
               .split(/[\\s,]+/).filter(Boolean).map(Number);
             return {
               path: numbers(widget.querySelector(".movable-path .movable-line")),
               curve: numbers(widget.querySelector(".movable-curve .movable-line")),
               status: widget.querySelector(".movable-status").textContent,
             };
           }"""
    )
    if "path" in frame:  # the path's points, one scale for x and y, y pointing up
        xs, ys = frame["path"][0::2], frame["path"][1::2]
        assert len(drawn["path"]) == len(frame["path"])
        assert affine(xs + [-y for y in ys], drawn["path"][0::2] + drawn["path"][1::2]) < 0.05
    low, high = frame["ylim"]
    kept = [
        (x, min(max(v, low), high))
        for x, v in zip(frame["x"], frame["curve"], strict=False)
        if v is not None
    ]
    steps = [math.log10(x) if frame.get("xlog") else x for x, _ in kept]
    assert len(drawn["curve"]) == 2 * len(kept)
    assert affine(steps, drawn["curve"][0::2]) < 0.05
    assert affine([-v for _, v in kept], drawn["curve"][1::2]) < 0.05
    texts = frame["text"] | {
        c["name"]: c["text"][i] for c, i in zip(data["controls"], setting(widget), strict=True)
    }
    expected = re.sub(r"\{(\w+)\}", lambda m: texts[m[1]], words[frame["say"]])
    assert drawn["status"] == expected
    return expected


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("edition", EDITIONS)
def test_movable_figures_follow_keyboard_and_pointer(
    edition: str, device: str, site: Path, base_url: str, browser: pw.Browser, artifacts: Path
) -> None:
    """Every control, moved by keyboard and by pointer (a tap on a phone), redraws the
    build's numbers for the setting shown, and the sentence a screen reader hears follows."""
    context = browser.new_context(**DEVICES[device])
    page = context.new_page()
    watcher = Watcher(page, base_url)
    names = movable_pages(site / edition)
    figures = 0
    for name in names:
        page.goto(urljoin(base_url, f"{edition}/{name}"), wait_until="load")
        for widget in page.locator("figure.movable-on .movable").all():
            figures += 1
            key = page.evaluate(
                "(w) => document.querySelector(`.movable-words[data-figure='${w}']`)"
                ".dataset.movable",
                widget.evaluate("(w) => w.closest('figure').id"),
            )
            data = page.evaluate("(key) => window.MOVABLE[key]", key)
            words = page.evaluate(
                """(key) => Object.fromEntries([...document.querySelectorAll(
                     `.movable-words[data-movable='${key}'] dt`)].map((dt) =>
                       [dt.textContent.trim(), dt.nextElementSibling.textContent.trim()]))""",
                key,
            )
            assert setting(widget) == data["start"]
            said = {check_drawing(widget, data, words)}
            status = widget.locator(".movable-status")
            assert status.get_attribute("aria-live") == "polite"
            for k, control in enumerate(data["controls"]):
                if control.get("choice"):
                    radios = widget.locator(".movable-control").nth(k).locator("input")
                    radios.nth(data["start"][k]).focus()
                    page.keyboard.press("ArrowRight")  # the next choice, as a radio group does
                    assert setting(widget)[k] == (data["start"][k] + 1) % len(control["values"])
                    said.add(check_drawing(widget, data, words))
                    press(widget.locator(".movable-control").nth(k).locator("label").last, device)
                    assert setting(widget)[k] == len(control["values"]) - 1
                else:
                    slider = widget.locator(".movable-control").nth(k).locator("input")
                    label = widget.locator(f"label[for='{slider.get_attribute('id')}']")
                    assert label.is_visible()
                    assert control["text"][setting(widget)[k]] in (label.text_content() or "")
                    slider.focus()
                    page.keyboard.press("End")
                    assert setting(widget)[k] == len(control["values"]) - 1
                    said.add(check_drawing(widget, data, words))
                    assert slider.get_attribute("aria-valuetext") == control["text"][-1]
                    page.keyboard.press("ArrowLeft")
                    said.add(check_drawing(widget, data, words))
                    box = slider.bounding_box()
                    assert box is not None
                    assert box["height"] >= 24  # a finger's target
                    spot = (box["x"] + box["width"] * 0.1, box["y"] + box["height"] / 2)
                    if device == "phone":
                        page.touchscreen.tap(*spot)
                    else:
                        page.mouse.click(*spot)
                    assert setting(widget)[k] < len(control["values"]) // 2
                said.add(check_drawing(widget, data, words))
            assert len(said) >= 2 * len(data["controls"])  # the sentence followed every move
            widget.screenshot(path=artifacts / f"movable-{key}-{edition}-{device}.png")
    assert figures >= 3
    assert watcher.take() == []
    context.close()


@pytest.mark.parametrize("edition", EDITIONS)
def test_movable_figures_leave_the_static_figure_without_javascript_and_in_print(
    edition: str, site: Path, base_url: str, browser: pw.Browser
) -> None:
    names = movable_pages(site / edition)
    assert names
    quiet = browser.new_context(java_script_enabled=False, **DEVICES["desktop"])
    page = quiet.new_page()
    for name in names:
        page.goto(urljoin(base_url, f"{edition}/{name}"), wait_until="load")
        for figure_id in page.eval_on_selector_all(
            ".movable-words", "(all) => all.map((w) => w.dataset.figure)"
        ):
            image = page.locator(f"figure#{figure_id} img")
            assert image.is_visible(), f"{name}: {figure_id}"
        assert page.locator(".movable").count() == 0
        assert not page.locator(".movable-words").first.is_visible()  # the words stay hidden
    quiet.close()
    page = browser.new_page(viewport=DEVICES["desktop"]["viewport"])
    for name in names:
        page.goto(urljoin(base_url, f"{edition}/{name}"), wait_until="load")
        on = page.locator("figure.movable-on")
        assert on.count() >= 1
        assert not on.first.locator("img").is_visible()  # on screen, the drawing stands in
        page.emulate_media(media="print")
        assert on.first.locator("img").is_visible()
        assert not on.first.locator(".movable").is_visible()
        page.emulate_media(media="screen")
    page.close()
