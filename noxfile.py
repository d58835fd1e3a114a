"""Sessions: ``nox -s docs`` builds the book, ``nox -s tests`` runs the tests (see README)."""

import os
import shutil
from pathlib import Path

import nox

nox.options.sessions = ["lint", "tests"]
nox.options.reuse_venv = "yes"  # torch takes a minute to install: do it once
PYPROJECT = nox.project.load_toml("pyproject.toml")


@nox.session
def tests(session: nox.Session) -> None:
    """Type-check the package, then run the test suite (pytest options after --)."""
    session.install(".", *nox.project.dependency_groups(PYPROJECT, "test", "docs"))
    install_debian_fashion_mnist(session)  # the tests build the book, gallery included
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
    install_debian_fashion_mnist(session)
    session.run("python", "docs/build.py", *session.posargs)


@nox.session(default=False)
def translations(session: nox.Session) -> None:
    """Update the English catalogs (docs/locale/en) from the Korean sources."""
    session.install(".", *nox.project.dependency_groups(PYPROJECT, "docs"))
    install_debian_fashion_mnist(session)
    session.run("sphinx-build", "-b", "gettext", "docs", "docs/_build/gettext")
    options = ["-p", "docs/_build/gettext", "-l", "en", "-d", "docs/locale", "-w", "0"]
    session.run("sphinx-intl", "update", *options)


def install_debian_fashion_mnist(session: nox.Session) -> None:
    """On Debian as root, install Fashion-MNIST for machines without internet access.

    Elsewhere the gallery finds the data in $FASHION_MNIST_DIR or torchvision downloads it.
    """
    debian = Path("/usr/share/datasets/fashion-mnist")
    if debian.exists() or not shutil.which("apt-get") or os.geteuid() != 0:
        return
    session.run("apt-get", "update", "-qq", external=True)
    session.run("apt-get", "install", "-y", "-qq", "dataset-fashion-mnist", external=True)
