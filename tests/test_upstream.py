"""The patches of upstream HTML, styles and scripts (docs/_ext/upstream.py): each still works
around what the installed theme, Sphinx or extension does. A failure here means an upgrade
changed that: see whether the patch is still needed, drop it or move it with upstream, then
update its entry of ``PATCHES``."""

from __future__ import annotations

import importlib.util
import inspect
from pathlib import Path

import pytest
import upstream
from conftest import ROOT
from upstream import PATCHES, Patch

TEMPLATES = ROOT / "docs" / "_templates"


def upstream_file(where: str) -> Path:
    package, _, path = where.partition(":")
    spec = importlib.util.find_spec(package)
    assert spec is not None, f"{package} is not installed"
    assert spec.origin is not None
    return Path(spec.origin).parent / path


def squeezed(text: str) -> str:
    return " ".join(text.split())


@pytest.mark.parametrize(
    "patch", PATCHES, ids=[f"{p.ours.split()[0]}-{i}" for i, p in enumerate(PATCHES)]
)
def test_upstream_still_does_what_the_patch_works_around(patch: Patch) -> None:
    file = upstream_file(patch.upstream)
    assert file.is_file(), f"{patch.upstream} is gone: is {patch.ours} still needed?"
    text = squeezed(file.read_text(encoding="utf-8"))
    assert squeezed(patch.shows) in text, f"{patch.upstream} changed: {patch.works_around}?"
    assert not patch.lacks or patch.lacks not in text, f"{patch.upstream} has {patch.lacks!r}"


def test_every_template_override_is_in_the_table() -> None:
    """A template of docs/_templates/ that replaces one of a theme's has its entry, and every
    function the table names is upstream.py's."""
    listed = {patch.ours.split()[0] for patch in PATCHES}
    themes = [upstream_file(upstream.THEME), upstream_file(upstream.BOOK)]
    names = [path.relative_to(TEMPLATES).as_posix() for path in TEMPLATES.rglob("*.html")]
    overrides = {f"_templates/{name}" for name in names if any(any(t.rglob(name)) for t in themes)}
    assert overrides  # the themes' templates were found
    assert overrides <= listed
    functions = {name for name in listed if "/" not in name}
    assert all(inspect.isfunction(getattr(upstream, name, None)) for name in functions)
