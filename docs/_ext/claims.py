"""Sentences that compare, held to the numbers the build measured.

A sentence of the book that compares (one optimizer converges faster, one implementation is
slower) ends with the role ``{claim}`id```. The role renders as a reference to the figure the
claim rests on ("그림 3", "Figure 3"), so every such sentence names its evidence. ``id`` is a
key of ``CLAIMS`` in docs/evidence.py, which says which figure that is and how the claim follows
from the numbers the gallery examples wrote as JSON (``MYOPTIM_RESULTS``, set by conf.py).

After reading, every build evaluates every claim. A claim the numbers do not support, a claim
no page makes, an unknown id or a missing results file is a warning, which ``-W`` (docs/build.py)
turns into a failed build. A number the machine could not measure (compiled code without a C++
compiler: ``NotMeasured``) leaves its claims unchecked, and the build log says so. Under
``MYOPTIM_QUICK=1`` the examples run for seconds on a sliver of the data, so their numbers say
nothing about the full runs: the claims are evaluated (a missing number still fails) but
whether they hold is not checked.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from docutils import nodes
from sphinx.application import Sphinx
from sphinx.environment import BuildEnvironment
from sphinx.roles import XRefRole
from sphinx.util import logging
from sphinx.util.docutils import SphinxRole

logger = logging.getLogger(__name__)


def load_results(folder: Path) -> dict[str, Any]:
    """Each ``<name>.json`` of the folder, by name."""
    return {path.stem: json.loads(path.read_text()) for path in sorted(folder.glob("*.json"))}


NOT_SUPPORTED = "the numbers do not support it"
NOT_MEASURED = "not measured on this machine"


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


def init_env(app: Sphinx) -> None:
    if not hasattr(app.env, "myoptim_claims"):
        app.env.myoptim_claims = {}


def purge(app: Sphinx, env: BuildEnvironment, docname: str) -> None:
    env.myoptim_claims.pop(docname, None)


def merge(app: Sphinx, env: BuildEnvironment, docnames: set[str], other: BuildEnvironment) -> None:
    for docname in docnames:
        if docname in other.myoptim_claims:
            env.myoptim_claims[docname] = other.myoptim_claims[docname]


def check(app: Sphinx, env: BuildEnvironment) -> None:
    claims = _claims()
    made = {key for keys in env.myoptim_claims.values() for key in keys}
    for key in sorted(claims.keys() - made):
        logger.warning(f"claim {key!r} of docs/evidence.py is made by no page", type="claims")
    folder = Path(os.environ["MYOPTIM_RESULTS"])
    results = load_results(folder)
    needed = {name for claim in claims.values() for name in claim.results}
    for name in sorted(needed - results.keys()):
        logger.warning(
            f"{folder / name}.json is missing: the gallery examples write it when they run "
            f"(delete docs/auto_examples/.build-key to run them again)",
            type="claims",
        )
    if needed - results.keys():
        return
    quick = os.environ.get("MYOPTIM_QUICK") == "1"
    failed = failures(claims, results)
    for docname, keys in sorted(env.myoptim_claims.items()):
        for key in sorted(keys & failed.keys()):
            if quick and failed[key] == NOT_SUPPORTED:
                continue
            if failed[key].startswith(NOT_MEASURED):  # the example says so on its page
                logger.info(f"claim {key!r} not checked: {failed[key]}", location=docname)
                continue
            logger.warning(
                f"claim {key!r} ({claims[key].says}): {failed[key]}; see "
                + ", ".join(f"{folder / name}.json" for name in claims[key].results),
                location=docname,
                type="claims",
            )
    if quick:
        logger.info(f"claims: {len(claims)} evaluated; not checked, as MYOPTIM_QUICK=1")


def setup(app: Sphinx) -> dict[str, bool]:
    app.add_role("claim", ClaimRole())
    app.connect("builder-inited", init_env)
    app.connect("env-purge-doc", purge)
    app.connect("env-merge-info", merge)
    app.connect("env-check-consistency", check)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
