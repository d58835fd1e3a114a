"""Fixtures shared by the book and gallery tests: a data folder and one quick build."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "docs"))  # the book's scripts (evidence.py, build.py)
sys.path.insert(0, str(ROOT / "docs" / "_ext"))


@contextlib.contextmanager
def serving(handler: Callable[..., BaseHTTPRequestHandler]) -> Iterator[str]:
    """An HTTP server on localhost, in a thread: its address while the block runs."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def closed_port() -> str:
    """An address on localhost where nothing listens: connections to it are refused."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), BaseHTTPRequestHandler)
    server.server_close()
    return f"http://127.0.0.1:{server.server_address[1]}"


class Quiet:
    """Mixed into a request handler: no log line per request."""

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture(scope="session")
def data_root() -> Path:
    """Fashion-MNIST where the book's builds find it ($MYOPTIM_DATA or ~/.cache/myoptim),
    filled by the locator on the first run and reused by every later one (offline too)."""
    from myoptim.datasets import fashion_mnist_root

    return fashion_mnist_root()


@pytest.fixture(scope="session")
def quick_env(data_root: Path) -> dict[str, str]:
    """The environment of a quick run: shrunken examples, the shared data, no display."""
    return {**os.environ, "MYOPTIM_QUICK": "1", "MYOPTIM_DATA": str(data_root), "MPLBACKEND": "Agg"}


def copy_project(target: Path) -> Path:
    """Copy what the book is built from, without anything a build generated."""

    def generated(folder: str, names: list[str]) -> set[str]:
        top = {"_build", "auto_examples", "gen_modules"} if Path(folder) == ROOT / "docs" else set()
        return {n for n in names if n in top or n == "__pycache__" or n.endswith(".mo")}

    for folder in ("docs", "gallery", "myoptim"):
        shutil.copytree(ROOT / folder, target / folder, ignore=generated)
    shutil.copy(ROOT / "pyproject.toml", target)  # the repository's address (docs/_ext/web.py)
    return target


def build(project: Path, env: dict[str, str], *options: str) -> subprocess.CompletedProcess[str]:
    out = project / "docs" / "_build"
    command = [
        sys.executable, "-m", "sphinx", "--keep-going", "-b", "html", "-d", str(out / "doctrees"),
        *options, str(project / "docs"), str(out / "html"),
    ]  # fmt: skip
    return subprocess.run(command, capture_output=True, text=True, env=env, check=False)


def build_small(
    source: Path, out: Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """Build a small Sphinx project made by a test to HTML, quietly, warnings as errors."""
    command = [sys.executable, "-m", "sphinx", "-W", "-q", "-b", "html", str(source), str(out)]
    return subprocess.run(command, capture_output=True, text=True, env=env, check=False)


@contextlib.contextmanager
def busy_cores() -> Iterator[dict[str, float]]:
    """Every core kept busy by another process while the block runs, as on a reader's laptop
    that is doing something else. Yields a record, filled in when the block ends: the cores,
    the seconds the block took, and (where os.wait4 exists) the CPU seconds the load used."""
    record: dict[str, float] = {"cores": os.cpu_count() or 1}
    spin = [sys.executable, "-c", "while True: pass"]
    load = [subprocess.Popen(spin) for _ in range(int(record["cores"]))]
    start = time.monotonic()
    try:
        yield record
    finally:
        record["seconds"] = time.monotonic() - start
        record["load_cpu_seconds"] = 0.0
        for process in load:
            process.kill()
            if hasattr(os, "wait4"):
                usage = os.wait4(process.pid, 0)[2]
                record["load_cpu_seconds"] += usage.ru_utime + usage.ru_stime
            process.wait()


@pytest.fixture(scope="session")
def project(tmp_path_factory: pytest.TempPathFactory, quick_env: dict[str, str]) -> Path:
    """A copy of the project with both editions built (docs/build.py), gallery in quick mode,
    while every core is kept busy: a loaded machine must not break the build.

    The build's output is kept in docs/_build/build.log, the load's record in load.json.
    """
    project = copy_project(tmp_path_factory.mktemp("project"))
    with busy_cores() as load:
        result = subprocess.run(
            [sys.executable, str(project / "docs" / "build.py")],
            capture_output=True, text=True, env=quick_env, check=False,
        )  # fmt: skip
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-5000:]
    (project / "docs" / "_build" / "build.log").write_text(result.stdout + result.stderr)
    (project / "docs" / "_build" / "load.json").write_text(json.dumps(load))
    return project


@pytest.fixture(scope="session")
def site(request: pytest.FixtureRequest) -> Path:
    """The built site: ko/, en/ and the root page.

    $MYOPTIM_SITE names a site built before (e.g. docs/_build/html after nox -s docs) to check
    instead of building one.
    """
    if built := os.environ.get("MYOPTIM_SITE"):
        return Path(built).resolve()
    project: Path = request.getfixturevalue("project")
    return project / "docs" / "_build" / "html"


@pytest.fixture(scope="session")
def book(site: Path) -> Path:
    """The Korean edition, the book's source language."""
    return site / "ko"


@pytest.fixture(scope="session")
def english(site: Path) -> Path:
    return site / "en"
