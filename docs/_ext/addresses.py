"""The site's addresses, all derived from the repository's: pyproject.toml's
``project.urls.Repository``, or on GitHub Actions the repository being built, so that a fork
publishes to its own site and its own Colab links. Standard library only: docs/build.py and
the tests use it outside Sphinx.
"""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import urlsplit

import tomllib

ROOT = Path(__file__).resolve().parents[2]


def repository() -> str:
    """The repository's address, where the header links, the site lives and Colab reads."""
    if name := os.environ.get("GITHUB_REPOSITORY"):
        return f"https://github.com/{name}"
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    return str(project["urls"]["Repository"])


def github_name() -> tuple[str, str]:
    """The repository's owner and name on GitHub."""
    url = urlsplit(repository())
    parts = url.path.strip("/").removesuffix(".git").split("/")
    if url.netloc != "github.com" or len(parts) != 2:
        raise ValueError(f"not a GitHub repository: {repository()}")
    return parts[0], parts[1]


def site_url() -> str:
    """Where the site is served, ending in '/': Read the Docs' address when it builds the book,
    else the repository's GitHub Pages site."""
    if url := os.environ.get("READTHEDOCS_CANONICAL_URL"):
        return url.rstrip("/") + "/"
    owner, name = github_name()
    host = f"{owner.lower()}.github.io"
    return f"https://{host}/" if name.lower() == host else f"https://{host}/{name}/"
