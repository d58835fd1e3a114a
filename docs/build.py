"""Build both editions of the book into one site.

    python docs/build.py [--out DIR] [sphinx-build options]

writes DIR/ko/ (the Korean source), DIR/en/ (translated with docs/locale/en), DIR/index.html,
which sends readers to the Korean edition, and what a host and search engines look for at the
site's root: 404.html (the Korean edition's, whose links are absolute), sitemap.xml (every
page, with its other edition) and robots.txt; DIR/_images/ holds the images both editions show.
DIR defaults to docs/_build/html. The English build
runs after the Korean one and reuses its execution: the notebook cache and the gallery's
outputs are shared, so no code runs twice.

Sphinx builds into docs/_build/editions/ and the site is then copied to DIR, because myst-nb
writes its working files (jupyter_execute/) next to the output folder: DIR holds only what
is published.

A reference build (MYOPTIM_REFERENCE_BUILD=1) fails on a timing claim that its numbers
contradict (docs/_ext/claims.py). One busy moment of a shared builder should not decide that, so
the examples that measured those timings run again, up to MEASUREMENTS times in all, and the
build holds the claims to their last run; the figures are redrawn from the same run. A build
that fails lists its warnings at the end of its log.
"""

import argparse
import contextlib
import filecmp
import io
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path
from xml.sax.saxutils import quoteattr

from PIL import Image

DOCS = Path(__file__).resolve().parent
sys.path[:0] = [str(DOCS), str(DOCS / "_ext")]
from addresses import site_url  # noqa: E402
from claims import CONTRADICTED  # noqa: E402

EDITIONS_DIR = DOCS / "_build" / "editions"
SITE = DOCS / "_build" / "html"  # the site, unless --out says otherwise
MEASUREMENTS = 3
EDITIONS = {"ko": "옵티마이저 직접 만들기", "en": "Building Optimizers from Scratch"}  # and titles
REDIRECT = """<!DOCTYPE html>
<html lang="ko">
<head>
<meta charset="utf-8">
<meta http-equiv="refresh" content="0; url=ko/index.html">
<title>옵티마이저 직접 만들기</title>
</head>
<body><p><a href="ko/index.html">한국어</a> · <a href="en/index.html">English</a></p></body>
</html>
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=SITE)
    args, sphinx_options = parser.parse_known_args()
    for language, title in EDITIONS.items():
        print(f"--- building the {language} edition", flush=True)
        # Sphinx copies the static files anew every build but never deletes one: a file
        # that is no longer used (say, MathJax once math is typeset at build time) would stay.
        shutil.rmtree(EDITIONS_DIR / language / "_static", ignore_errors=True)
        options = ["-D", f"language={language}", "-D", f"html_title={title}", *sphinx_options]
        doctrees = DOCS / "_build" / "doctrees" / language
        build_edition(DOCS, doctrees, EDITIONS_DIR / language, options)
    for language in EDITIONS:
        shutil.rmtree(args.out / language, ignore_errors=True)
        shutil.copytree(EDITIONS_DIR / language, args.out / language)
    share_images(args.out)
    compress_images(args.out)
    (args.out / "index.html").write_text(REDIRECT, encoding="utf-8")
    shutil.copy(args.out / "ko" / "404.html", args.out / "404.html")
    (args.out / "sitemap.xml").write_text(sitemap(args.out), encoding="utf-8")
    robots = f"User-agent: *\nAllow: /\nSitemap: {site_url()}sitemap.xml\n"
    (args.out / "robots.txt").write_text(robots, encoding="utf-8")
    print(f"The book is at {(args.out / 'index.html').as_uri()}")


def build_edition(docs: Path, doctrees: Path, out: Path, options: list[str]) -> None:
    """sphinx-build -W, measuring again the timings a reference build finds contradicted."""
    warnings = doctrees.parent / f"{doctrees.name}-warnings.txt"
    command = [
        sys.executable, "-m", "sphinx", "-W", "--keep-going", "-b", "html", "-d", str(doctrees),
        "-w", str(warnings), *options, str(docs), str(out),
    ]  # fmt: skip
    for measurement in range(1, MEASUREMENTS + 1):
        if subprocess.run(command).returncode == 0:
            return
        contradicted = doctrees / CONTRADICTED
        if measurement == MEASUREMENTS or not contradicted.exists():
            break
        names = json.loads(contradicted.read_text())
        print(
            f"--- this build's timings contradict claims resting on {', '.join(names)}: "
            f"running their examples again (measurement {measurement + 1} of {MEASUREMENTS})",
            flush=True,
        )
        for name in names:  # sphinx-gallery runs an example again when its checksum is gone
            (docs / "auto_examples" / f"plot_{name}.py.md5").unlink(missing_ok=True)
    sys.exit(f"The build of {out} failed on these warnings:\n{warnings.read_text()}")


def share_images(site: Path) -> None:
    """One copy, in DIR/_images/, of each image the two editions hold alike.

    The figures are the same in both editions (their labels are English) and they are the bulk
    of the site: each edition's _images/ took 3.7 MB of the site's 15. Every page's links,
    relative ones and the absolute addresses of og:image, follow the images there."""
    shared = site / "_images"
    shutil.rmtree(shared, ignore_errors=True)
    shared.mkdir()
    names = set()
    for image in sorted((site / "ko" / "_images").glob("*")):
        twin = site / "en" / "_images" / image.name
        if twin.is_file() and filecmp.cmp(image, twin, shallow=False):
            image.replace(shared / image.name)
            twin.unlink()
            names.add(image.name)
    for language in EDITIONS:
        with contextlib.suppress(OSError):  # it keeps what only one edition shows
            (site / language / "_images").rmdir()
    found = re.compile(r'(https?://[^"\s]*/)(?:ko|en)/_images/([^"\s,?#]+)|'
                       r'(?<=["\s,])((?:\.\./)*)_images/([^"\s,?#]+)')  # fmt: skip
    for language in EDITIONS:
        for page in pages(site / language):
            up = "../" * (len(page.relative_to(site).parts) - 1)

            def moved(link: re.Match[str], up: str = up) -> str:
                if link[1] and link[2] in names:
                    return f"{link[1]}_images/{link[2]}"
                if link[4] in names:
                    return f"{up}_images/{link[4]}"
                return link[0]

            text = page.read_text(encoding="utf-8")
            page.write_text(found.sub(moved, text), encoding="utf-8")


def compress_images(site: Path) -> None:
    """Each PNG with a palette of 256 colours, where that makes it smaller.

    matplotlib writes full-colour PNGs, but a plot has few colours: the palette takes the
    figures from 3.8 MB to about 1 MB, the room the site needs under its 15 MB (the movable
    figures' data included). Without dithering, a plot's flat colours stay exact."""
    for png in sorted(site.rglob("*.png")):
        with Image.open(png) as image:
            if image.mode == "P":
                continue
            quantized = image.convert("RGBA").quantize(
                256, method=Image.Quantize.FASTOCTREE, dither=Image.Dither.NONE
            )
        buffer = io.BytesIO()
        quantized.save(buffer, "PNG", optimize=True)
        if buffer.tell() < png.stat().st_size:
            png.write_bytes(buffer.getvalue())


def pages(site: Path) -> list[Path]:
    """Every HTML page of the site (the theme also copies HTML templates into _static/)."""
    return sorted(p for p in site.rglob("*.html") if "_static" not in p.relative_to(site).parts)


def sitemap(site: Path) -> str:
    """Every page a search engine should index, each with its counterpart in the other edition.

    Not sphinx-sitemap's: it lists only the pages a build writes, so an incremental build (the
    English edition's, a reader's second) would publish a partial sitemap (sphinx-sitemap#13).
    Nor are this and robots.txt ``html_extra_path`` files: they belong at the site's root, above
    the editions."""
    base = site_url()
    names = [
        page.relative_to(site / "ko").as_posix()
        for page in pages(site / "ko")
        if page.name not in ("search.html", "404.html")
    ]
    entries = []
    for name in names:
        for edition in EDITIONS:
            links = "".join(
                f'<xhtml:link rel="alternate" hreflang="{other}" '
                f"href={quoteattr(f'{base}{other}/{name}')}/>"
                for other in EDITIONS
            )
            entries.append(f"<url><loc>{base}{edition}/{name}</loc>{links}</url>")
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" '
        'xmlns:xhtml="http://www.w3.org/1999/xhtml">\n' + "\n".join(entries) + "\n</urlset>\n"
    )


if __name__ == "__main__":
    main()
