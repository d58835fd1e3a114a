"""The noxfile on machines unlike this one: PyTorch's index offline, Ubuntu, failing packages."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
import time
from http.server import BaseHTTPRequestHandler
from importlib.metadata import metadata
from pathlib import Path
from types import ModuleType
from typing import Any

import nox
import pytest
from conftest import ROOT, Quiet, closed_port, serving
from packaging.specifiers import SpecifierSet

CPU_WHEELS = "https://download.pytorch.org/whl/cpu"


class Session:
    """What the noxfile's helpers use of nox.Session, recorded."""

    def __init__(self) -> None:
        self.installed: list[tuple[str, ...]] = []
        self.warnings: list[str] = []

    def install(self, *arguments: str) -> None:
        self.installed.append(arguments)

    def warn(self, message: str) -> None:
        self.warnings.append(message)

    def log(self, message: str) -> None:
        pass

    def run_install(self, *arguments: str, silent: bool = False) -> str:
        assert arguments[0] == "python"
        return subprocess.run(
            [sys.executable, *arguments[1:]], capture_output=True, text=True, check=True
        ).stdout

    def error(self, message: str) -> None:
        raise SessionError(message)


class SessionError(Exception):
    pass


def load_noxfile(monkeypatch: pytest.MonkeyPatch, **env: str) -> ModuleType:
    """The noxfile as a module, read with `env` set (its settings are read when it loads)."""
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setattr(nox.registry, "_REGISTRY", {})  # each load registers its sessions
    spec = importlib.util.spec_from_file_location("noxfile", ROOT / "noxfile.py")
    assert spec
    assert spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def noxfile(monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    monkeypatch.delenv("MYOPTIM_TORCH_INDEX", raising=False)
    return load_noxfile(monkeypatch)


@pytest.mark.parametrize(
    ("platform", "index"), [("linux", CPU_WHEELS), ("darwin", ""), ("win32", "")],
    ids=["linux", "macos", "windows"],
)  # fmt: skip
def test_torch_index_by_platform(
    monkeypatch: pytest.MonkeyPatch, platform: str, index: str
) -> None:
    """PyPI's torch is a CPU build on macOS and Windows already."""
    monkeypatch.delenv("MYOPTIM_TORCH_INDEX", raising=False)
    monkeypatch.setattr(sys, "platform", platform)
    noxfile = load_noxfile(monkeypatch)
    assert index == noxfile.TORCH_INDEX


def test_torch_comes_from_the_cpu_wheels(
    noxfile: ModuleType, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(noxfile, "TORCH_INDEX", CPU_WHEELS)
    monkeypatch.setattr(noxfile, "answers", lambda url: url == CPU_WHEELS)
    session = Session()
    noxfile.install(session, "docs")
    (arguments,) = session.installed
    assert arguments[0] == "."
    assert "torchvision" in arguments
    assert arguments[-2:] == ("--extra-index-url", CPU_WHEELS)  # added to pip's, not instead
    assert session.warnings == []


def test_an_index_that_does_not_answer_is_left_out(
    noxfile: ModuleType, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Offline (as here), pip would retry the index for every package: minutes of waiting."""
    index = f"{closed_port()}/simple"
    monkeypatch.setattr(noxfile, "TORCH_INDEX", index)
    start = time.monotonic()
    session = Session()
    noxfile.install(session, "docs")
    assert time.monotonic() - start < 15
    (arguments,) = session.installed
    assert "--extra-index-url" not in arguments
    (warning,) = session.warnings
    assert f"{index} does not answer" in warning


class Refuses(Quiet, BaseHTTPRequestHandler):
    def do_HEAD(self) -> None:
        self.send_error(403)


def test_an_index_that_answers_with_an_error_still_answers(noxfile: ModuleType) -> None:
    """Only an index that cannot be reached is left out; one that refuses HEAD is there."""
    with serving(Refuses) as address:
        assert noxfile.answers(f"{address}/whl/cpu")
    assert not noxfile.answers(f"{closed_port()}/whl/cpu")


def test_the_index_is_a_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    noxfile = load_noxfile(monkeypatch, MYOPTIM_TORCH_INDEX="")
    assert noxfile.TORCH_INDEX == ""
    session = Session()
    load_noxfile(monkeypatch, MYOPTIM_TORCH_INDEX="").install(session, "test")
    (arguments,) = session.installed
    assert "--extra-index-url" not in arguments
    assert session.warnings == []
    other = "https://example.org/whl"
    noxfile = load_noxfile(monkeypatch, MYOPTIM_TORCH_INDEX=other)
    assert other == noxfile.TORCH_INDEX


class Apt:
    """apt-get as root on Debian, where some packages cannot be installed."""

    def __init__(self, failing: set[str]) -> None:
        self.failing = failing
        self.calls: list[tuple[str, ...]] = []

    def __call__(self, session: Any, *arguments: str) -> bool:
        self.calls.append(arguments)
        return arguments[-1] not in self.failing


def packages(noxfile: ModuleType, monkeypatch: pytest.MonkeyPatch, debian: bool, root: bool) -> Apt:
    apt = Apt(failing={"chromium"})
    monkeypatch.setattr(noxfile, "apt", apt)
    monkeypatch.setattr(noxfile, "has", lambda path_or_command: False)  # a bare machine
    monkeypatch.setattr(noxfile, "is_debian", lambda: debian)
    monkeypatch.setattr(os, "geteuid", lambda: 0 if root else 1000, raising=False)
    return apt


def test_on_debian_as_root_each_package_is_installed_alone_and_failures_are_reported(
    noxfile: ModuleType, monkeypatch: pytest.MonkeyPatch
) -> None:
    apt = packages(noxfile, monkeypatch, debian=True, root=True)
    session = Session()
    noxfile.install_debian_packages(session, "dataset-fashion-mnist", "chromium", "fonts-nanum")
    assert apt.calls == [
        ("update", "-qq"),
        ("install", "-y", "-qq", "dataset-fashion-mnist"),
        ("install", "-y", "-qq", "chromium"),
        ("install", "-y", "-qq", "fonts-nanum"),
    ]
    (warning,) = session.warnings  # and no exception: the session goes on
    assert warning.startswith("chromium is not installed, so the browser tests look for Chrome")


@pytest.mark.parametrize(("debian", "root"), [(False, True), (True, False)], ids=["ubuntu", "user"])
def test_elsewhere_nothing_is_installed(
    noxfile: ModuleType, monkeypatch: pytest.MonkeyPatch, debian: bool, root: bool
) -> None:
    apt = packages(noxfile, monkeypatch, debian=debian, root=root)
    session = Session()
    noxfile.install_debian_packages(session, "nodejs", "fonts-nanum")
    assert apt.calls == []
    expected = 2 if debian else 0  # on Debian it says what to install; elsewhere nothing
    assert len(session.warnings) == expected
    assert all("sudo apt-get install" in w for w in session.warnings)


UBUNTU = 'PRETTY_NAME="Ubuntu 24.04.3 LTS"\nID=ubuntu\nID_LIKE=debian\n'
DEBIAN = 'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nID=debian\n'


@pytest.mark.parametrize(
    ("release", "debian"), [(DEBIAN, True), (UBUNTU, False), (None, False)],
    ids=["debian", "ubuntu", "no-os-release"],
)  # fmt: skip
def test_debian_is_told_from_its_os_release(
    noxfile: ModuleType, tmp_path: Path, release: str | None, debian: bool
) -> None:
    path = tmp_path / "os-release"
    if release is not None:
        path.write_text(release, encoding="utf-8")
    assert noxfile.is_debian(path) is debian


def test_the_book_on_a_python_too_old_for_it_says_what_to_run(
    noxfile: ModuleType, monkeypatch: pytest.MonkeyPatch
) -> None:
    """On a Python older than Sphinx 9 allows, the book's sessions stop before pip, saying how
    to get a newer one; the package alone installs there."""
    monkeypatch.setattr(noxfile, "answers", lambda url: False)
    monkeypatch.setattr(
        noxfile, "BOOK_PYTHON", (sys.version_info.major, sys.version_info.minor + 1)
    )
    with pytest.raises(SessionError, match=r"needs Python 3\.\d+ or newer.*--force-python"):
        noxfile.install(Session(), "docs")
    session = Session()
    noxfile.install(session, "test")
    assert session.installed


def test_the_book_python_is_what_its_tools_require(noxfile: ModuleType) -> None:
    need = ".".join(map(str, noxfile.BOOK_PYTHON))
    older = f"{noxfile.BOOK_PYTHON[0]}.{noxfile.BOOK_PYTHON[1] - 1}"
    required = [
        SpecifierSet(metadata(tool)["Requires-Python"]) for tool in ("sphinx", "myst-parser")
    ]
    assert all(need in spec for spec in required)
    assert not all(older in spec for spec in required)  # the constant is not needlessly high
