"""What a removed or renamed page leaves behind is removed with it.

sphinx-gallery writes each example's page, script, notebook, figures and records into the
gallery folder and never deletes them. After an example is renamed or removed, its old page
stays in the source tree, belongs to no toctree, and fails every later build under ``-W``
(and in CI the cache restores it). So before the gallery is generated, every output of an
example whose script is gone is deleted: the files named after it, its figures, and the
numbers it wrote to ``$MYOPTIM_RESULTS`` (``plot_x.py`` writes ``x.json``).

Sphinx, likewise, leaves the HTML of a removed page in the output folder, where the site's
sitemap would still list it: it is deleted when Sphinx notices the page is gone.
"""

import os
import re
from pathlib import Path
from typing import Any

from sphinx.application import Sphinx
from sphinx.config import Config
from sphinx.environment import BuildEnvironment
from sphinx.util import logging

logger = logging.getLogger(__name__)
# What sphinx-gallery writes for an example plot_x.py: plot_x.rst, plot_x.py, ...
SUFFIXES = (".rst", ".py", ".ipynb", ".zip", ".codeobj.json", ".cost.json", ".py.md5")
FIGURE = re.compile(r"sphx_glr_(?P<stem>.+)_(\d{3}(_\d+_\d+x)?|thumb)\.\w+")


def remove_stale_examples(app: Sphinx, config: Config) -> None:
    gallery_conf = config.sphinx_gallery_conf
    folders = zip(
        as_list(gallery_conf["examples_dirs"]), as_list(gallery_conf["gallery_dirs"]), strict=True
    )
    for scripts, gallery in ((Path(app.confdir, s), Path(app.srcdir, g)) for s, g in folders):
        # Every example sphinx-gallery has run has a checksum file.
        processed = {p.name.removesuffix(".py.md5") for p in gallery.glob("*.py.md5")}
        if stale := sorted(processed - {p.stem for p in scripts.glob("*.py")}):
            remove(gallery, stale)


def as_list(value: str | list[str]) -> list[str]:
    return [value] if isinstance(value, str) else value


def remove(gallery: Path, stale: list[str]) -> None:
    paths = [gallery / f"{stem}{suffix}" for stem in stale for suffix in SUFFIXES]
    paths += [
        p for p in gallery.glob("images/**/sphx_glr_*")
        if (m := FIGURE.fullmatch(p.name)) and m["stem"] in stale
    ]  # fmt: skip
    if results := os.environ.get("MYOPTIM_RESULTS"):
        paths += [Path(results, f"{stem.removeprefix('plot_')}.json") for stem in stale]
    for path in paths:
        path.unlink(missing_ok=True)
    logger.info("removed the outputs of examples that no longer exist: %s", ", ".join(stale))


def remove_pages_of_removed_documents(
    app: Sphinx, env: BuildEnvironment, added: set[str], changed: set[str], removed: set[str]
) -> list[str]:
    if app.builder.format == "html":
        out = Path(app.outdir)
        for docname in removed:
            (out / f"{docname}{app.builder.out_suffix}").unlink(missing_ok=True)
            for source in (out / "_sources").glob(f"{docname}.*"):
                source.unlink()
    return []


def setup(app: Sphinx) -> dict[str, Any]:
    # Before sphinx-gallery (builder-inited) reads the gallery folder.
    app.connect("config-inited", remove_stale_examples)
    app.connect("env-get-outdated", remove_pages_of_removed_documents)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
