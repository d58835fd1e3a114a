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
from claims import REFERENCE_VARIABLE
from conftest import ROOT
from web import COLAB_BRANCH

from myoptim.datasets import default_root

WORKFLOW = ROOT / ".github" / "workflows" / "docs.yml"
READTHEDOCS = ROOT / ".readthedocs.yaml"


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


def nox_constant(name: str) -> str:
    """The source of a constant the noxfile assigns."""
    tree = ast.parse((ROOT / "noxfile.py").read_text(encoding="utf-8"))
    (value,) = [
        node.value
        for node in tree.body
        if isinstance(node, ast.Assign) and ast.unparse(node.targets[0]) == name
    ]
    return ast.unparse(value)


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
    assert "workflow_dispatch" in on  # a manual run on main deploys (see below)
    deploy = workflow()["jobs"]["deploy"]
    assert deploy["needs"] == "build"
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
    (pack,) = [c for c in commands if c.startswith("tar ")]
    packed = re.search(r"-C (\S+) -cf \"\$RUNNER_TEMP/artifact.tar\" \.$", pack.strip())
    assert packed, pack
    assert ROOT / packed[1] == runpy.run_path(str(ROOT / "docs" / "build.py"))["SITE"]
    (upload,) = [s for s in steps("build") if s.get("with", {}).get("name") == "github-pages"]
    assert upload["with"]["path"] == "${{ runner.temp }}/artifact.tar"  # what deploy-pages reads
    # PyTorch's CPU wheels come from the noxfile (test_noxfile.py); a PIP_ variable here would
    # replace pip's own index settings instead of adding to them.
    assert [k for k in workflow().get("env", {}) if k.startswith("PIP_")] == []


def test_workflow_explains_the_pages_setting_it_cannot_make() -> None:
    check, deploy = steps("deploy")
    assert 'gh api "repos/$GITHUB_REPOSITORY/pages"' in check["run"]
    assert "Settings > Pages > Source: GitHub Actions" in check["run"]
    assert deploy["uses"].startswith("actions/deploy-pages@")


@pytest.mark.parametrize(
    ("event", "ref", "deploys"),
    [
        ("push", "refs/heads/main", True),
        ("workflow_dispatch", "refs/heads/main", True),
        ("push", "refs/heads/feature", False),
        ("workflow_dispatch", "refs/heads/feature", False),
        ("pull_request", "refs/pull/1/merge", False),
    ],
    ids=["push-main", "dispatch-main", "push-branch", "dispatch-branch", "pull-request"],
)
def test_workflow_deploys_main_only(event: str, ref: str, deploys: bool) -> None:
    for job in ("deploy", "notebooks"):
        condition = workflow()["jobs"][job]["if"]
        python = condition.replace("github.event_name", repr(event))
        python = python.replace("github.ref", repr(ref)).replace("&&", "and").replace("||", "or")
        assert re.fullmatch(r"[\w\s'/!=.]+", python), condition  # comparisons, nothing else
        assert eval(python) is deploys, (job, condition)


def test_workflow_saves_its_caches_after_red_runs_too() -> None:
    """A failed run's outputs and data are kept, so that its retry does not start cold."""
    build = workflow()["jobs"]["build"]
    uses = [s.get("uses", "") for s in build["steps"]]
    assert not [u for u in uses if u.startswith("actions/cache@")]  # saves on success only
    restore = build["steps"][next(i for i, u in enumerate(uses) if "cache/restore@" in u)]
    save = build["steps"][next(i for i, u in enumerate(uses) if "cache/save@" in u)]
    assert save["if"] == "always()"
    assert restore["with"]["path"] == save["with"]["path"]
    assert restore["with"]["key"] == save["with"]["key"]
    key = build["env"][re.fullmatch(r"\$\{\{ env\.(\w+) \}\}", save["with"]["key"])[1]]
    # A cache key is written once: a key of its own for each attempt is always saved.
    assert "${{ github.run_id }}" in key
    assert "${{ github.run_attempt }}" in key
    assert key.startswith(restore["with"]["restore-keys"])
    order = [s.get("name") or s.get("uses") or s["run"] for s in build["steps"]]
    assert order.index(restore["uses"]) < order.index("Build both editions")
    assert order.index("Build both editions") < order.index(save["uses"])


def test_workflow_caches_what_the_build_executes(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MYOPTIM_DATA", raising=False)
    build = workflow()["jobs"]["build"]
    (save,) = [s for s in build["steps"] if s.get("uses", "").startswith("actions/cache/save@")]
    assert save["with"]["path"] == "${{ env.EXECUTED }}"
    conf = (ROOT / "docs" / "conf.py").read_text(encoding="utf-8")
    assert 'ROOT / "docs/_build/.jupyter_cache"' in conf  # the notebook cache
    assert '"gallery_dirs": "auto_examples"' in conf  # the gallery's outputs
    assert set(build["env"]["EXECUTED"].split()) == {
        "docs/_build/.jupyter_cache",
        "docs/auto_examples",
        "docs/gen_modules",
        "~/" + default_root().relative_to(Path.home()).as_posix(),  # Fashion-MNIST
    }


def test_workflow_installs_korean_fonts() -> None:
    """The runner is Ubuntu, where the noxfile installs nothing (tests/test_noxfile.py)."""
    install = [
        s
        for s in steps("build")
        if re.search(r"sudo apt-get install .*\bfonts-nanum\b", s.get("run", ""))
    ]
    assert install
    order = [s.get("name") for s in steps("build")]
    assert order.index(install[0]["name"]) < order.index("Check the site in a browser")


# The first major version of each action that runs on Node.js 24: GitHub's runners dropped
# Node.js 20 on 2026-09-16.
NODE_24 = {
    "actions/checkout": 5,
    "actions/setup-python": 6,
    "actions/cache/restore": 5,
    "actions/cache/save": 5,
    "actions/upload-artifact": 6,
    "actions/download-artifact": 5,
    "actions/deploy-pages": 5,
}


def test_actions_are_pinned_to_a_major_version_that_runs() -> None:
    uses = [s["uses"] for job in workflow()["jobs"] for s in steps(job) if "uses" in s]
    assert uses
    assert [u for u in uses if not re.fullmatch(r"actions/[\w-]+(/[\w-]+)?@v\d+", u)] == []
    assert [u for u in uses if int(u.split("@v")[1]) < NODE_24[u.split("@")[0]]] == []


def test_workflow_pins_its_runner_and_overwrites_re_run_artifacts() -> None:
    assert {job["runs-on"] for job in workflow()["jobs"].values()} == {"ubuntu-24.04"}
    uploads = [s for s in steps("build") if s.get("uses", "").startswith("actions/upload-artifact")]
    assert len(uploads) == 3  # screenshots, notebooks, the site
    assert all(s["with"]["overwrite"] is True for s in uploads)


NOXFILE = (ROOT / "noxfile.py").read_text(encoding="utf-8")


def test_one_nox_version_everywhere_and_the_noxfile_says_which() -> None:
    needs = re.search(r'^nox\.needs_version = "(.+)"', NOXFILE, re.M)
    assert needs, "noxfile.py sets no nox.needs_version"
    assert needs[1] == ">=2025.2.9"  # nox.project.dependency_groups
    for path in (ROOT / ".ci" / "run", WORKFLOW, READTHEDOCS):
        assert f'"nox{needs[1]}"' in path.read_text(encoding="utf-8"), path


def test_every_session_with_torch_installs_it_from_the_noxfiles_index() -> None:
    """The index itself, and what happens when it does not answer: tests/test_noxfile.py."""
    assert NOXFILE.count('session.install(".",') == 1  # in install(), nowhere else
    assert 'TORCH_INDEX = os.environ.get(\n    "MYOPTIM_TORCH_INDEX"' in NOXFILE
    assert "PIP_EXTRA_INDEX_URL" not in NOXFILE  # it would replace pip's configured indexes


def test_readthedocs_output_is_ignored_by_git() -> None:
    command = ["git", "check-ignore", "-q", "_readthedocs/html/index.html"]
    assert subprocess.run(command, cwd=ROOT, check=False).returncode == 0


def test_readthedocs_builds_the_same_site() -> None:
    config = load(READTHEDOCS)
    assert config["version"] == 2
    python = config["build"]["tools"]["python"]
    book_python = ast.literal_eval(nox_constant("BOOK_PYTHON"))
    assert tuple(map(int, python.split("."))) >= book_python  # what Sphinx 9 needs
    assert "nodejs" in config["build"]["tools"]  # math typeset when the book is built
    (build,) = [c for c in config["build"]["commands"] if "nox -s docs" in c]
    assert "--out $READTHEDOCS_OUTPUT/html" in build
    assert "PIP_" not in build  # pip's own settings stay; the noxfile adds torch's index


def test_ci_and_the_hosted_builds_hold_timing_claims() -> None:
    """The reader's build notes a timing its machine contradicts; CI's and the published
    builds fail on it instead, so the published text cannot drift from its figures."""
    (build,) = [s for s in steps("build") if "nox -s docs" in s.get("run", "")]
    assert build["env"][REFERENCE_VARIABLE] == "1"
    (rtd,) = [c for c in load(READTHEDOCS)["build"]["commands"] if "nox -s docs" in c]
    assert rtd.startswith(f"{REFERENCE_VARIABLE}=1 ")
    ci = (ROOT / ".ci" / "run").read_text().splitlines()
    assert any(re.fullmatch(rf"{REFERENCE_VARIABLE}=1 python3 -m nox .*-s docs", c) for c in ci)
