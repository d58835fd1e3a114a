"""docs/_ext/math_svg.py on small Sphinx projects: formulas typeset at build time, errors that
fail the build, and MathJax in the browser where Node.js is missing."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from bs4 import BeautifulSoup
from conftest import ROOT

CONF = f"""
import sys
sys.path.insert(0, {str(ROOT / "docs" / "_ext")!r})
extensions = ["math_svg"]
html_theme = "basic"
"""
PAGE = r"""
Math
====

Inline :math:`\hat{m}_t = m_t / (1 - \beta_1^t)`, and a numbered one:

.. math::
   :label: update

   \theta_t \leftarrow \theta_{t-1} - \alpha \frac{\hat{m}_t}{\sqrt{\hat{v}_t} + \epsilon}

See :eq:`update`.
"""


def build(tmp_path: Path, page: str, path: str | None = None) -> tuple[int, str, Path]:
    source = tmp_path / "source"
    source.mkdir()
    (source / "conf.py").write_text(CONF, encoding="utf-8")
    (source / "index.rst").write_text(page, encoding="utf-8")
    env = {**os.environ, "PATH": path if path is not None else os.environ["PATH"]}
    command = [
        sys.executable,
        "-m",
        "sphinx",
        "-W",
        "-b",
        "html",
        str(source),
        str(tmp_path / "out"),
    ]
    result = subprocess.run(command, capture_output=True, text=True, env=env, check=False)
    return result.returncode, result.stdout + result.stderr, tmp_path / "out"


@pytest.fixture(scope="module")
def node() -> str:
    found = shutil.which("node")
    if found is None:
        pytest.fail("These tests typeset with Node.js: install it (Debian: apt-get install nodejs)")
    return found


def test_formulas_are_svg_with_mathml_and_no_script(tmp_path: Path, node: str) -> None:
    code, log, out = build(tmp_path, PAGE)
    assert code == 0, log
    html = BeautifulSoup((out / "index.html").read_text(encoding="utf-8"), "html.parser")
    inline, block = html.select("span.math"), html.select("div.math")
    assert len(inline) == 1
    assert len(block) == 1
    outlines = {path["id"]: path["d"] for path in html.select("svg > defs > path[id]")}
    assert len(set(outlines.values())) == len(outlines)  # each glyph's outline once per page
    for formula in inline + block:
        glyphs = formula.select("mjx-container > svg use")
        assert glyphs
        assert all(use["href"].removeprefix("#") in outlines for use in glyphs)
        assert formula.select_one("mjx-assistive-mml > math mi")  # what screen readers read
        assert "\\" not in formula.get_text()  # no TeX left for a browser to find
    assert block[0].select_one("span.eqno").get_text(strip=True).startswith("(1)")
    assert block[0].select_one("mjx-container")["display"] == "true"
    assert 'mjx-container[jax="SVG"]' in html.head.style.get_text()
    assert not [s for s in html.select("script[src]") if "mathjax" in s["src"].lower()]
    assert not (out / "_static" / "mathjax").exists()


@pytest.mark.parametrize(
    ("tex", "error"),
    [(r"\frac{a", "Missing close brace"), (r"\notamacro x", "Undefined control sequence")],
    ids=["unbalanced", "unknown-macro"],
)
def test_a_formula_mathjax_cannot_typeset_fails_the_build(
    tmp_path: Path, node: str, tex: str, error: str
) -> None:
    code, log, _ = build(tmp_path, f"Bad\n===\n\n:math:`{tex}`\n")
    assert code != 0
    assert "index.rst" in log
    assert "cannot typeset" in log
    assert error in log
    assert tex in log


def test_without_node_mathjax_typesets_in_the_browser(tmp_path: Path) -> None:
    empty = tmp_path / "bin"
    empty.mkdir()
    code, log, out = build(tmp_path, PAGE, path=str(empty))
    assert code == 0, log
    assert "Node.js not found" in log
    html = BeautifulSoup((out / "index.html").read_text(encoding="utf-8"), "html.parser")
    (script,) = [s["src"] for s in html.select("script[src]") if "mathjax" in s["src"]]
    assert (out / script.split("?")[0]).is_file()  # served from the site, so it works offline
    assert "\\hat{m}_t" in html.select_one("span.math").get_text()
