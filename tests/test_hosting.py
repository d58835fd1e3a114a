"""Hosting: the GitHub Pages workflow and the Read the Docs configuration."""

from __future__ import annotations

import ast
import re
import runpy
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from check_links import SITE
from conftest import ROOT
from web import COLAB_BRANCH

from myoptim.datasets import default_root

WORKFLOW = ROOT / ".github" / "workflows" / "docs.yml"
READTHEDOCS = ROOT / ".readthedocs.yaml"


def test_link_checker_reads_where_the_build_writes() -> None:
    assert runpy.run_path(str(ROOT / "docs" / "build.py"))["SITE"] == SITE


def load(path: Path) -> dict[Any, Any]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def workflow() -> dict[Any, Any]:
    data = load(WORKFLOW)
    data["on"] = data.pop(True)  # YAML 1.1 reads the key `on` as true
    return data


def steps(job: str) -> list[dict[str, Any]]:
    return list(workflow()["jobs"][job]["steps"])


def nox_sessions() -> set[str]:
    tree = ast.parse((ROOT / "noxfile.py").read_text(encoding="utf-8"))
    return {
        node.name
        for node in tree.body
        if isinstance(node, ast.FunctionDef)
        and any(ast.unparse(d).split("(")[0] == "nox.session" for d in node.decorator_list)
    }


@pytest.mark.parametrize(
    ("path", "schema"),
    [(WORKFLOW, "vendor.github-workflows"), (READTHEDOCS, "vendor.readthedocs")],
    ids=["github-workflow", "readthedocs"],
)
def test_matches_its_published_schema(path: Path, schema: str) -> None:
    command = [sys.executable, "-m", "check_jsonschema", "--builtin-schema", schema, str(path)]
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout + result.stderr


def test_workflow_builds_every_change_and_deploys_only_main() -> None:
    on = workflow()["on"]
    assert on["push"]["branches"] == ["main"]
    assert "pull_request" in on
    deploy = workflow()["jobs"]["deploy"]
    assert deploy["needs"] == "build"
    assert re.fullmatch(
        r"github\.event_name == 'push' && github\.ref == 'refs/heads/main'", deploy["if"]
    )
    assert "if" not in workflow()["jobs"]["build"]  # pull requests build too


def test_workflow_has_least_privilege() -> None:
    assert workflow()["permissions"] == {"contents": "read"}
    jobs = workflow()["jobs"]
    assert set(jobs) == {"build", "deploy", "notebooks"}
    assert "permissions" not in jobs["build"]
    assert jobs["deploy"]["permissions"] == {"pages": "write", "id-token": "write"}
    assert jobs["deploy"]["environment"]["name"] == "github-pages"
    assert jobs["notebooks"]["permissions"] == {"contents": "write"}  # its branch, nothing else


def test_workflow_publishes_the_notebooks_colab_opens() -> None:
    """web.py's Colab links name the branch, and a folder per edition, that the job pushes."""
    notebooks = workflow()["jobs"]["notebooks"]
    assert notebooks["if"] == workflow()["jobs"]["deploy"]["if"]  # pushes to main only
    assert notebooks["needs"] == "build"
    collect = next(s for s in steps("build") if s.get("name") == "Collect the notebooks")
    for edition in ("ko", "en"):
        assert edition in collect["run"]
    assert "_downloads/*/plot_*.ipynb" in collect["run"]
    (upload,) = [s for s in steps("build") if s.get("with", {}).get("name") == "notebooks"]
    (download,) = [s for s in steps("notebooks") if "download-artifact" in s.get("uses", "")]
    assert download["with"]["name"] == upload["with"]["name"]
    push = next(s for s in steps("notebooks") if "git push" in s.get("run", ""))
    assert push["run"].strip().startswith(f"git init -q -b {COLAB_BRANCH}")
    assert push["run"].strip().endswith(f'.git" {COLAB_BRANCH}')


def test_workflow_builds_with_nox_and_publishes_the_built_site() -> None:
    commands = [step["run"] for step in steps("build") if "run" in step]
    used = {m for command in commands for m in re.findall(r"nox -s (\w+)", command)}
    assert {"docs", "linkcheck", "tests"} <= used <= nox_sessions()
    (upload,) = [s for s in steps("build") if s.get("uses", "").startswith("actions/upload-pages")]
    assert ROOT / upload["with"]["path"] == SITE
    (deploy,) = steps("deploy")
    assert deploy["uses"].startswith("actions/deploy-pages@")
    assert "download.pytorch.org/whl/cpu" in workflow()["env"]["PIP_EXTRA_INDEX_URL"]


def test_workflow_caches_what_the_build_executes(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MYOPTIM_DATA", raising=False)
    (cache,) = [s for s in steps("build") if s.get("uses", "").startswith("actions/cache@")]
    paths = set(cache["with"]["path"].split())
    conf = (ROOT / "docs" / "conf.py").read_text(encoding="utf-8")
    assert 'ROOT / "docs/_build/.jupyter_cache"' in conf  # the notebook cache
    assert '"gallery_dirs": "auto_examples"' in conf  # the gallery's outputs
    assert paths == {
        "docs/_build/.jupyter_cache",
        "docs/auto_examples",
        "docs/gen_modules",
        "~/" + default_root().relative_to(Path.home()).as_posix(),  # Fashion-MNIST
    }


def test_actions_are_pinned_to_a_major_version() -> None:
    uses = [s["uses"] for job in workflow()["jobs"] for s in steps(job) if "uses" in s]
    assert uses
    assert [u for u in uses if not re.fullmatch(r"actions/[\w-]+@v\d+", u)] == []


def test_readthedocs_builds_the_same_site() -> None:
    config = load(READTHEDOCS)
    assert config["version"] == 2
    python = config["build"]["tools"]["python"]
    assert tuple(map(int, python.split("."))) >= (3, 10)  # requires-python
    assert "nodejs" in config["build"]["tools"]  # math typeset when the book is built
    (build,) = [c for c in config["build"]["commands"] if "nox -s docs" in c]
    assert "--out $READTHEDOCS_OUTPUT/html" in build
    assert "download.pytorch.org/whl/cpu" in build
