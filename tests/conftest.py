"""Fixtures shared by the book and gallery tests: a data folder and one quick build."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def data_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One Fashion-MNIST folder for the whole run (filled on first use)."""
    return tmp_path_factory.mktemp("data")


@pytest.fixture(scope="session")
def quick_env(data_root: Path) -> dict[str, str]:
    """The environment of a quick run: shrunken examples, the shared data, no display."""
    return {**os.environ, "MYOPTIM_QUICK": "1", "MYOPTIM_DATA": str(data_root), "MPLBACKEND": "Agg"}


def copy_project(target: Path) -> Path:
    """Copy what the book is built from, without anything a build generated."""
    generated = shutil.ignore_patterns("_build", "auto_examples", "gen_modules", "__pycache__")
    for folder in ("docs", "gallery", "myoptim"):
        shutil.copytree(ROOT / folder, target / folder, ignore=generated)
    return target


def build(project: Path, env: dict[str, str], *options: str) -> subprocess.CompletedProcess[str]:
    out = project / "docs" / "_build"
    command = [
        sys.executable, "-m", "sphinx", "--keep-going", "-b", "html", "-d", str(out / "doctrees"),
        *options, str(project / "docs"), str(out / "html"),
    ]  # fmt: skip
    return subprocess.run(command, capture_output=True, text=True, env=env, check=False)


@pytest.fixture(scope="session")
def project(tmp_path_factory: pytest.TempPathFactory, quick_env: dict[str, str]) -> Path:
    """A copy of the project with the book built: warnings as errors, gallery in quick mode."""
    project = copy_project(tmp_path_factory.mktemp("project"))
    result = build(project, quick_env, "-W")
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-5000:]
    return project


@pytest.fixture(scope="session")
def book(project: Path) -> Path:
    return project / "docs" / "_build" / "html"
