"""The book grows by a page: an author follows CONTRIBUTING.md on a copy of the built project.

The copy gets a toy optimizer (Nesterov momentum) with its own page, inserted right after the
overview, and a gallery example that uses it. Its catalogs are updated and both editions are
built with -W. Every later section's number moves by one with no other edit, and the registry
alone puts the new optimizer on the API page, into the gallery's comparisons and into the
parity and validation tables.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

from bs4 import BeautifulSoup
from conftest import ROOT
from sections import chapter_pages
from test_book import numrefs

MODULE = '''"""SGD with Nesterov momentum: the toy optimizer of tests/test_growth.py."""

from __future__ import annotations

import torch

from myoptim.momentum import MySGDMomentum


class MyNesterov(MySGDMomentum):
    r"""SGD with Nesterov momentum: step along the gradient and the velocity, whose state
    and hyperparameters are momentum's.

    .. math::

        v \\leftarrow \\alpha v + g, \\qquad \\theta \\leftarrow \\theta - \\epsilon (g + \\alpha v)

    Args:
        params: the tensors to optimize, e.g. ``model.parameters()``.
        lr: the learning rate :math:`\\epsilon`, ``>= 0``. Required.
        momentum: the momentum :math:`\\alpha`, ``>= 0``; default ``0.9``.

    Example:
        >>> import torch
        >>> w = torch.tensor([1.0], requires_grad=True)
        >>> optimizer = MyNesterov([w], lr=0.1)
        >>> (w**2).sum().backward()
        >>> optimizer.step()
        >>> w
        tensor([0.6200], requires_grad=True)

    Reference:
        Sutskever et al., On the importance of initialization and momentum (2013).
    """

    def _update_param(self, p: torch.Tensor, grad: torch.Tensor) -> None:
        v = self.state[p]["velocity"]
        v.mul_(self.momentum).add_(grad)
        p.add_(grad.add(v, alpha=self.momentum), alpha=-self.lr)
'''

RULE = """    Rule(
        MyNesterov, "chapter/nesterov", "alg-nesterov", torch.optim.SGD,
        lambda h: {"lr": h["lr"], "momentum": h["momentum"], "nesterov": True},
        {"velocity": "momentum_buffer"},
        settings=({"lr": 1e-3, "momentum": 0.9}, {"lr": 0.05, "momentum": 0.5}),
        best_lr=10**-1.5,
    ),
"""

PAGE = """---
file_format: mystnb
kernelspec:
  name: python3
  display_name: Python 3
---

(nesterov)=
# Nesterov 모멘텀

(nesterov-rule)=
## 규칙

Nesterov 모멘텀은 velocity에 그래디언트를 한 번 더 더해 움직입니다({prf:ref}`alg-nesterov`).
{numref}`%s <momentum>`의 momentum과 견주어 보세요. 갤러리 예제
{ref}`sphx_glr_auto_examples_plot_toy.py`가 이 옵티마이저를 씁니다.

```{prf:algorithm} Nesterov momentum
:label: alg-nesterov

- $v \\leftarrow \\alpha v + g$
- $\\theta \\leftarrow \\theta - \\epsilon (g + \\alpha v)$
```

(nesterov-code)=
## 구현

```{listing} myoptim.nesterov.MyNesterov
:explain: _update_param

`v = self.state[p]["velocity"]`
: 파라미터의 velocity입니다.

`v.mul_(self.momentum).add_(grad)`
: velocity를 업데이트합니다.

`p.add_(grad.add(v, alpha=self.momentum), alpha=-self.lr)`
: 그래디언트와 velocity를 함께 따라 움직입니다.
```
"""

EXAMPLE = '''"""
Nesterov 모멘텀 한 스텝
=======================

:ref:`Nesterov 모멘텀 <nesterov>`\\\\ 을 한 스텝 실행합니다.
"""

# %%
import torch

from myoptim import MyNesterov

w = torch.tensor([1.0], requires_grad=True)
optimizer = MyNesterov([w], lr=0.1)
(w**2).sum().backward()
optimizer.step()
print(f"toy example ran: w = {w.item():.2f}")
'''


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{path}: {old!r} not found"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def add_the_toy_optimizer(project: Path) -> set[Path]:
    """The six files CONTRIBUTING.md's "Add an optimizer" names; the catalogs come later."""
    package, docs = project / "myoptim", project / "docs"
    (package / "nesterov.py").write_text(MODULE, encoding="utf-8")
    edit(package / "__init__.py", "from myoptim.momentum import", "from myoptim.nesterov import "
         "MyNesterov\nfrom myoptim.momentum import")  # fmt: skip
    edit(package / "__init__.py", '    "MyRMSProp",\n', '    "MyNesterov",\n    "MyRMSProp",\n')
    edit(package / "chapter.py", "from myoptim.momentum import", "from myoptim.nesterov import "
         "MyNesterov\nfrom myoptim.momentum import")  # fmt: skip
    edit(package / "chapter.py", ")  # fmt: skip", RULE + ")  # fmt: skip")
    (docs / "chapter" / "nesterov.md").write_text(PAGE, encoding="utf-8")
    edit(docs / "index.md", "chapter/overview\n", "chapter/overview\nchapter/nesterov\n")
    return {
        package / "nesterov.py", package / "__init__.py", package / "chapter.py",
        docs / "chapter" / "nesterov.md", docs / "index.md",
        docs / "locale" / "en" / "LC_MESSAGES" / "chapter" / "nesterov.po",
    }  # fmt: skip


def translate(project: Path, env: dict[str, str]) -> None:
    """`nox -s translations`, then a translator's English for every new message."""
    docs, pot = project / "docs", project / "docs" / "_build" / "gettext"
    for command in (
        ["-m", "sphinx", "-q", "-b", "gettext", str(docs), str(pot)],
        [
            "-m",
            "sphinx_intl",
            "update",
            "-p",
            str(pot),
            "-l",
            "en",
            "-d",
            str(docs / "locale"),
            "-w",
            "0",
        ],
    ):
        result = subprocess.run([sys.executable, *command], capture_output=True, text=True,
                                env=env, cwd=project, check=False)  # fmt: skip
        assert result.returncode == 0, result.stderr[-3000:]
    english = {"Nesterov 모멘텀": "Nesterov momentum", "규칙": "The rule", "구현": "The code"}
    for po in (docs / "locale" / "en" / "LC_MESSAGES").rglob("*.po"):
        text = po.read_text(encoding="utf-8")
        filled = re.sub(
            r'msgid "(.+)"\nmsgstr ""\n',
            lambda m: f'msgid "{m[1]}"\nmsgstr "{english.get(m[1], m[1])}"\n',
            text,
        )
        po.write_text(filled, encoding="utf-8")


def headings(page: Path) -> list[str]:
    article = BeautifulSoup(page.read_text(encoding="utf-8"), "html.parser").find("article")
    return [
        " ".join(h.get_text().split()).removesuffix("#").strip()
        for h in article.find_all(re.compile(r"^h[1-6]$"))
        if not h.find_parent(class_=["proof", "exercise", "solution"])
    ]


def moved_by_one(heading: str) -> str:
    """'3.4.2 Momentum 알고리즘' -> '3.5.2 Momentum 알고리즘'."""
    chapter, section, rest = re.match(r"(\d+)\.(\d+)(.*)", heading).groups()
    return f"{chapter}.{int(section) + 1}{rest}"


def test_a_new_optimizer_with_its_page_and_example_costs_no_renumbering(
    project: Path, tmp_path: Path, quick_env: dict[str, str]
) -> None:
    copy = tmp_path / "project"
    shutil.copytree(project, copy)  # built: what did not change is not run again
    before = copy / "docs" / "_build" / "html"
    shutil.move(before, tmp_path / "before")
    before = tmp_path / "before"
    env = {**quick_env, "PYTHONPATH": str(copy)}  # the copy's myoptim, in builds and kernels

    touched = add_the_toy_optimizer(copy)
    (copy / "gallery" / "plot_toy.py").write_text(EXAMPLE, encoding="utf-8")
    translate(copy, env)
    assert len(touched) <= 6
    assert all(path.exists() for path in touched)

    # From the copy, whose myoptim comes first on sys.path (python -m puts the cwd there).
    result = subprocess.run([sys.executable, str(copy / "docs" / "build.py")], cwd=copy,
                            capture_output=True, text=True, env=env, check=False)  # fmt: skip
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-5000:]
    after = copy / "docs" / "_build" / "html"

    chapter = re.findall(r"^chapter/\S+$", (ROOT / "docs" / "index.md").read_text(), re.M)
    for edition, title in (("ko", "3.2 Nesterov 모멘텀"), ("en", "3.2 Nesterov momentum")):
        assert headings(after / edition / "chapter" / "nesterov.html")[0] == title
        assert headings(after / edition / "chapter" / "overview.html")[0].startswith("3.1 ")
        for page in chapter[1:]:  # every page after the overview, and each of its headings
            old = headings(before / edition / f"{page}.html")
            assert headings(after / edition / f"{page}.html") == [moved_by_one(h) for h in old]

        # Pages the insertion did not touch were not read again, and still show the new numbers.
        assert numrefs(after / edition, chapter_pages(copy / "docs"))[0] == []

    api = BeautifulSoup((after / "ko" / "api.html").read_text(encoding="utf-8"), "html.parser")
    entry = api.find("dt", id="myoptim.MyNesterov").find_parent("dl")
    examples = entry.find_next_sibling("div", class_="sphx-glr-thumbnails").get_text()
    assert "Nesterov 모멘텀 한 스텝" in examples
    assert "Fashion-MNIST" in examples  # the comparisons train every optimizer of the registry
    results = copy / "docs" / "auto_examples" / "results"
    assert "MyNesterov" in (results / "fashion_mnist.json").read_text()
    assert "MyNesterov" in (results / "lr_sensitivity.json").read_text()

    tables = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-k", "nesterov",
         str(ROOT / "tests" / "test_parity.py"), str(ROOT / "tests" / "test_validation.py"),
         str(ROOT / "tests" / "test_state.py")],
        capture_output=True, text=True, env=env, cwd=tmp_path, check=False,
    )  # fmt: skip
    # pytest exits with 5 when -k selects nothing: 0 means the tables hold the toy, and it passed
    assert tables.returncode == 0, tables.stdout[-3000:]
