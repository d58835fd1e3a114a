"""Comparative sentences: each names its figure, and the build holds it to the numbers.

docs/_ext/claims.py and docs/evidence.py. The quick build's examples run on a sliver of the data,
so its numbers cannot support the claims; what is checked against them here is that every
claim reads numbers the examples really write. Whether the claims hold is checked by every
full build (``nox -s docs``, the hosted builds), which fails when one does not: the mini
projects below show that it does.
"""

from __future__ import annotations

import copy
import json
import os
import textwrap
from pathlib import Path

import pytest
from bs4 import BeautifulSoup
from claims import failures, load_results
from conftest import ROOT, build_small
from evidence import CLAIMS

EDITIONS = ("ko", "en")


@pytest.fixture(scope="module")
def results(project: Path) -> dict:
    """The numbers the quick build's examples wrote."""
    return load_results(project / "docs" / "auto_examples" / "results")


def pages_making(site: Path, edition: str) -> dict[str, list[str]]:
    """Each claim's id: the figure addresses of the pages that make it."""
    made: dict[str, list[str]] = {}
    for page in (site / edition / "chapter").glob("*.html"):
        soup = BeautifulSoup(page.read_text(encoding="utf-8"), "html.parser")
        for span in soup.select("span.claim"):
            key = next(c for c in span["class"] if c.startswith("claim-")).removeprefix("claim-")
            made.setdefault(key, []).extend(a["href"] for a in span.select("a[href]"))
    return made


@pytest.mark.parametrize("edition", EDITIONS)
def test_every_claim_is_made_and_names_its_figure(site: Path, edition: str) -> None:
    made = pages_making(site, edition)
    assert set(made) == set(CLAIMS)
    for key, links in made.items():
        assert links, f"{key} renders no link to its figure"
        assert all(link.endswith(f"#{CLAIMS[key].figure}") for link in links), (key, links)


def test_every_claim_reads_numbers_the_examples_write(results: dict) -> None:
    assert set(results) == {name for claim in CLAIMS.values() for name in claim.results}
    unreadable = {k: why for k, why in failures(CLAIMS, results).items() if "evaluated" in why}
    assert unreadable == {}


def test_a_changed_result_breaks_the_claims_that_rest_on_it(results: dict) -> None:
    """Make SGD the best at lr 1e-3 and Adam the fastest on 1000 tensors: those claims fail."""
    changed = copy.deepcopy(results)
    same_lr = changed["fashion_mnist"]["same_lr"]
    same_lr["MySGD"]["loss"] = [0.0] * len(same_lr["MySGD"]["loss"])
    many = changed["optimizer_speed"]["ms_per_step"]["many_tensors"]
    many["Flattened(MyAdam)"] = 10 * max(many.values())
    failed = failures(CLAIMS, changed)
    assert {"sgd-slowest", "momentum-faster-than-sgd", "flattened-beats-fused-on-many"} <= set(
        failed
    )
    before = failures(CLAIMS, results)
    assert not {"state-sizes", "best-lr-from-the-sweep"} & (set(failed) - set(before))


def test_what_could_not_be_measured_goes_unchecked(results: dict) -> None:
    """Without a C++ compiler the speed example leaves the compiled rows out, and says why."""
    unmeasured = copy.deepcopy(results)
    speed = unmeasured["optimizer_speed"]
    reason = "torch.compile needs a C++ compiler"
    compiled = ("Flattened(MyAdam, compile=True)", "Flattened(MyCompiledAdam)")
    speed["not_measured"] = dict.fromkeys(compiled, reason)
    for table in speed["ms_per_step"].values():
        for name in compiled:
            del table[name]
    failed = failures(CLAIMS, unmeasured)
    before = failures(CLAIMS, results)
    new = {k: why for k, why in failed.items() if k not in before}
    assert set(new) == {"compiled-adam-slower", "compiled-within-3x-bound"}
    for why in new.values():
        assert why.startswith("not measured on this machine")
        assert reason in why


MINI_CONF = """
import os, sys
sys.path[:0] = [{ext!r}, os.path.dirname(__file__)]
extensions = ["myst_parser", "claims"]
numfig = True
"""
MINI_EVIDENCE = """
from dataclasses import dataclass
from typing import Callable

from claims import NotMeasured

@dataclass(frozen=True)
class Claim:
    results: tuple
    figure: str
    says: str
    holds: Callable

def time(r, name):
    if reason := r["race"].get("not_measured", {{}}).get(name):
        raise NotMeasured(reason)
    return r["race"][name]

CLAIMS = {{"a-beats-b": Claim(("race",), "fig-race", "a is faster than b",
                              lambda r: time(r, "a") < time(r, "b"))}}
"""
MINI_PAGE = """
# Race

```{{figure}} race.png
:name: fig-race

The race.
```

A was faster than B {{claim}}`{claim}`.
"""


def build_mini(tmp_path: Path, times: dict, claim: str = "a-beats-b", quick: bool = False):
    docs = tmp_path / "docs"
    (docs / "results").mkdir(parents=True)
    (docs / "conf.py").write_text(MINI_CONF.format(ext=str(ROOT / "docs" / "_ext")))
    (docs / "evidence.py").write_text(textwrap.dedent(MINI_EVIDENCE.format()))
    (docs / "index.md").write_text(MINI_PAGE.format(claim=claim))
    (docs / "race.png").write_bytes((ROOT / "docs" / "_static" / "favicon.svg").read_bytes())
    (docs / "results" / "race.json").write_text(json.dumps(times))
    env = {**os.environ, "MYOPTIM_RESULTS": str(docs / "results")}
    env.pop("MYOPTIM_QUICK", None)
    if quick:
        env["MYOPTIM_QUICK"] = "1"
    return build_small(docs, tmp_path / "html", env)


def test_a_supported_claim_builds_and_links_its_figure(tmp_path: Path) -> None:
    result = build_mini(tmp_path, {"a": 1.0, "b": 2.0})
    assert result.returncode == 0, result.stderr
    soup = BeautifulSoup((tmp_path / "html" / "index.html").read_text(), "html.parser")
    link = soup.select_one("span.claim-a-beats-b a")
    assert link["href"] == "#fig-race"
    assert link.get_text() == "Fig. 1"


def test_a_claim_the_numbers_contradict_fails_the_build(tmp_path: Path) -> None:
    result = build_mini(tmp_path, {"a": 3.0, "b": 2.0})
    assert result.returncode != 0
    assert "claim 'a-beats-b' (a is faster than b): the numbers do not support it" in result.stderr


def test_a_quick_build_does_not_hold_claims_to_its_numbers(tmp_path: Path) -> None:
    assert build_mini(tmp_path, {"a": 3.0, "b": 2.0}, quick=True).returncode == 0


def test_a_missing_number_fails_even_a_quick_build(tmp_path: Path) -> None:
    result = build_mini(tmp_path, {"a": 3.0}, quick=True)
    assert result.returncode != 0
    assert "cannot be evaluated (KeyError" in result.stderr


def test_an_unknown_claim_fails_the_build(tmp_path: Path) -> None:
    result = build_mini(tmp_path, {"a": 1.0, "b": 2.0}, claim="a-is-best")
    assert result.returncode != 0
    assert "unknown claim 'a-is-best'" in result.stderr


def test_a_number_that_could_not_be_measured_does_not_fail_the_build(tmp_path: Path) -> None:
    times = {"b": 2.0, "not_measured": {"a": "no C++ compiler"}}
    result = build_mini(tmp_path, times)
    assert result.returncode == 0, result.stderr
