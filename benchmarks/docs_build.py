"""Docs build time: a cold build of both editions, a rebuild with no change, the English edition.

    python benchmarks/docs_build.py [--smoke] [--out DIR]

Copies the working tree (what git tracks or would track) to a temporary folder and runs
``docs/build.py`` there three times: cold (no cache: every notebook cell and gallery example
runs), again with no change, and once more after deleting the English edition's output
and doctrees, so that the difference to the no-change rebuild is what the English edition
adds to a build. Fashion-MNIST is read from the usual data folder (no download is timed).

Writes DIR/docs_build.json (default benchmarks/results/). ``--smoke`` builds with
MYOPTIM_QUICK=1, where every example runs for seconds (for CI).
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from report import RESULTS, save

ROOT = Path(__file__).resolve().parents[1]


def copy_working_tree(target: Path) -> None:
    """The files git tracks or would track (not ignored), as they are now."""
    listing = ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"]
    names = subprocess.run(listing, cwd=ROOT, capture_output=True, check=True).stdout.split(b"\0")
    for name in filter(None, (n.decode() for n in names)):
        if (ROOT / name).is_file():
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, target / name)


def timed_build(project: Path, env: dict[str, str]) -> float:
    start = time.perf_counter()
    result = subprocess.run(
        [sys.executable, str(project / "docs" / "build.py")],
        env=env, capture_output=True, text=True, check=False,
    )  # fmt: skip
    if result.returncode:
        sys.exit(f"the build failed:\n{result.stdout[-2000:]}\n{result.stderr[-4000:]}")
    return time.perf_counter() - start


def measure(smoke: bool) -> dict[str, Any]:
    env = {**os.environ, "MPLBACKEND": "Agg"}
    if smoke:
        env["MYOPTIM_QUICK"] = "1"
    with tempfile.TemporaryDirectory() as folder:
        project = Path(folder)
        copy_working_tree(project)
        cold = timed_build(project, env)
        no_change = timed_build(project, env)
        for generated in ("editions/en", "doctrees/en"):
            shutil.rmtree(project / "docs" / "_build" / generated)
        english_again = timed_build(project, env)
    results = {
        "smoke": smoke,
        "cold_s": cold,
        "no_change_s": no_change,
        "english_edition_adds_s": english_again - no_change,
    }
    for name, seconds in results.items():
        if name != "smoke":
            print(f"{name:24s} {seconds:7.1f}")
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--smoke", action="store_true", help="quick examples (MYOPTIM_QUICK=1)")
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args()
    results = measure(args.smoke)
    save(results, args.out, "docs_build")


if __name__ == "__main__":
    main()
