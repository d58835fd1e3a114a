"""Every code block the chapter shows without running it runs as shown.

The build executes the chapter's code cells; the plain ``python`` blocks (code a reader copies,
such as the Fashion-MNIST page's training script) are executed here, each page's blocks one
after the other in one program, with the gallery objects they include (``literalinclude`` of
``gallery/``) in their place. Training loops are cut short: every ``DataLoader`` yields at most
three batches.
"""

from __future__ import annotations

import ast
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from conftest import ROOT

from myoptim.datasets import fashion_mnist_root

PAGES = sorted((ROOT / "docs").glob("*.md")) + sorted((ROOT / "docs" / "chapter").glob("*.md"))
FENCE = re.compile(r"^```(python|\{literalinclude\} (\S+))\n(.*?)^```$", re.M | re.S)
SHORT_LOOPS = """
import itertools, torch.utils.data
_iter = torch.utils.data.DataLoader.__iter__
torch.utils.data.DataLoader.__iter__ = lambda self: itertools.islice(_iter(self), 3)
"""


def shown_program(page: Path) -> str:
    """The page's plain python blocks and included gallery objects, in order."""
    parts = []
    for match in FENCE.finditer(page.read_text(encoding="utf-8")):
        kind, included, body = match.groups()
        if kind == "python":
            parts.append(body)
            continue
        source = (page.parent / included).resolve()
        if source.parent != ROOT / "gallery":
            continue  # the package's source, which the package's own tests run
        name = re.search(r"^:pyobject: (\S+)$", body, re.M).group(1)
        text = source.read_text(encoding="utf-8")
        node = next(n for n in ast.parse(text).body if getattr(n, "name", None) == name)
        parts.append(ast.get_source_segment(text, node) + "\n")
    return "\n".join(parts)


PROGRAMS = {page.relative_to(ROOT / "docs").as_posix(): shown_program(page) for page in PAGES}


def test_the_chapter_shows_plain_code() -> None:
    """The test below has something to run: the Fashion-MNIST page's training script, at least."""
    assert "for X, y in train_dataloader" in PROGRAMS["chapter/fashion-mnist.md"]


@pytest.mark.parametrize(
    "page", [name for name, program in PROGRAMS.items() if program], ids=lambda name: name
)
def test_shown_code_runs(page: str, tmp_path: Path, quick_env: dict[str, str]) -> None:
    fashion_mnist_root(
        tmp_path / "data"
    )  # where the code's datasets.FashionMNIST(root="data") looks
    program = SHORT_LOOPS + textwrap.dedent(PROGRAMS[page])
    result = subprocess.run(
        [sys.executable, "-c", program],
        capture_output=True, text=True, env=quick_env, cwd=tmp_path, check=False, timeout=600,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-3000:]
