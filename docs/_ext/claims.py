"""Sentences that compare, held to the numbers the build measured.

A sentence of the book that compares (one optimizer converges faster, one implementation is
slower) ends with the role ``{claim}`id```. The role renders as a reference to the figure the
claim rests on ("그림 3", "Figure 3"), so every such sentence names its evidence. ``id`` is a
key of ``CLAIMS`` in docs/evidence.py, which says which figure that is and how the claim follows
from the numbers the gallery examples wrote as JSON (``MYOPTIM_RESULTS``, set by conf.py).

Every build evaluates every claim. What happens to one the numbers do not support depends on
what it rests on:

- A claim on a deterministic result (losses and accuracies with fixed seeds, state sizes) is a
  warning, which ``-W`` (docs/build.py) turns into a failed build.
- A claim on timings (one whose ``Claim`` has ``measured``) depends on the machine and its
  load, so on a reader's machine it never fails the build: the page says, in a note under the
  paragraph, what this build measured and that the sentence was written from the reference
  build's numbers. The reference build (``MYOPTIM_REFERENCE_BUILD=1``: CI, GitHub Pages, Read
  the Docs) holds timing claims as hard as the others, so the published text cannot drift
  from its figures. A busy moment on a shared builder can still slow one measurement, so
  such a build names the results its contradicted timing claims rest on in
  ``contradicted-timings.json`` of its doctree folder, and docs/build.py runs the examples
  that write them again before it gives up.

A claim no page makes, an unknown id or a missing results file is always a warning. A number
the machine could not measure (compiled code without a C++ compiler: ``NotMeasured``) leaves
its claims unchecked, and the build log says so. Under ``MYOPTIM_QUICK=1`` the examples run for
seconds on a sliver of the data, so their numbers say nothing about the full runs: the claims
are evaluated (a missing number still fails) but deterministic ones are not held to them, and
timing claims get their notes as in any reader's build.

When the numbers change (an example ran again) or the mode does, the pages that make claims
are read again, so their notes follow the numbers of the build that wrote them.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from docutils import nodes
from sphinx.application import Sphinx
from sphinx.environment import BuildEnvironment
from sphinx.roles import XRefRole
from sphinx.util import logging
from sphinx.util.docutils import SphinxRole

logger = logging.getLogger(__name__)

REFERENCE_VARIABLE = "MYOPTIM_REFERENCE_BUILD"
NOT_SUPPORTED = "the numbers do not support it"
NOT_MEASURED = "not measured on this machine"
CONTRADICTED = "contradicted-timings.json"
# The note under a paragraph whose timing claims this build's numbers contradict.
NOTE_TITLE = {"ko": "이 빌드에서 잰 시간", "en": "Timings measured by this build"}
NOTE_TEXT = {
    "ko": (
        "이 페이지를 빌드한 컴퓨터에서 잰 시간은 위 문단의 비교와 맞지 않습니다. 위 문단은 "
        "온라인에 공개된 판을 빌드할 때 잰 값을 바탕으로 쓴 것이고, 시간은 컴퓨터와 그때의 부하에 "
        "따라 달라집니다. 이 빌드에서 잰 값:"
    ),
    "en": (
        "The times measured on the machine that built this page do not bear out the comparison "
        "above. The paragraph was written from the numbers of the book's published build, and "
        "timings vary with the machine and its load. What this build measured:"
    ),
}


def load_results(folder: Path) -> dict[str, Any]:
    """Each ``<name>.json`` of the folder, by name."""
    return {path.stem: json.loads(path.read_text()) for path in sorted(folder.glob("*.json"))}


class NotMeasured(Exception):
    """Raised by a claim that reads a number its example could not measure on this machine
    (compiled code without a C++ compiler), with why: the claim goes unchecked."""


def failures(claims: dict[str, Any], results: dict[str, Any]) -> dict[str, str]:
    """The claims that the results do not support, with why: ``{id: reason}``."""
    failed = {}
    for key, claim in claims.items():
        try:
            if not claim.holds(results):
                failed[key] = NOT_SUPPORTED
        except NotMeasured as error:
            failed[key] = f"{NOT_MEASURED} ({error})"
        except (KeyError, IndexError, TypeError) as error:  # a result the claim reads is missing
            failed[key] = f"cannot be evaluated ({type(error).__name__}: {error})"
    return failed


@dataclass
class Verdicts:
    """What a build does with the claims its numbers do not support."""

    fails: dict[str, str] = field(default_factory=dict)  # id: why; each fails the build
    notes: dict[str, str] = field(default_factory=dict)  # id: what was measured, for the page
    unchecked: dict[str, str] = field(default_factory=dict)  # id: why; the log says so
    quick: set[str] = field(default_factory=set)  # not held to a quick build's numbers


def judge(
    claims: dict[str, Any], results: dict[str, Any], *, quick: bool, reference: bool
) -> Verdicts:
    """Sort the claims the results do not support into failures, notes and unchecked ones."""
    verdicts = Verdicts()
    for key, why in failures(claims, results).items():
        timing = claims[key].measured is not None
        if why.startswith(NOT_MEASURED):
            verdicts.unchecked[key] = why
        elif why != NOT_SUPPORTED:  # a number the claim reads is missing: the build is broken
            verdicts.fails[key] = why
        elif timing and not reference:
            verdicts.notes[key] = claims[key].measured(results)
        elif quick:
            verdicts.quick.add(key)
        else:
            verdicts.fails[key] = why
    return verdicts


def modes() -> dict[str, bool]:
    return {
        "quick": os.environ.get("MYOPTIM_QUICK") == "1",
        "reference": os.environ.get(REFERENCE_VARIABLE) == "1",
    }


class ClaimRole(SphinxRole):
    def run(self) -> tuple[list[nodes.Node], list[nodes.system_message]]:
        claims = _claims()
        if self.text not in claims:
            message = f"unknown claim {self.text!r}: add it to CLAIMS in docs/evidence.py"
            return [], [self.inliner.reporter.error(message, line=self.lineno)]
        self.env.myoptim_claims.setdefault(self.env.docname, set()).add(self.text)
        numref = XRefRole(lowercase=True, innernodeclass=nodes.inline, warn_dangling=True)
        figure = claims[self.text].figure
        refs, messages = numref("std:numref", self.rawtext, figure, self.lineno, self.inliner)
        return [nodes.inline("", "", *refs, classes=["claim", f"claim-{self.text}"])], messages


def _claims() -> dict[str, Any]:
    import evidence  # docs/evidence.py, imported when first needed (conf.py sets the path)

    return evidence.CLAIMS


def results_folder() -> Path:
    return Path(os.environ["MYOPTIM_RESULTS"])


def state() -> str:
    """What the claims' verdicts depend on besides the pages: the numbers and the modes."""
    digest = hashlib.sha256(json.dumps(modes()).encode())
    for path in sorted(results_folder().glob("*.json")):
        digest.update(path.name.encode() + path.read_bytes())
    return digest.hexdigest()


def init_env(app: Sphinx) -> None:
    if not hasattr(app.env, "myoptim_claims"):
        app.env.myoptim_claims = {}
    (Path(app.doctreedir) / CONTRADICTED).unlink(missing_ok=True)


def outdated(
    app: Sphinx, env: BuildEnvironment, added: set[str], changed: set[str], removed: set[str]
) -> list[str]:
    """The pages that make claims, when the numbers or the modes changed since their reading,
    and while a claim fails: their warnings come from reading them, and a build run again
    unchanged after a failure would otherwise pass."""
    now = state()
    judged = verdicts(app)
    failing = judged is None or bool(judged.fails)
    if getattr(env, "myoptim_claims_state", None) == now and not failing:
        return []
    env.myoptim_claims_state = now
    return sorted(env.myoptim_claims)


def purge(app: Sphinx, env: BuildEnvironment, docname: str) -> None:
    env.myoptim_claims.pop(docname, None)


def merge(app: Sphinx, env: BuildEnvironment, docnames: set[str], other: BuildEnvironment) -> None:
    for docname in docnames:
        if docname in other.myoptim_claims:
            env.myoptim_claims[docname] = other.myoptim_claims[docname]


def verdicts(app: Sphinx) -> Verdicts | None:
    """This build's verdicts (None while a results file is missing), computed once."""
    if not hasattr(app, "myoptim_verdicts"):
        claims = _claims()
        results = load_results(results_folder())
        needed = {name for claim in claims.values() for name in claim.results}
        complete = needed <= results.keys()
        app.myoptim_verdicts = judge(claims, results, **modes()) if complete else None
    return app.myoptim_verdicts


def check(app: Sphinx, env: BuildEnvironment) -> None:
    claims = _claims()
    made = {key for keys in env.myoptim_claims.values() for key in keys}
    for key in sorted(claims.keys() - made):
        logger.warning(f"claim {key!r} of docs/evidence.py is made by no page", type="claims")
    folder = results_folder()
    results = load_results(folder)
    needed = {name for claim in claims.values() for name in claim.results}
    for name in sorted(needed - results.keys()):
        logger.warning(
            f"{folder / name}.json is missing: the gallery examples write it when they run "
            f"(delete docs/auto_examples/.build-key to run them again)",
            type="claims",
        )
    judged = verdicts(app)
    if judged is None:
        return
    for docname, keys in sorted(env.myoptim_claims.items()):
        for key in sorted(keys):
            if key in judged.unchecked:
                logger.info(f"claim {key!r} not checked: {judged.unchecked[key]}", location=docname)
            elif key in judged.notes:
                logger.info(
                    f"claim {key!r} ({claims[key].says}) does not hold on this machine's "
                    f"timings, {judged.notes[key]}: the page says so in a note "
                    f"({REFERENCE_VARIABLE}=1 makes it fail the build)",
                    location=docname,
                )
            elif key in judged.fails:
                logger.warning(
                    f"claim {key!r} ({claims[key].says}): {judged.fails[key]}; see "
                    + ", ".join(f"{folder / name}.json" for name in claims[key].results),
                    location=docname,
                    type="claims",
                )
    timings = {
        name
        for key, why in judged.fails.items()
        if why == NOT_SUPPORTED and claims[key].measured is not None
        for name in claims[key].results
    }
    if timings:
        (Path(app.doctreedir) / CONTRADICTED).write_text(json.dumps(sorted(timings)))
    if judged.quick:
        logger.info(f"claims: {len(judged.quick)} not held to the numbers, as MYOPTIM_QUICK=1")


def add_notes(app: Sphinx, doctree: nodes.document, docname: str) -> None:
    """Under each paragraph whose timing claims this build contradicts, a note of the numbers."""
    judged = verdicts(app)
    if app.builder.format != "html" or judged is None or not judged.notes:
        return
    language = "en" if app.config.language == "en" else "ko"
    blocks: dict[nodes.Element, list[str]] = {}
    for claim in doctree.findall(nodes.inline):
        if "claim" not in claim["classes"]:
            continue
        key = next(c.removeprefix("claim-") for c in claim["classes"] if c.startswith("claim-"))
        if key in judged.notes:
            claim["classes"].append("claim-noted")
            # Under the claim's paragraph; a claim in a caption or a title, under its figure or
            # table (the block that stands in the section).
            block = claim.parent
            while not isinstance(block, nodes.paragraph) and not isinstance(
                block.parent, (nodes.Structural, nodes.document)
            ):
                block = block.parent
            blocks.setdefault(block, []).append(key)
    for block, keys in blocks.items():
        measured = nodes.bullet_list(
            "", *(nodes.list_item("", nodes.paragraph("", judged.notes[k])) for k in keys)
        )
        note = nodes.admonition(
            "",
            nodes.title("", NOTE_TITLE[language]),
            nodes.paragraph("", NOTE_TEXT[language]),
            measured,
            classes=["note", "claim-note"],
        )
        block.parent.insert(block.parent.index(block) + 1, note)


def setup(app: Sphinx) -> dict[str, bool]:
    app.add_role("claim", ClaimRole())
    app.connect("builder-inited", init_env)
    app.connect("env-get-outdated", outdated)
    app.connect("env-purge-doc", purge)
    app.connect("env-merge-info", merge)
    app.connect("env-check-consistency", check)
    app.connect("doctree-resolved", add_notes)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
