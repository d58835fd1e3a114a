"""Docs build time: a cold build of both editions, a rebuild with no change, the English edition.

    python benchmarks/docs_build.py [--smoke] [--out DIR]

Copies the working tree (what git tracks or would track) to a temporary folder and runs
``docs/build.py`` there twice: cold (no cache: every notebook cell and gallery example runs)
and again with no change. Each time it reports the Korean edition, the English edition
(built after it, reusing its execution: this is what the English edition adds) and the
total. Fashion-MNIST is read from the usual data folder (no download is timed).

Writes DIR/docs_build.json (default benchmarks/results/). ``--smoke`` builds with
MYOPTIM_QUICK=1, where every example runs for seconds (for CI).
"""

from __future__ import annotations

import argparse
import collections
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


def timed_build(project: Path, env: dict[str, str]) -> dict[str, float]:
    """Seconds per edition and in all, read off build.py's output as it runs."""
    command = [sys.executable, str(project / "docs" / "build.py")]
    start = time.perf_counter()
    marks: dict[str, float] = {}
    log: collections.deque[str] = collections.deque(maxlen=200)
    with subprocess.Popen(
        command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    ) as build:
        assert build.stdout is not None
        for line in build.stdout:
            log.append(line)
            if line.startswith("--- building the "):  # "--- building the en edition"
                marks[line.split()[3]] = time.perf_counter()
    if build.returncode:
        sys.exit("the build failed:\n" + "".join(log))
    end = time.perf_counter()
    return {"ko": marks["en"] - marks["ko"], "en": end - marks["en"], "total": end - start}


def measure(smoke: bool) -> dict[str, Any]:
    env = {**os.environ, "MPLBACKEND": "Agg"}
    if smoke:
        env["MYOPTIM_QUICK"] = "1"
    with tempfile.TemporaryDirectory() as folder:
        project = Path(folder)
        copy_working_tree(project)
        cold = timed_build(project, env)
        no_change = timed_build(project, env)
    for name, seconds in (("cold", cold), ("no change", no_change)):
        print(
            f"{name:10s} {seconds['total']:6.1f} s: Korean {seconds['ko']:.1f} s, "
            f"English {seconds['en']:.1f} s"
        )
    return {"smoke": smoke, "cold_s": cold, "no_change_s": no_change}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--smoke", action="store_true", help="quick examples (MYOPTIM_QUICK=1)")
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args()
    results = measure(args.smoke)
    save(results, args.out, "docs_build")


if __name__ == "__main__":
    main()
