"""The gallery's examples: standalone, as notebooks, repeatable, and fatal when broken."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from addresses import site_url
from conftest import ROOT, build, copy_project
from nbclient import NotebookClient
from web import install_cell

EXAMPLES = sorted((ROOT / "gallery").glob("plot_*.py"))


def run_standalone(script: Path, env: dict[str, str], cwd: Path) -> str:
    result = subprocess.run(
        [sys.executable, "-W", "error", str(script)],
        capture_output=True, text=True, env=env, cwd=cwd, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-4000:]
    return result.stdout


@pytest.mark.parametrize("script", EXAMPLES, ids=[p.stem for p in EXAMPLES])
def test_example_runs_standalone(script: Path, quick_env: dict[str, str], tmp_path: Path) -> None:
    assert run_standalone(script, quick_env, cwd=tmp_path)
    assert list(tmp_path.iterdir()) == []  # it leaves nothing behind in the working folder


def test_two_runs_give_identical_numbers(quick_env: dict[str, str], tmp_path: Path) -> None:
    script = ROOT / "gallery" / "plot_fashion_mnist.py"
    first, second = (run_standalone(script, quick_env, tmp_path) for _ in range(2))
    accuracies = [
        [line for line in out.splitlines() if line.startswith("My") and "test accuracy" in line]
        for out in (first, second)
    ]
    assert len(accuracies[0]) == 5
    assert accuracies[0] == accuracies[1]


def downloaded(site: Path, edition: str, name: str) -> Path:
    """The file of that name a gallery page of the edition offers."""
    (path,) = (site / edition / "_downloads").glob(f"*/{name}")
    return path


@pytest.mark.parametrize("example", [p.stem for p in EXAMPLES])
def test_downloaded_english_script_runs(
    site: Path, example: str, quick_env: dict[str, str], tmp_path: Path
) -> None:
    script = downloaded(site, "en", f"{example}.py")
    assert run_standalone(script, quick_env, cwd=tmp_path)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("edition", ["ko", "en"])
@pytest.mark.parametrize("example", [p.stem for p in EXAMPLES])
def test_downloaded_notebook_executes(
    site: Path, edition: str, example: str, quick_env: dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    for name in ("MYOPTIM_QUICK", "MYOPTIM_DATA", "MPLBACKEND"):
        monkeypatch.setenv(name, quick_env[name])  # the kernel inherits this environment
    notebook = nbformat.read(downloaded(site, edition, f"{example}.ipynb"), as_version=4)
    NotebookClient(notebook, timeout=600, kernel_name="python3").execute()
    outputs = [o for cell in notebook.cells for o in cell.get("outputs", [])]
    assert not [o for o in outputs if o["output_type"] == "error"]


@pytest.mark.parametrize("edition", ["ko", "en"])
def test_notebooks_are_markdown_linking_into_the_book(site: Path, edition: str) -> None:
    """No reST left in a notebook's text; its links lead to pages and anchors of the edition."""
    book = f"{site_url()}{edition}/"
    links = maths = 0
    for example in EXAMPLES:
        notebook = nbformat.read(downloaded(site, edition, f"{example.stem}.ipynb"), as_version=4)
        assert notebook.cells[0].source == install_cell(edition)  # commented in its language
        text = "\n".join(c.source for c in notebook.cells if c.cell_type == "markdown")
        leftovers = re.findall(r":[a-z]+:`|(?<!`)``(?!`)|\\ |^\.\. |^[-=]{4,}$", text, flags=re.M)
        assert not leftovers, f"{example.stem}: {leftovers}"
        maths += text.count("$")
        for address in re.findall(r"\]\((https?://[^)]+)\)", text):
            if not address.startswith(book):
                continue
            links += 1
            page, _, anchor = address.removeprefix(book).partition("#")
            html = (site / edition / page).read_text(encoding="utf-8")
            assert not anchor or f'id="{anchor}"' in html, address
    assert links > 20
    assert maths > 20  # math stays math


def test_failing_example_fails_the_build(tmp_path: Path, quick_env: dict[str, str]) -> None:
    project = copy_project(tmp_path)
    for script in (project / "gallery").glob("plot_*.py"):
        script.unlink()
    (project / "gallery" / "plot_broken.py").write_text('"""\nBroken\n======\n"""\n1 / 0\n')
    result = build(project, quick_env, "-D", "nb_execution_mode=off")
    assert result.returncode != 0
    assert "plot_broken.py" in result.stdout + result.stderr
    assert "ZeroDivisionError" in result.stdout + result.stderr


def test_failing_cell_fails_the_build(tmp_path: Path, quick_env: dict[str, str]) -> None:
    project = copy_project(tmp_path)
    for script in (project / "gallery").glob("plot_*.py"):
        script.unlink()
    page = project / "docs" / "chapter" / "sgd.md"
    page.write_text(page.read_text(encoding="utf-8") + "\n```{code-cell} python\n1 / 0\n```\n")
    result = build(project, quick_env, "-D", f"nb_execution_cache_path={tmp_path / 'cache'}")
    assert result.returncode != 0
    assert "ZeroDivisionError" in result.stdout + result.stderr


EXTRA = '''"""
Extra
=====

An example that is added, built, and removed again.
"""

print("extra example ran")
'''


def test_a_removed_example_leaves_nothing_behind(
    project: Path, tmp_path: Path, quick_env: dict[str, str]
) -> None:
    """Its outputs (which CI's cache restores) would otherwise fail every later build."""
    copy = tmp_path / "project"
    shutil.copytree(project, copy)  # built: its examples and cells are not run again
    page = copy / "docs" / "chapter" / "overview.md"  # the chapter names its examples
    original = page.read_text(encoding="utf-8")
    page.write_text(original + "\n{ref}`sphx_glr_auto_examples_plot_extra.py`\n", encoding="utf-8")
    (copy / "gallery" / "plot_extra.py").write_text(EXTRA, encoding="utf-8")
    options = ["-W", "-D", "language=ko"]

    first = build(copy, quick_env, *options)
    assert first.returncode == 0, first.stdout[-2000:] + first.stderr[-3000:]
    gallery = copy / "docs" / "auto_examples"
    html = copy / "docs" / "_build" / "html"
    assert "extra example ran" in (html / "auto_examples" / "plot_extra.html").read_text()
    assert list(gallery.glob("plot_extra.*"))

    (copy / "gallery" / "plot_extra.py").unlink()
    page.write_text(original, encoding="utf-8")
    second = build(copy, quick_env, *options)
    assert second.returncode == 0, second.stdout[-2000:] + second.stderr[-3000:]
    assert list(gallery.glob("plot_extra*")) == []
    assert not (html / "auto_examples" / "plot_extra.html").exists()  # the sitemap lists pages
    assert list((html / "_sources").glob("auto_examples/plot_extra.*")) == []
    assert "removed the outputs of examples that no longer exist: plot_extra" in second.stdout


ARTICLE_WIDTH_PX = 688  # the book's text column at 1280×800, where a figure is shown shrunk to fit
SMALLEST_TEXT_PX = 9


@pytest.mark.parametrize("script", EXAMPLES, ids=[p.stem for p in EXAMPLES])
def test_figure_text_is_legible_on_a_desktop(script: Path, quick_env: dict[str, str]) -> None:
    """Every text of every figure is at least 9 px tall as the book shows it on a desktop, and
    every panel that draws more than one thing has a legend."""
    probe = f"""
import runpy, matplotlib.pyplot as plt
figures = []
plt.show = lambda *a, **k: figures.append(plt.gcf())
runpy.run_path({str(script)!r}, run_name="__main__")
for fig in figures:
    width_px = fig.get_figwidth() * fig.dpi
    scale = min(1.0, {ARTICLE_WIDTH_PX} / width_px)
    for text in fig.findobj(lambda a: hasattr(a, "get_fontsize") and hasattr(a, "get_text")):
        if text.get_visible() and text.get_text().strip():
            px = text.get_fontsize() * fig.dpi / 72 * scale
            print("TEXT", round(px, 2), repr(text.get_text()[:40]))
    for ax in fig.axes:
        drawn = [a for a in ax.lines + ax.containers if not str(a.get_label()).startswith("_")]
        print("PANEL", len(drawn), ax.get_legend() is not None, repr(ax.get_title()))
"""
    result = subprocess.run(
        [sys.executable, "-c", probe],
        capture_output=True, text=True, env=quick_env, cwd=script.parent, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-3000:]
    lines = result.stdout.splitlines()
    texts = [line.split(" ", 2) for line in lines if line.startswith("TEXT ")]
    assert texts
    small = [(px, text) for _, px, text in texts if float(px) < SMALLEST_TEXT_PX]
    assert small == []
    panels = [line.split(" ", 3) for line in lines if line.startswith("PANEL ")]
    assert [
        title for _, n, has_legend, title in panels if int(n) > 1 and has_legend == "False"
    ] == []
