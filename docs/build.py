"""Build both editions of the book into one site.

    python docs/build.py [--out DIR] [sphinx-build options]

writes DIR/ko/ (the Korean source), DIR/en/ (translated with docs/locale/en) and DIR/index.html,
which sends readers to the Korean edition. DIR defaults to docs/_build/html. The English build
runs after the Korean one and reuses its execution: the notebook cache and the gallery's
outputs are shared, so no code runs twice.

Sphinx builds into docs/_build/editions/ and the site is then copied to DIR, because myst-nb
writes its working files (jupyter_execute/) next to the output folder: DIR holds only what
is published.
"""

import argparse
import shutil
import subprocess
import sys
from pathlib import Path

DOCS = Path(__file__).resolve().parent
EDITIONS_DIR = DOCS / "_build" / "editions"
SITE = DOCS / "_build" / "html"  # the site, unless --out says otherwise
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
        command = [
            sys.executable, "-m", "sphinx", "-W", "--keep-going", "-b", "html",
            "-D", f"language={language}", "-D", f"html_title={title}",
            "-d", str(DOCS / "_build" / "doctrees" / language),
            *sphinx_options, str(DOCS), str(EDITIONS_DIR / language),
        ]  # fmt: skip
        subprocess.run(command, check=True)
    for language in EDITIONS:
        shutil.rmtree(args.out / language, ignore_errors=True)
        shutil.copytree(EDITIONS_DIR / language, args.out / language)
    (args.out / "index.html").write_text(REDIRECT, encoding="utf-8")
    print(f"The book is at {(args.out / 'index.html').as_uri()}")


if __name__ == "__main__":
    main()
