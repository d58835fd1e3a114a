"""Sessions: ``nox -s tests`` runs the tests, ``nox -s lint`` checks style."""

import nox

nox.options.sessions = ["lint", "tests"]
nox.options.reuse_venv = "yes"  # torch takes a minute to install: do it once
PYPROJECT = nox.project.load_toml("pyproject.toml")


@nox.session
def tests(session: nox.Session) -> None:
    """Type-check the package, then run the test suite (pytest options after --)."""
    session.install(".", *nox.project.dependency_groups(PYPROJECT, "test"))
    session.run("mypy")
    session.run("pytest", *session.posargs)


@nox.session
def lint(session: nox.Session) -> None:
    """Check code and formatting with ruff."""
    session.install(*nox.project.dependency_groups(PYPROJECT, "lint"))
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", ".")
