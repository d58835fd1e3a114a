"""docs/check_links.py, the link checker of nox -s linkcheck, on small sites made here."""

from __future__ import annotations

import functools
import subprocess
import sys
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from addresses import site_url
from check_links import broken_internal_links, check, external_links, reachable
from conftest import ROOT, Quiet, closed_port, serving


def make_site(root: Path, pages: dict[str, str]) -> Path:
    for name, body in pages.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(f"<html><body>{body}</body></html>", encoding="utf-8")
    return root


def test_internal_links_to_missing_files_and_anchors_are_reported(tmp_path: Path) -> None:
    site = make_site(
        tmp_path,
        {
            "ko/index.html": '<a href="chapter/a.html#one">ok</a> <a href="#top">top</a>'
            '<img src="gone.png"> <a href="chapter/a.html#two">no anchor</a>',
            "ko/chapter/a.html": '<h1 id="one">One</h1><a href="../index.html">up</a>'
            '<a href="https://example.org/">outside</a> <a href="../../en/x.html">other</a>',
        },
    )
    assert sorted(broken_internal_links(site)) == [
        "ko/chapter/a.html: ../../en/x.html (no such file)",
        "ko/index.html: #top (no such anchor)",
        "ko/index.html: chapter/a.html#two (no such anchor)",
        "ko/index.html: gone.png (no such file)",
    ]


class Server(Quiet, BaseHTTPRequestHandler):
    """/ok answers, /get-only refuses HEAD (as some hosts do), anything else is missing."""

    def answer(self, head: bool) -> None:
        if self.path == "/ok" or (self.path == "/get-only" and not head):
            self.send_response(200)
        else:
            self.send_response(405 if self.path == "/get-only" else 404)
        self.send_header("Content-Length", "0")
        self.end_headers()

    do_HEAD = functools.partialmethod(answer, True)
    do_GET = functools.partialmethod(answer, False)


@pytest.fixture
def host() -> Iterator[str]:
    with serving(Server) as address:
        yield address


def test_addresses_written_out_whole_are_checked_as_the_site_serves_them(tmp_path: Path) -> None:
    """Canonical and hreflang links name the published site; the 404 page's links start at the
    host's root. Both must name a file of the site as built."""
    base = site_url()
    root = urlsplit(base).path
    site = make_site(
        tmp_path,
        {
            "ko/index.html": f'<link rel="canonical" href="{base}ko/index.html">'
            f'<link rel="alternate" hreflang="en" href="{base}en/gone.html">',
            "404.html": f'<a href="{root}ko/index.html">home</a> <a href="{root}ko/x.html">x</a>'
            '<a href="/ko/index.html">above the site</a>',
        },
    )
    assert sorted(broken_internal_links(site)) == sorted(
        [
            f"404.html: {root}ko/x.html (no such file)",
            "404.html: /ko/index.html (no such file)",
            f"ko/index.html: {base}en/gone.html (no such file)",
        ]
    )
    assert external_links(site) == {}  # none of them is requested over the network


def test_external_links_are_requested(host: str) -> None:
    assert check(f"{host}/ok") is None
    assert check(f"{host}/get-only") is None
    assert check(f"{host}/missing") == "HTTP 404"
    assert reachable(host)
    assert not reachable(closed_port())
    assert check(closed_port()) is not None


def run_checker(*args: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, str(ROOT / "docs" / "check_links.py"), *args]
    return subprocess.run(command, capture_output=True, text=True, check=False)


def test_checker_reports_broken_external_links_when_online(tmp_path: Path, host: str) -> None:
    site = make_site(
        tmp_path, {"ko/index.html": f'<a href="{host}/ok">a</a> <a href="{host}/missing#x">b</a>'}
    )
    assert list(external_links(site)) == [f"{host}/ok", f"{host}/missing"]
    result = run_checker(str(site))
    assert result.returncode == 1
    assert f"{host}/missing: HTTP 404 (on ko/index.html)" in result.stdout
    assert run_checker(str(site), "--external", "no").returncode == 0


def test_checker_skips_external_links_without_network(tmp_path: Path) -> None:
    offline = closed_port()
    site = make_site(tmp_path, {"ko/index.html": f'<a href="{offline}/x">a</a>'})
    result = run_checker(str(site))
    assert result.returncode == 0
    assert f"external: not checked, no network to reach {offline[7:]}" in result.stdout
    assert run_checker(str(site), "--external", "yes").returncode == 1


def test_checker_needs_a_built_site(tmp_path: Path) -> None:
    result = run_checker(str(tmp_path))
    assert result.returncode == 1
    assert "build it first with `nox -s docs`" in result.stderr
