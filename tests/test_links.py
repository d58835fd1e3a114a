"""tests/site_links.py, which checks the built book's internal links, on small sites made here."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

from addresses import site_url
from site_links import broken_internal_links


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
