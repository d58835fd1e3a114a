"""The listing directive (docs/_ext/listing.py): notes that cannot drift from the code."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from bs4 import BeautifulSoup
from conftest import ROOT, build_small

CONF = f"""
import sys
sys.path.insert(0, {str(ROOT / "docs" / "_ext")!r})
extensions = ["myst_parser", "listing"]
myst_enable_extensions = ["deflist"]
"""
PAGE = """# Listing

```{{listing}} myoptim.sgd.MySGD
:explain: _update_param

{notes}
```
"""


def build(tmp_path: Path, notes: str) -> subprocess.CompletedProcess[str]:
    (tmp_path / "conf.py").write_text(CONF)
    (tmp_path / "index.md").write_text(PAGE.format(notes=notes))
    return build_small(tmp_path, tmp_path / "out")


def test_notes_on_every_line_build(tmp_path: Path) -> None:
    result = build(tmp_path, "`p.add_(grad, alpha=-self.lr)`\n: 설명.")
    assert result.returncode == 0, result.stderr
    soup = BeautifulSoup((tmp_path / "out" / "index.html").read_text(), "html.parser")
    code = soup.select_one("div.listing pre").get_text()
    assert code.startswith("class MySGD(MyOptimizer):\n")
    assert '"""' not in code  # no docstring
    assert "def _update_param(" in code
    assert soup.select_one("div.listing-notes dt").get_text() == "p.add_(grad, alpha=-self.lr)"


@pytest.mark.parametrize(
    ("notes", "error"),
    [
        ("`p.sub_(grad)`\n: 없는 코드.", "'p.sub_(grad)' is not in its code"),
        (
            "`class MySGD`\n: 클래스.",
            "the line 'p.add_(grad, alpha=-self.lr)' of _update_param is not explained",
        ),
    ],
    ids=["note on code that is not there", "a line without a note"],
)
def test_notes_that_drift_from_the_code_fail_the_build(
    tmp_path: Path, notes: str, error: str
) -> None:
    result = build(tmp_path, notes)
    assert result.returncode != 0
    assert error in result.stderr
