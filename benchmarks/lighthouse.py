"""Lighthouse on the built site: performance, accessibility, best practices and SEO.

    python benchmarks/lighthouse.py [--smoke] [--out DIR] [--site DIR] [--runs N]

Serves the site that ``nox -s docs`` built (docs/_build/html, or --site) on localhost the way
GitHub Pages serves it: under the site's sub-path, text compressed with gzip, missing pages
answered by its 404.html. Then npm's ``lighthouse`` (the version benchmarks/package.json pins,
installed into benchmarks/node_modules on first use) audits, with the system's
Chromium, the landing page, the Adam page, the Fashion-MNIST example, the API page and the three
pages with figures the reader can move (docs/_ext/movable.py) of both editions (``--pages``
picks some), as a phone (Lighthouse's default: a mid-range phone on a slow 4G network, both
simulated) and as a desktop. Each audit runs N times (default 3) and keeps the run with the
median performance score, as Lighthouse advises: its scores vary from run to run, the more on
a machine as slow as this one (its CPU index is in the results).

This server speaks HTTP/1.1, GitHub Pages HTTP/2: with a dozen files per page, a phone on the
real site waits less than the simulation says here.

Writes DIR/lighthouse.json (default benchmarks/results/) and prints each audit and whether it
meets the book's goals: on a phone, performance 90 or more; everywhere, accessibility, best
practices and SEO 100; the landing page at most 300 KB transferred; a page with a movable
figure, performance 95 or more on a phone. ``--smoke`` audits one page
once as a phone (for CI).
"""

from __future__ import annotations

import argparse
import functools
import gzip
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from report import RESULTS, save

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "docs" / "_ext"))
from addresses import site_url  # noqa: E402

HERE = Path(__file__).resolve().parent
PAGES = [
    "index.html",
    "chapter/adam.html",
    "auto_examples/plot_fashion_mnist.html",
    "api.html",
    "chapter/quadratic.html",  # the pages with movable figures
    "chapter/preconditioning.html",
    "chapter/noise.html",
]
EDITIONS = ("ko", "en")
FORM_FACTORS = ("mobile", "desktop")
CATEGORIES = ("performance", "accessibility", "best-practices", "seo")
METRICS = {  # audit: what the results call it
    "first-contentful-paint": "fcp_ms",
    "largest-contentful-paint": "lcp_ms",
    "total-blocking-time": "tbt_ms",
    "cumulative-layout-shift": "cls",
    "speed-index": "speed_index_ms",
    "total-byte-weight": "transfer_bytes",
}
COMPRESSED = (".html", ".css", ".js", ".json", ".svg", ".txt", ".xml", ".ipynb", ".py")
BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")


class GitHubPagesLike(SimpleHTTPRequestHandler):
    """Static files as GitHub Pages sends them: text gzipped, a 404 page, ten minutes' cache."""

    site: Path
    prefix: str

    def log_message(self, format: str, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        path = urlsplit(self.path).path
        name = path.removeprefix(self.prefix)
        file = self.site / name
        if file.is_dir():
            file /= "index.html"
        status = 200
        if not path.startswith(self.prefix) or not file.is_file():
            status, file = 404, self.site / "404.html"
            if not file.is_file():  # a site without one
                self.send_error(404)
                return
        body = file.read_bytes()
        self.send_response(status)
        self.send_header("Content-Type", self.guess_type(str(file)))
        if file.suffix in COMPRESSED and "gzip" in self.headers.get("Accept-Encoding", ""):
            body = gzip.compress(body, 6)
            self.send_header("Content-Encoding", "gzip")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "max-age=600")
        self.end_headers()
        self.wfile.write(body)


@contextmanager
def serve(site: Path) -> Iterator[str]:
    prefix = urlsplit(site_url()).path
    handler = type("Handler", (GitHubPagesLike,), {"site": site, "prefix": prefix})
    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(handler, directory=site))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}{prefix}"
    finally:
        server.shutdown()
        server.server_close()


def lighthouse() -> Path:
    """The lighthouse command, installed when missing. No lock file: a dependency of
    Lighthouse asks for its own dependency's "latest" tag, which a lock cannot hold still
    (`npm ci` then refuses every lock as out of date)."""
    command = HERE / "node_modules" / ".bin" / "lighthouse"
    if not command.exists():
        npm = shutil.which("npm")
        if npm is None:
            sys.exit("lighthouse needs Node.js and npm: install them (Debian: apt-get install npm)")
        install = [npm, "install", "--no-package-lock", "--no-audit", "--no-fund"]
        subprocess.run(install, cwd=HERE, check=True)
    return command


def chromium() -> str:
    found = os.environ.get("MYOPTIM_CHROMIUM") or next(
        filter(None, map(shutil.which, BROWSERS)), None
    )
    if not found:
        sys.exit("lighthouse needs Chrome or Chromium: apt-get install chromium on Debian/Ubuntu")
    return found


def audit(url: str, form_factor: str, folder: Path) -> dict[str, Any]:
    """One Lighthouse run: the scores (0-100), the metrics, the requests."""
    report = folder / "report.json"
    command = [
        str(lighthouse()), url, "--quiet", "--output=json", f"--output-path={report}",
        "--chrome-flags=--headless=new --no-sandbox --disable-gpu",
        *(["--preset=desktop"] if form_factor == "desktop" else []),
    ]  # fmt: skip
    env = {**os.environ, "CHROME_PATH": chromium()}
    result = subprocess.run(command, capture_output=True, text=True, env=env, check=False)
    if result.returncode:
        sys.exit(f"lighthouse failed on {url}:\n{result.stderr[-3000:]}")
    data = json.loads(report.read_text(encoding="utf-8"))
    if error := data.get("runtimeError"):
        sys.exit(f"lighthouse could not audit {url}: {error['message']}")
    audits = data["audits"]
    return {
        "scores": {c: round(100 * data["categories"][c]["score"]) for c in CATEGORIES},
        **{name: round(audits[a]["numericValue"], 3) for a, name in METRICS.items()},
        "requests": len(audits["network-requests"]["details"]["items"]),
        "failed_audits": sorted(
            a
            for category in CATEGORIES[1:]
            for a in (r["id"] for r in data["categories"][category]["auditRefs"])
            if audits[a]["score"] is not None and audits[a]["score"] < 1
        ),
        "cpu_benchmark_index": data["environment"]["benchmarkIndex"],
    }


def median_run(url: str, form_factor: str, runs: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as folder:
        results = [audit(url, form_factor, Path(folder)) for _ in range(runs)]
    results.sort(key=lambda r: r["scores"]["performance"])
    kept = results[len(results) // 2]
    kept["performance_runs"] = [r["scores"]["performance"] for r in results]
    return kept


def goals(row: dict[str, Any]) -> list[str]:
    """The book's goals a row misses."""
    missed = []
    if row["form_factor"] == "mobile" and row["scores"]["performance"] < 90:
        missed.append("mobile performance < 90")
    if row["form_factor"] == "mobile" and row["movable"] and row["scores"]["performance"] < 95:
        missed.append("mobile performance < 95 with a movable figure")
    missed += [f"{c} < 100" for c in CATEGORIES[1:] if row["scores"][c] < 100]
    if row["page"] == "index.html" and row["transfer_bytes"] > 300_000:
        missed.append("landing page > 300 KB")
    return missed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--smoke", action="store_true")
    parser.add_argument("--out", type=Path, default=RESULTS)
    parser.add_argument("--site", type=Path, default=ROOT / "docs" / "_build" / "html")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--pages", nargs="+", choices=PAGES, default=PAGES)
    args = parser.parse_args()
    if not (args.site / "ko" / "index.html").is_file():
        sys.exit(f"No built site in {args.site}: build it first with `nox -s docs`.")
    plan = [
        (edition, page, form_factor)
        for edition in EDITIONS
        for page in args.pages
        for form_factor in FORM_FACTORS
    ]
    runs = 1 if args.smoke else args.runs
    if args.smoke:
        plan = plan[:1]
    rows = []
    with serve(args.site) as base:
        for edition, page, form_factor in plan:
            html = (args.site / edition / page).read_text(encoding="utf-8")
            row = {"edition": edition, "page": page, "form_factor": form_factor}
            row["movable"] = 'class="movable-words"' in html
            row |= median_run(f"{base}{edition}/{page}", form_factor, runs)
            row["missed_goals"] = goals(row)
            rows.append(row)
            scores = " ".join(f"{c} {row['scores'][c]:3d}" for c in CATEGORIES)
            print(
                f"{edition} {page:40s} {form_factor:7s} {scores}  "
                f"LCP {row['lcp_ms'] / 1000:.1f} s  TBT {row['tbt_ms']:.0f} ms  "
                f"{row['transfer_bytes'] / 1000:.0f} KB in {row['requests']} requests  "
                f"{'; '.join(row['missed_goals']) or 'meets the goals'}",
                flush=True,
            )
    performance = [r["scores"]["performance"] for r in rows if r["form_factor"] == "mobile"]
    save(
        {
            "runs_per_audit": runs,
            "rows": rows,
            "mobile_performance_median": statistics.median(performance),
            "missed_goals": sum(len(r["missed_goals"]) for r in rows),
        },
        args.out,
        "lighthouse",
    )


if __name__ == "__main__":
    main()
