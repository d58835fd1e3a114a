"""Sessions: ``nox -s docs`` builds the book, ``nox -s tests`` runs the tests (see README)."""

import functools
import os
import shutil
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path

import nox

nox.needs_version = ">=2025.2.9"  # nox.project.dependency_groups
nox.options.sessions = ["lint", "tests"]
nox.options.reuse_venv = "yes"  # torch takes a minute to install: do it once
PYPROJECT = nox.project.load_toml("pyproject.toml")
# On Linux, PyPI's torch is a CUDA build (5.8 GB per environment); the book needs only the
# CPU. MYOPTIM_TORCH_INDEX names another index, or "" for PyPI's torch.
TORCH_INDEX = os.environ.get(
    "MYOPTIM_TORCH_INDEX", "https://download.pytorch.org/whl/cpu" if sys.platform == "linux" else ""
)
# The book's tools (Sphinx 9, myst-parser 5, the theme) need Python 3.11; the package alone
# runs on 3.10 (pyproject.toml's requires-python, checked by mypy's python_version).
BOOK_PYTHON = (3, 11)
DEBIAN_PACKAGES = {  # what the sessions may install on Debian: a path or command, and without it
    "dataset-fashion-mnist": (
        "/usr/share/datasets/fashion-mnist",
        "torchvision downloads Fashion-MNIST",
    ),
    "chromium": ("/usr/bin/chromium", "the browser tests look for Chrome or Edge instead"),
    "fonts-nanum": ("/usr/share/fonts/truetype/nanum", "Korean text shows as boxes in screenshots"),
    "nodejs": ("node", "formulas are typeset in the reader's browser (docs/_ext/math_svg.py)"),
    "npm": ("npm", "the Lighthouse benchmark cannot run"),
}


@nox.session
def tests(session: nox.Session) -> None:
    """Type-check the package, then run the test suite (pytest options after --)."""
    install(session, "test", "docs")
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
    install(session, "docs")
    install_debian_packages(session, "dataset-fashion-mnist", "nodejs")
    session.run("python", "docs/build.py", *session.posargs)


@nox.session(default=False)
def linkcheck(session: nox.Session) -> None:
    """Check the book's external links, both editions, with Sphinx's linkcheck (online; the
    tests check the built site's internal links). Nothing is executed: links are in the text."""
    install(session, "docs")
    for language in ("ko", "en"):
        out = f"docs/_build/linkcheck/{language}"
        session.run(
            "python", "-m", "sphinx", "-b", "linkcheck", "-d", f"{out}/.doctrees",
            "-D", f"language={language}", "-D", "plot_gallery=0", "-D", "nb_execution_mode=off",
            *session.posargs, "docs", out,
        )  # fmt: skip


@nox.session(default=False)
def bench(session: nox.Session) -> None:
    """Benchmarks: optimizer steps, throughput, sharded state, docs build, Lighthouse (JSON, plots).

    They write benchmarks/results/; `nox -s bench -- --smoke` only checks that they run.
    """
    install(session, "docs")
    install_debian_packages(session, "dataset-fashion-mnist", "chromium", "npm")
    for script in ("step", "throughput", "sharded", "docs_build"):
        session.run("python", f"benchmarks/{script}.py", *session.posargs)
    quick = {"MYOPTIM_QUICK": "1"} if "--smoke" in session.posargs else {}
    session.run("python", "docs/build.py", env=quick)  # Lighthouse audits this tree's site
    session.run("python", "benchmarks/lighthouse.py", *session.posargs)


@nox.session(default=False)
def translations(session: nox.Session) -> None:
    """Update the English catalogs (docs/locale/en) from the Korean sources."""
    install(session, "docs")
    install_debian_packages(session, "dataset-fashion-mnist")
    session.run("sphinx-build", "-b", "gettext", "docs", "docs/_build/gettext")
    options = ["-p", "docs/_build/gettext", "-l", "en", "-d", "docs/locale", "-w", "0"]
    session.run("sphinx-intl", "update", *options)


def install(session: nox.Session, *groups: str) -> None:
    """Install the package and its dependency groups, torch from TORCH_INDEX if it answers."""
    if "docs" in groups:
        require_book_python(session)
    index = []
    if TORCH_INDEX and answers(TORCH_INDEX):
        index = ["--extra-index-url", TORCH_INDEX]
    elif TORCH_INDEX:  # offline, or behind a firewall: pip's retries would take minutes
        session.warn(f"{TORCH_INDEX} does not answer: torch comes from pip's other indexes")
    session.install(".", *nox.project.dependency_groups(PYPROJECT, *groups), *index)


def require_book_python(session: nox.Session) -> None:
    """Stop with what to do, rather than pip's "no matching distribution" for Sphinx, when the
    session's Python is too old for the book."""
    version = session.run_install(
        "python", "-c", "import sys; print(*sys.version_info[:2])", silent=True
    )
    if not version:  # nothing runs: nox --no-install reuses an environment that was installed
        return
    found = tuple(int(part) for part in version.split())
    if found < BOOK_PYTHON:
        need, have = ".".join(map(str, BOOK_PYTHON)), ".".join(map(str, found))
        session.error(
            f"The book needs Python {need} or newer (Sphinx 9 does), and this session's "
            f"Python is {have}. Run nox with a newer one: pipx install --python python{need} "
            f"nox, or nox --force-python {need}. The package alone runs on {have} (pip install .)."
        )


@functools.cache
def answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(urllib.request.Request(url, method="HEAD"), timeout=10):
            return True
    except urllib.error.HTTPError:  # it answered, if not to a HEAD request of its root
        return True
    except OSError:  # no such host, refused, timed out
        return False


def has(path_or_command: str) -> bool:
    if "/" in path_or_command:
        return Path(path_or_command).exists()
    return shutil.which(path_or_command) is not None


def is_debian(release: Path = Path("/etc/os-release")) -> bool:
    return release.exists() and "ID=debian" in release.read_text().split()  # not Ubuntu


def install_debian_packages(session: nox.Session, *packages: str) -> None:
    """On Debian as root, install the packages a machine lacks (for CI and machines offline).

    Each is optional, and a missing one is reported with what the session does without it.
    Elsewhere (Ubuntu has no chromium package) nothing is installed: the gallery finds
    Fashion-MNIST in $FASHION_MNIST_DIR or torchvision downloads it, the browser tests use
    Chrome, Edge or Chromium, and the book builds without Node.js (see README).
    """
    missing = [p for p in packages if not has(DEBIAN_PACKAGES[p][0])]
    if not missing or not is_debian():
        return
    if os.geteuid() == 0 and apt(session, "update", "-qq"):
        missing = [p for p in missing if not apt(session, "install", "-y", "-qq", p)]
    for package in missing:
        without = DEBIAN_PACKAGES[package][1]
        session.warn(f"{package} is not installed, so {without} (sudo apt-get install {package})")


def apt(session: nox.Session, *arguments: str) -> bool:
    session.log(f"apt-get {' '.join(arguments)}")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    result = subprocess.run(["apt-get", *arguments], capture_output=True, text=True, env=env)
    if result.returncode:
        session.warn(f"apt-get {arguments[0]} failed:\n{(result.stdout + result.stderr)[-2000:]}")
    return result.returncode == 0
