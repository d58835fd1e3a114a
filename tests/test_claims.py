"""Comparative sentences: each names its figure, and the build holds it to the numbers.

docs/_ext/claims.py and docs/evidence.py. The quick build's examples run on a sliver of the data,
so its numbers cannot support the claims; what is checked against them here is that every
claim reads numbers the examples really write, and that timings, whatever they are, change
only what the timing claims say. Whether the claims hold is checked by every full build
(``nox -s docs``; timing claims only by the reference build, MYOPTIM_REFERENCE_BUILD=1), which
fails when one does not: the mini projects below show that it does, and that a reader's build
notes a contradicted timing instead.
"""

from __future__ import annotations

import copy
import itertools
import json
import os
import random
import re
import runpy
import textwrap
from pathlib import Path

import pytest
from bs4 import BeautifulSoup
from claims import NOTE_TITLE, REFERENCE_VARIABLE, failures, judge, load_results
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


def timed(results: dict) -> list[str]:
    """What the results time: each optimizer's epochs, each implementation's step on each
    problem ("mlp/torch fused"), and the speed example's memory bound ("bound")."""
    speed = results["optimizer_speed"]["ms_per_step"]
    names = [*results["fashion_mnist"]["same_lr"], "bound"]
    return names + [f"{problem}/{name}" for problem, table in speed.items() for name in table]


def scale_timings(results: dict, factors: dict[str, float]) -> dict:
    """The results with each of their times multiplied by its factor, as another machine or
    its load might give them."""
    scaled = copy.deepcopy(results)
    for setting in ("same_lr", "best_lr"):
        for name, run in scaled["fashion_mnist"][setting].items():
            run["seconds_per_epoch"] *= factors[name]
    speed = scaled["optimizer_speed"]
    for problem, table in speed["ms_per_step"].items():
        for name in table:
            table[name] *= factors[f"{problem}/{name}"]
    speed["bound_ms"] *= factors["bound"]
    speed["copy_gb_per_s"] /= factors["bound"]
    return scaled


TIMING_CLAIMS = {key for key, claim in CLAIMS.items() if claim.measured}


def test_timings_scaled_from_a_third_to_three_times_never_fail_a_readers_build(
    results: dict,
) -> None:
    """Each time scaled by its own factor in [0.3, 3]: what fails a reader's build stays what
    it was (so every claim that reads a time is marked as a timing claim), a timing claim gets
    a note exactly when the scaled numbers contradict it, and the reference build fails
    exactly then."""
    names = timed(results)
    cases = [dict.fromkeys(names, f) for f in (0.3, 1.0, 3.0)]
    for name, (alone, rest) in itertools.product(names, ((0.3, 3.0), (3.0, 0.3))):
        cases.append(dict.fromkeys(names, rest) | {name: alone})
    draws = random.Random(0)
    cases += [{n: 10 ** draws.uniform(-0.52, 0.48) for n in names} for _ in range(200)]
    before = judge(CLAIMS, results, quick=False, reference=False)
    measurable = TIMING_CLAIMS - before.unchecked.keys()
    noted = set()
    for factors in cases:
        scaled = scale_timings(results, factors)
        reader = judge(CLAIMS, scaled, quick=False, reference=False)
        assert reader.fails == before.fails, factors
        contradicted = {key for key in measurable if not CLAIMS[key].holds(scaled)}
        assert reader.notes.keys() == contradicted, factors
        reference = judge(CLAIMS, scaled, quick=False, reference=True)
        assert reference.fails.keys() - before.fails.keys() == contradicted, factors
        noted |= contradicted
    assert noted == measurable  # each timing claim was contradicted by some case


def test_a_timing_note_gives_the_numbers_it_compares(results: dict) -> None:
    slow = scale_timings(
        results, dict.fromkeys(timed(results), 1.0) | {"MyAdam": 100.0, "bound": 0.01}
    )
    notes = judge(CLAIMS, slow, quick=False, reference=False).notes
    adam = slow["fashion_mnist"]["same_lr"]["MyAdam"]["seconds_per_epoch"]
    assert f"MyAdam {adam:.2f} s" in notes["adam-epoch-slower-than-sgd"]
    if "compiled-within-3x-bound" in notes:  # measured where there is a C++ compiler
        bound = slow["optimizer_speed"]["bound_ms"]
        assert f"memory bound {bound:.3g} ms" in notes["compiled-within-3x-bound"]


@pytest.mark.skipif(not hasattr(os, "wait4"), reason="the load's CPU time is read by os.wait4")
def test_the_tests_book_was_built_while_every_core_was_busy(project: Path) -> None:
    load = json.loads((project / "docs" / "_build" / "load.json").read_text())
    assert load["load_cpu_seconds"] >= 0.25 * load["cores"] * load["seconds"], load


def noted_claims(site: Path, edition: str) -> dict[str, set[str]]:
    """Each chapter page's claims that carry a note under their paragraph."""
    noted = {}
    for page in (site / edition / "chapter").glob("*.html"):
        soup = BeautifulSoup(page.read_text(encoding="utf-8"), "html.parser")
        keys = set()
        for note in soup.select("div.claim-note"):
            paragraph = note.find_previous_sibling("p")
            keys |= {
                c.removeprefix("claim-")
                for span in paragraph.select("span.claim-noted")
                for c in span["class"]
                if c.startswith("claim-") and c != "claim-noted"
            }
        noted[page.stem] = keys
    return noted


@pytest.mark.parametrize("edition", EDITIONS)
def test_the_quick_build_notes_exactly_the_timings_it_contradicts(
    project: Path, results: dict, edition: str
) -> None:
    """The tests' book is built while every core is busy: whatever its timings say, the build
    passed, and each page notes the timing claims its numbers contradict, and no others."""
    expected = judge(CLAIMS, results, quick=True, reference=False).notes.keys()
    noted = noted_claims(project / "docs" / "_build" / "html", edition)
    assert set().union(*noted.values()) == expected


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
language = {language!r}
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
    measured: Callable | None = None

def time(r, name):
    if reason := r["race"].get("not_measured", {}).get(name):
        raise NotMeasured(reason)
    return r["race"]["time"][name]

CLAIMS = {
    "a-beats-b": Claim(("race",), "fig-race", "a scores higher than b",
                       lambda r: r["race"]["score"]["a"] > r["race"]["score"]["b"]),
    "a-faster-than-b": Claim(("race",), "fig-race", "a is faster than b",
                             lambda r: time(r, "a") < time(r, "b"),
                             lambda r: f"a {time(r, 'a')} s, b {time(r, 'b')} s"),
}
"""
MINI_PAGE = """
# Race

```{{figure}} race.png
:name: fig-race

{caption}
```

A scored higher than B {{claim}}`{claim}`.

- A was faster than B {{claim}}`a-faster-than-b`.
"""
FAIR = {"score": {"a": 2, "b": 1}, "time": {"a": 1.0, "b": 2.0}}


def build_mini(
    tmp_path: Path,
    race: dict,
    claim: str = "a-beats-b",
    quick: bool = False,
    reference: bool = False,
    language: str = "ko",
    caption: str = "The race.",
):
    docs = tmp_path / "docs"
    (docs / "results").mkdir(parents=True, exist_ok=True)
    conf = MINI_CONF.format(ext=str(ROOT / "docs" / "_ext"), language=language)
    (docs / "conf.py").write_text(conf)
    (docs / "evidence.py").write_text(textwrap.dedent(MINI_EVIDENCE))
    (docs / "index.md").write_text(MINI_PAGE.format(claim=claim, caption=caption))
    (docs / "race.png").write_bytes((ROOT / "docs" / "_static" / "favicon.svg").read_bytes())
    (docs / "results" / "race.json").write_text(json.dumps(race))
    env = {**os.environ, "MYOPTIM_RESULTS": str(docs / "results")}
    for variable, on in (("MYOPTIM_QUICK", quick), (REFERENCE_VARIABLE, reference)):
        env.pop(variable, None)
        if on:
            env[variable] = "1"
    return build_small(docs, tmp_path / "html", env)


def page(tmp_path: Path) -> BeautifulSoup:
    return BeautifulSoup((tmp_path / "html" / "index.html").read_text(), "html.parser")


def test_a_supported_claim_builds_and_links_its_figure(tmp_path: Path) -> None:
    result = build_mini(tmp_path, FAIR, language="en")
    assert result.returncode == 0, result.stderr
    link = page(tmp_path).select_one("span.claim-a-beats-b a")
    assert link["href"] == "#fig-race"
    assert link.get_text() == "Fig. 1"
    assert not page(tmp_path).select(".claim-note")


def test_a_claim_the_numbers_contradict_fails_the_build(tmp_path: Path) -> None:
    result = build_mini(tmp_path, FAIR | {"score": {"a": 1, "b": 2}})
    assert result.returncode != 0
    assert "claim 'a-beats-b' (a scores higher than b): the numbers do not support it" in (
        result.stderr
    )


@pytest.mark.parametrize("language", EDITIONS)
def test_a_contradicted_timing_is_a_note_on_a_readers_machine(
    tmp_path: Path, language: str
) -> None:
    result = build_mini(tmp_path, FAIR | {"time": {"a": 3.0, "b": 2.0}}, language=language)
    assert result.returncode == 0, result.stderr
    note = page(tmp_path).select_one("li div.admonition.claim-note")  # in the list item
    assert note.select_one(".admonition-title").get_text() == NOTE_TITLE[language]
    assert note.select_one("li").get_text() == "a 3.0 s, b 2.0 s"
    assert note.find_previous_sibling("p").select_one("span.claim-noted.claim-a-faster-than-b")
    assert len(page(tmp_path).select(".claim-note")) == 1  # the deterministic claim holds


def test_a_contradicted_timing_in_a_caption_is_noted_under_its_figure(tmp_path: Path) -> None:
    caption = "A won by a second {claim}`a-faster-than-b`."
    result = build_mini(tmp_path, FAIR | {"time": {"a": 3.0, "b": 2.0}}, caption=caption)
    assert result.returncode == 0, result.stderr
    notes = page(tmp_path).select(".claim-note")
    assert len(notes) == 2
    assert notes[0].find_previous_sibling().name == "figure"


def test_the_reference_build_fails_on_a_contradicted_timing(tmp_path: Path) -> None:
    result = build_mini(tmp_path, FAIR | {"time": {"a": 3.0, "b": 2.0}}, reference=True)
    assert result.returncode != 0
    assert "claim 'a-faster-than-b' (a is faster than b): the numbers do not support it" in (
        result.stderr
    )


def test_a_rebuild_follows_new_numbers_without_a_changed_page(tmp_path: Path) -> None:
    """The numbers change (an example ran again) and the pages do not: the note follows."""
    assert build_mini(tmp_path, FAIR).returncode == 0
    assert not page(tmp_path).select(".claim-note")
    assert build_mini(tmp_path, FAIR | {"time": {"a": 3.0, "b": 2.0}}).returncode == 0
    assert page(tmp_path).select(".claim-note")
    assert build_mini(tmp_path, FAIR | {"time": {"a": 3.0, "b": 2.0}}, reference=True).returncode
    assert build_mini(tmp_path, FAIR).returncode == 0
    assert not page(tmp_path).select(".claim-note")


def test_a_failed_build_run_again_unchanged_fails_again(tmp_path: Path) -> None:
    """A claim is checked when its page is read: while one fails, its pages are read again."""
    assert build_mini(tmp_path, FAIR | {"score": {"a": 1, "b": 2}}).returncode != 0
    env = {**os.environ, "MYOPTIM_RESULTS": str(tmp_path / "docs" / "results")}
    again = build_small(tmp_path / "docs", tmp_path / "html", env)
    assert again.returncode != 0
    assert "claim 'a-beats-b'" in again.stderr


def test_a_quick_build_does_not_hold_claims_to_its_numbers(tmp_path: Path) -> None:
    race = {"score": {"a": 1, "b": 2}, "time": {"a": 3.0, "b": 2.0}}
    assert build_mini(tmp_path, race, quick=True).returncode == 0


def test_a_missing_number_fails_even_a_quick_build(tmp_path: Path) -> None:
    result = build_mini(tmp_path, FAIR | {"time": {"a": 3.0}}, quick=True)
    assert result.returncode != 0
    assert "cannot be evaluated (KeyError" in result.stderr


def test_an_unknown_claim_fails_the_build(tmp_path: Path) -> None:
    result = build_mini(tmp_path, FAIR, claim="a-is-best")
    assert result.returncode != 0
    assert "unknown claim 'a-is-best'" in result.stderr


def test_a_number_that_could_not_be_measured_does_not_fail_the_build(tmp_path: Path) -> None:
    race = FAIR | {"time": {"b": 2.0}, "not_measured": {"a": "no C++ compiler"}}
    result = build_mini(tmp_path, race, reference=True)
    assert result.returncode == 0, result.stderr


GALLERY_CONF = """
import os, sys
sys.path[:0] = [{ext!r}, os.path.dirname(__file__)]
extensions = ["myst_parser", "claims", "sphinx_gallery.gen_gallery"]
numfig = True
os.environ["MYOPTIM_RESULTS"] = os.path.join(os.path.dirname(__file__), "auto_examples", "results")
os.makedirs(os.environ["MYOPTIM_RESULTS"], exist_ok=True)
sphinx_gallery_conf = {{"examples_dirs": "gallery", "gallery_dirs": "auto_examples"}}
"""
RACE_EXAMPLE = '''
"""
The race
========
"""

import json
import os
from pathlib import Path

# Each run takes the next of the times the test lined up, as a machine's load would vary.
runs = Path(os.environ["RACE_RUNS"])
times = json.loads(runs.read_text())
runs.write_text(json.dumps(times[1:]))
race = {"score": {"a": 2, "b": 1}, "time": times[0]}
Path(os.environ["MYOPTIM_RESULTS"], "race.json").write_text(json.dumps(race))
'''
SLOW, FAST = {"a": 3.0, "b": 2.0}, {"a": 1.0, "b": 2.0}


@pytest.mark.parametrize("times", [[SLOW, FAST], [SLOW, SLOW, SLOW]], ids=["busy-once", "slower"])
def test_the_reference_build_measures_a_contradicted_timing_again(
    tmp_path: Path, capfd: pytest.CaptureFixture[str], monkeypatch, times
) -> None:
    """docs/build.py runs the example behind a contradicted timing claim again, up to its
    MEASUREMENTS in all: the build passes once a run supports the claim, and one that never
    does fails with the claim's warning at the end of the log."""
    build = runpy.run_path(str(ROOT / "docs" / "build.py"))
    docs = tmp_path / "docs"
    (docs / "gallery").mkdir(parents=True)
    (docs / "conf.py").write_text(GALLERY_CONF.format(ext=str(ROOT / "docs" / "_ext")))
    (docs / "evidence.py").write_text(textwrap.dedent(MINI_EVIDENCE))
    page = MINI_PAGE.format(claim="a-beats-b", caption="The race.")
    (docs / "index.md").write_text(page + "\n```{toctree}\nauto_examples/index\n```\n")
    (docs / "race.png").write_bytes((ROOT / "docs" / "_static" / "favicon.svg").read_bytes())
    (docs / "gallery" / "README.txt").write_text("Examples\n========\n")
    (docs / "gallery" / "plot_race.py").write_text(RACE_EXAMPLE)
    (tmp_path / "runs.json").write_text(json.dumps(times))
    monkeypatch.setenv("RACE_RUNS", str(tmp_path / "runs.json"))
    monkeypatch.setenv(REFERENCE_VARIABLE, "1")
    monkeypatch.delenv("MYOPTIM_QUICK", raising=False)
    assert len(times) <= build["MEASUREMENTS"]

    def run_build() -> None:
        build["build_edition"](docs, tmp_path / "doctrees" / "en", tmp_path / "html", ["-q"])

    if times[-1] == FAST:
        run_build()
    else:
        warning = "claim 'a-faster-than-b' (a is faster than b): the numbers do not support it"
        with pytest.raises(SystemExit, match=re.escape(warning)):
            run_build()
    log = capfd.readouterr().out
    assert json.loads((tmp_path / "runs.json").read_text()) == []  # the example ran each time
    assert log.count("running their examples again") == len(times) - 1
    assert "contradict claims resting on race: running their examples again" in log
