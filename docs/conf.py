"""Sphinx configuration of the book (Korean source; see README for the commands)."""

import hashlib
import os
import sys
from pathlib import Path

# Before torch is imported (by myoptim): a build machine with CUDA's toolkit but no GPU would
# print "No CUDA runtime is found" into the pages that compile (the kernel inherits this too).
os.environ.setdefault("TORCH_LOGS", "-torch.utils.cpp_extension")
# The examples and code cells train where myoptim.pick_device() says: here the CPU, so that
# the figures and the numbers the text quotes are the same on every machine that builds them.
os.environ["MYOPTIM_DEVICE"] = "cpu"

import myoptim

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "docs" / "_ext"), str(ROOT / "docs")]  # extensions; evidence.py
import addresses  # noqa: E402 (the site's addresses, from the repository's)
import web  # noqa: E402

project = "myoptim"
author = "myoptim authors"
copyright = "2026, myoptim authors"
release = myoptim.__version__
language = "ko"
# The English edition: the same sources translated with gettext (docs/locale/en).
locale_dirs = ["locale"]
gettext_compact = False
gettext_location = (
    False  # no file:line comments in the catalogs, so edits elsewhere don't churn them
)

extensions = [
    "myst_nb",
    "sphinx.ext.autodoc",
    "sphinx.ext.napoleon",
    "sphinx.ext.extlinks",
    "sphinx.ext.viewcode",
    "sphinx_proof",
    "sphinx_exercise",
    "sphinxcontrib.bibtex",
    "stale_outputs",  # what a removed gallery example left behind goes with it
    "sphinx_gallery.gen_gallery",
    "sphinx_copybutton",
    "notfound.extension",
    "sphinxext.opengraph",
    "korean_search",
    "gallery_i18n",
    "math_svg",
    "claims",
    "listing",
    "movable",  # figures the reader can move
    "first_use",
    "web",
    "upstream",
    "sections",
    "english",
    "downloads",
]
# sphinx-gallery writes notebooks next to its pages; myst-nb must not read them as pages.
exclude_patterns = ["_build", "_templates", "auto_examples/*.ipynb"]
nitpicky = True
numfig = True
# Sections are numbered by the chapter's toctree (sections.py adds the chapter's number); figures
# and boxes are numbered through the book, so that a section's number is the only one that moves.
book_chapter = 3
numfig_secnum_depth = 0
html_secnumber_suffix = " "
# Types from torch and the standard library have no local inventory to link to (offline).
nitpick_ignore_regex = [("py:class", r"(torch|collections\.abc|abc|pathlib)\..*|Tensor|Any")]

myst_enable_extensions = ["dollarmath", "amsmath", "attrs_inline", "colon_fence", "deflist"]

# Execute the chapter's code cells at build time; any error fails the build. The cache
# is keyed by myoptim's source, since jupyter-cache only sees the cells' own code.
_package_hash = hashlib.sha256(
    b"".join(p.read_bytes() for p in sorted((ROOT / "myoptim").glob("*.py")))
).hexdigest()[:16]
nb_execution_mode = "cache"
nb_execution_cache_path = str(ROOT / "docs/_build/.jupyter_cache" / _package_hash)
nb_execution_raise_on_error = True
nb_execution_show_tb = True  # print the failing cell's traceback in the build log
# A cell running this long has hung (a process waiting on another, say): the slowest page,
# torch.compile and torchrun included, runs in about 10 s on 2 cores, so a machine 30 times
# slower, or as busy, still builds.
nb_execution_timeout = 300
nb_merge_streams = True  # what a cell prints, in one box
nb_output_stderr = "warn"  # a cell that writes to stderr (a warning) fails the build (-W)
nb_ipywidgets_js = {}  # no widgets: keep require.js and friends (CDN scripts) off the pages

# The gallery (../gallery) runs at every build; an example runs again when it changed, when
# myoptim changed, when its notebooks' first cell changed (it names the repository), or when
# MYOPTIM_QUICK (seconds-long runs, for writing and tests) flips.
_install_cell = web.install_cell()
_gallery_key = "-".join(
    [_package_hash, hashlib.sha256(_install_cell.encode()).hexdigest()[:8]]
    + (["quick"] if os.environ.get("MYOPTIM_QUICK") == "1" else [])
)
_gallery_key_file = ROOT / "docs/auto_examples/.build-key"
_gallery_stale = not _gallery_key_file.exists() or _gallery_key_file.read_text() != _gallery_key
_gallery_key_file.parent.mkdir(exist_ok=True)
_gallery_key_file.write_text(_gallery_key)
# The examples write their numbers here; docs/evidence.py holds the book's sentences to them.
os.environ["MYOPTIM_RESULTS"] = str(_gallery_key_file.parent / "results")
Path(os.environ["MYOPTIM_RESULTS"]).mkdir(exist_ok=True)
sphinx_gallery_conf = {
    "examples_dirs": "../gallery",
    "gallery_dirs": "auto_examples",
    "filename_pattern": "/plot_",
    "within_subsection_order": "gallery_i18n.ChapterOrder",
    "run_stale_examples": _gallery_stale,
    "doc_module": ("myoptim",),
    "backreferences_dir": "gen_modules/backreferences",
    "write_computation_times": False,  # its page loads scripts from CDNs
    "min_reported_time": float("inf"),  # no "Total running time": it changes every build
    "first_notebook_cell": _install_cell,  # so that the notebooks run on Colab
    "image_srcset": ["2x"],  # sharp figures on high-density screens
}

autodoc_member_order = "bysource"
autodoc_typehints = "signature"
napoleon_custom_sections = [("Reference", "notes_style")]

bibtex_bibfiles = ["references.bib"]
bibtex_reference_style = "author_year"

html_theme = "sphinx_book_theme"
html_title = "옵티마이저 직접 만들기"
html_static_path = ["_static"]
html_css_files = ["book.css"]
html_js_files = ["book.js"]
html_favicon = "_static/favicon.svg"
templates_path = ["_templates"]
html_search_scorer = str(ROOT / "docs/_ext/search_scorer.js")  # exact section titles first
html_domain_indices = ["py-modindex"]  # not sphinx-proof's untranslated list of box labels
html_theme_options = {
    "show_toc_level": 2,
    "article_header_end": ["language-switcher.html", "article-header-buttons.html"],
    "repository_url": addresses.repository(),
    "use_repository_button": True,
    "use_fullscreen_button": False,  # a phone has no use for it, and its header no room
}
# The theme's default, "", makes its script log an error on a reader's first visit.
html_context = {"default_mode": "auto"}

# Copy buttons on code, not on outputs; what is copied leaves out prompts and outputs.
copybutton_selector = "div:not(.output) > div.highlight pre"
copybutton_exclude = ".linenos, .gp, .go"
# Link previews and search results: each page's first paragraph (web.py sets the addresses).
ogp_enable_meta_description = True
ogp_social_cards = {"enable": False}  # cards drawn with matplotlib, in a font without Hangul
ogp_image = "_images/sphx_glr_plot_optimizer_paths_001.png"
ogp_custom_meta_tags = ['<meta name="twitter:card" content="summary_large_image">']
# {repository}`text <>` links to the repository (whose address addresses.py finds).
extlinks = {"repository": (addresses.repository() + "%s", None)}
