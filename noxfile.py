"""Sessions: ``nox -s docs`` builds the book, ``nox -s tests`` runs the tests (see README)."""

import os
import shutil
from pathlib import Path

import nox

nox.options.sessions = ["lint", "tests"]
nox.options.reuse_venv = "yes"  # torch takes a minute to install: do it once
PYPROJECT = nox.project.load_toml("pyproject.toml")
DEBIAN_PACKAGES = {  # what the sessions may install on Debian, and a path or command of each
    "dataset-fashion-mnist": "/usr/share/datasets/fashion-mnist",
    "chromium": "/usr/bin/chromium",
    "fonts-nanum": "/usr/share/fonts/truetype/nanum",
    "nodejs": "node",  # typesets the book's formulas (docs/_ext/math_svg.py)
    "npm": "npm",  # installs Lighthouse for the benchmarks
}


@nox.session
def tests(session: nox.Session) -> None:
    """Type-check the package, then run the test suite (pytest options after --)."""
    session.install(".", *nox.project.dependency_groups(PYPROJECT, "test", "docs"))
    # The tests build the book (gallery included) and read it in Chromium, Korean fonts and all.
    install_debian_packages(
        session, "dataset-fashion-mnist", "chromium", "fonts-nanum", "nodejs", "npm"
    )
    session.run("mypy")
    session.run("pytest", *session.posargs)


@nox.session
def lint(session: nox.Session) -> None:
    """Check code and formatting with ruff."""
    session.install(*nox.project.dependency_groups(PYPROJECT, "lint"))
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", ".")


@nox.session
def docs(session: nox.Session) -> None:
    """Build both editions into docs/_build/html (sphinx-build options after --)."""
    session.install(".", *nox.project.dependency_groups(PYPROJECT, "docs"))
    install_debian_packages(session, "dataset-fashion-mnist", "nodejs")
    session.run("python", "docs/build.py", *session.posargs)


@nox.session(default=False)
def linkcheck(session: nox.Session) -> None:
    """Check the built site's links: internal ones always, external ones when online."""
    session.install(*nox.project.dependency_groups(PYPROJECT, "linkcheck"))
    session.run("python", "docs/check_links.py", *session.posargs)


@nox.session(default=False)
def bench(session: nox.Session) -> None:
    """Benchmarks: optimizer steps, training throughput, docs build, Lighthouse (JSON, plots).

    They write benchmarks/results/; `nox -s bench -- --smoke` only checks that they run.
    """
    session.install(".", *nox.project.dependency_groups(PYPROJECT, "docs"))
    install_debian_packages(session, "dataset-fashion-mnist", "chromium", "npm")
    for script in ("step", "throughput", "docs_build"):
        session.run("python", f"benchmarks/{script}.py", *session.posargs)
    quick = {"MYOPTIM_QUICK": "1"} if "--smoke" in session.posargs else {}
    session.run("python", "docs/build.py", env=quick)  # Lighthouse audits this tree's site
    session.run("python", "benchmarks/lighthouse.py", *session.posargs)


@nox.session(default=False)
def translations(session: nox.Session) -> None:
    """Update the English catalogs (docs/locale/en) from the Korean sources."""
    session.install(".", *nox.project.dependency_groups(PYPROJECT, "docs"))
    install_debian_packages(session, "dataset-fashion-mnist")
    session.run("sphinx-build", "-b", "gettext", "docs", "docs/_build/gettext")
    options = ["-p", "docs/_build/gettext", "-l", "en", "-d", "docs/locale", "-w", "0"]
    session.run("sphinx-intl", "update", *options)


def has(path_or_command: str) -> bool:
    if "/" in path_or_command:
        return Path(path_or_command).exists()
    return shutil.which(path_or_command) is not None


def install_debian_packages(session: nox.Session, *packages: str) -> None:
    """On Debian as root, install the packages a machine lacks (for CI and machines offline).

    Elsewhere: the gallery finds Fashion-MNIST in $FASHION_MNIST_DIR or torchvision downloads
    it, the browser tests look for Chrome or Chromium on the PATH, and the book builds without
    Node.js, its formulas then typeset in the browser (see README).
    """
    missing = [p for p in packages if not has(DEBIAN_PACKAGES[p])]
    if not missing or not shutil.which("apt-get") or os.geteuid() != 0:
        return
    session.run("apt-get", "update", "-qq", external=True)
    session.run("apt-get", "install", "-y", "-qq", *missing, external=True)
