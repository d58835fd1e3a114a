"""The built book: the chapter's sections, algorithm boxes, math, API pages, code, links."""

from __future__ import annotations

import copy
import inspect
import re
from pathlib import Path

import pytest
from bs4 import BeautifulSoup
from listing import source_at_teaching_size
from sections import chapter_pages
from site_links import broken_internal_links
from site_links import pages as all_pages

import myoptim

EXAMPLES = sorted(p.stem for p in Path(__file__).parents[1].glob("gallery/plot_*.py"))

# The chapter's pages, in the order of the book's numbered toctree.
CHAPTER = chapter_pages(Path(__file__).parents[1] / "docs")
BOOK_CHAPTER = 3  # conf.py's book_chapter: the number in front of every section's

# The package's classes the chapter lists at teaching size: (page, object, methods shown).
LISTED = [
    ("chapter/base-class", myoptim.MyOptimizer, ["__init__", "zero_grad", "step", "_update_param"]),
    *((rule.page, rule.optimizer, None) for rule in myoptim.CHAPTER),
]

# Code the chapter includes from the package: (page, object, first line, line after the last).
INCLUDED = [
    ("chapter/fast-path", myoptim.Flattened, "    def __init__", "    def _compile"),
    ("chapter/fast-path", myoptim.Flattened, "    def step", "    def _check_links"),
    ("chapter/fast-path", myoptim.Flattened, "    def _compile", "    def _recompile"),
    ("chapter/fast-path", myoptim.MyCompiledAdam, "    def _update_param", None),
    ("chapter/fast-path", myoptim.compiled_adam._adam_pass, "def _adam_pass", None),
    (
        "chapter/torch-optimizer",
        myoptim.TorchOptimizer,
        "    def _worker",
        "    def load_state_dict",
    ),
    ("chapter/sharded", myoptim.Sharded, "    def _buffer_size", "    def state_dict"),
    ("chapter/sharded", myoptim.Sharded, "    def _agree", "    def __repr__"),
]

# Outputs of the chapter's executed cells that state its claims.
OUTPUTS = {
    "chapter/overview": ["4000 "],
    "chapter/sgd": ["MySGD == torch.optim.SGD, bit for bit: True"],
    "chapter/momentum": ["largest gap over steps 1-500 (constant lr):"],
    "chapter/adam": [
        "MyAdam == torch.optim.Adam, bit for bit: True",
        "t =   1:  1 - beta1**t = 0.10000",
        "t =  10:  1 - beta1**t = 0.65132",
        "t = 100:  1 - beta1**t = 0.99997",
        "MyAdam                           1.00 x the parameter's size",
    ],
    "chapter/fast-path": [
        "Flattened(MyAdam) == MyAdam, every loss bit for bit: True",
        "largest loss difference over 20 steps: ",
    ],
    "chapter/torch-optimizer": [
        "TypeError: MyAdam is not an Optimizer",
        "TorchOptimizer(MyAdam) == torch.optim.Adam, every loss bit for bit: True",
    ],
    "chapter/sharded": [
        "MyAdam         state: 8 bytes per parameter",
        "rank 1: Sharded(MyAdam) state ",
        "Sharded(MyAdam) == DDP + torch.optim.Adam, bit for bit: True",
    ],
}


def read(book: Path, page: str) -> BeautifulSoup:
    return BeautifulSoup((book / f"{page}.html").read_text(encoding="utf-8"), "html.parser")


def article(book: Path, page: str):
    return read(book, page).find("article")


NUMBER = re.compile(r"^(\d+(?:\.\d+)*) ")


def numbered_headings(body) -> list[tuple[int, str]]:
    """(level, text) of the headings of a page's article: h1 is level 1."""
    return [
        (int(h.name[1]), " ".join(h.get_text().split()).removesuffix("#").strip())
        for h in body.find_all(re.compile(r"^h[1-6]$"))
        if not h.find_parent(class_=["proof", "exercise", "solution", "sphx-glr-thumbnails"])
    ]


@pytest.mark.parametrize("edition", ["ko", "en"])
def test_sections_are_numbered_by_their_place_in_the_toctree(site: Path, edition: str) -> None:
    """Page i of the chapter is 3.i; each heading's number counts its level under its parent;
    the page's <title>, the sidebar and the previous/next links show the same numbers."""
    for index, page in enumerate(CHAPTER, start=1):
        soup = read(site / edition, page)
        expected: list[int] = [BOOK_CHAPTER, index - 1]
        for level, text in numbered_headings(soup.find("article")):
            number = NUMBER.match(text)
            assert number, (page, text)
            del expected[level + 1 :]
            expected += [0] * (level + 1 - len(expected))
            expected[level] += 1
            assert number[1] == ".".join(map(str, expected)), (page, text)
        assert soup.title.get_text().startswith(f"{BOOK_CHAPTER}.{index} "), page
        sidebar = [a.get_text(" ", strip=True) for a in soup.select("nav.bd-docs-nav a")]
        numbers = [NUMBER.match(s)[1] for s in sidebar if NUMBER.match(s)]
        pages = [n for n in numbers if n.count(".") == 1]
        assert pages == [f"{BOOK_CHAPTER}.{k}" for k in range(1, len(CHAPTER) + 1)], page
        for link in soup.select(".prev-next-area a"):
            target = link["href"].removesuffix(".html").lstrip("./")
            if f"chapter/{target}" in CHAPTER:
                number = CHAPTER.index(f"chapter/{target}") + 1
                assert f" {BOOK_CHAPTER}.{number} " in f" {link.get_text(' ', strip=True)} "


def numrefs(edition: Path, chapter: list[str]) -> tuple[list[tuple[str, str, str]], int]:
    """The {numref}s to a chapter's sections, on any page of an edition, that do not show the
    number their heading has, and how many were checked."""
    numbers = {}
    for page in chapter:
        for section in article(edition, page).select("section[id]"):
            heading = section.find(re.compile(r"^h[1-6]$"))
            if heading and (number := NUMBER.match(heading.get_text(" ", strip=True))):
                numbers[(page.split("/")[1], section["id"])] = number[1]
    wrong, checked = [], 0
    for path in all_pages(edition):
        for ref in BeautifulSoup(path.read_text(encoding="utf-8"), "html.parser").select(
            "a.reference.internal:has(span.std-numref)"
        ):
            name, _, anchor = ref["href"].rpartition("#")
            key = (Path(name).stem or path.stem, anchor)
            if key in numbers:
                checked += 1
                if numbers[key] not in ref.get_text():
                    wrong.append((path.name, ref["href"], ref.get_text()))
    return wrong, checked


@pytest.mark.parametrize("edition", ["ko", "en"])
def test_a_reference_to_a_section_shows_its_number(site: Path, edition: str) -> None:
    """Every {numref} to a section, on any page, shows the number its heading has."""
    wrong, checked = numrefs(site / edition, CHAPTER)
    assert wrong == []
    assert checked >= 20


def test_algorithm_boxes_are_numbered_through_the_book(book: Path) -> None:
    """One box per optimizer of the chapter, on its page, numbered 1, 2, ... in book order."""
    boxes = [box for page in CHAPTER for box in article(book, page).select("div.proof.algorithm")]
    for number, box in enumerate(boxes, start=1):
        caption = " ".join(box.select_one(".admonition-title").get_text(" ", strip=True).split())
        assert re.fullmatch(rf"알고리즘 {number} \(.+\)", caption), caption
    for rule in myoptim.CHAPTER:
        assert article(book, rule.page).select(f"div.proof.algorithm#{rule.box}"), rule.name
    marked = [span for box in boxes for span in box.select("span.mark")]
    assert marked  # the source's ==highlights== are marked, not shown as "=="


def test_algorithm_boxes_are_cross_referenced(book: Path) -> None:
    for label in (rule.box for rule in myoptim.CHAPTER):
        links = [
            a
            for page in CHAPTER
            for a in article(book, page).select("a[href]")
            if a["href"].endswith(f"#{label}")
        ]
        assert links, f"nothing refers to {label}"


def test_math_is_typeset_when_the_book_is_built(site: Path) -> None:
    """Every formula is SVG with a MathML copy for screen readers: no page loads a math script."""
    pages_with_math = []
    for path in all_pages(site):
        soup = BeautifulSoup(path.read_text(encoding="utf-8"), "html.parser")
        sources = [tag.get("src") or "" for tag in soup.find_all("script")]
        sources += [tag.get("href") or "" for tag in soup.find_all("link", rel="stylesheet")]
        remote = [s for s in sources if re.match(r"(https?:)?//", s) or "cdn" in s]
        assert not remote, f"{path.name} loads {remote}"
        assert not [s for s in sources if "mathjax" in s.lower()], path
        if formulas := soup.select("span.math, div.math"):
            pages_with_math.append(path.relative_to(site).with_suffix("").as_posix())
            for formula in formulas:
                svg = formula.select_one("mjx-container > svg[aria-hidden=true]")
                assert svg is not None, f"{path.name}: {formula.get_text()[:60]}"
                assert formula.select_one("mjx-assistive-mml > math"), path.name
                assert not formula.select('[data-mml-node="merror"]'), path.name
            assert 'mjx-container[jax="SVG"]' in soup.head.style.get_text(), path.name
    for edition in ("ko", "en"):
        expected = {
            f"{edition}/{page}" for page in ("chapter/sgd", "chapter/adam", "api", "glossary")
        }
        assert expected <= set(pages_with_math)
        assert not (site / edition / "_static" / "mathjax").exists()  # 24 MB nobody loads


@pytest.mark.parametrize("name", myoptim.__all__)
def test_api_entry_for_every_public_name(book: Path, name: str) -> None:
    # Documented where myoptim has it, or in its module's section (myoptim.chapter.CHAPTER).
    entry = read(book, "api").find("dt", id=re.compile(rf"^myoptim(\.[a-z_]+)?\.{name}$"))
    assert entry is not None
    obj = getattr(myoptim, name)
    if callable(obj):  # viewcode links code, not data
        assert entry.find("a", class_="reference internal", href=re.compile(r"_modules/myoptim/"))
    if isinstance(obj, type) and obj not in (myoptim.MyOptimizer, myoptim.Rule):  # a rule
        assert entry.find_next_sibling("dd").select(".math")  # the update rule


@pytest.mark.parametrize(
    ("page", "obj", "first", "after"), INCLUDED, ids=[obj.__name__ for _, obj, _, _ in INCLUDED]
)
def test_included_code_is_the_real_source(book: Path, page: str, obj, first, after) -> None:
    source = inspect.getsource(obj)
    start = source.index(first)
    expected = source[start : source.index(after) if after else None].rstrip()
    blocks = [pre.get_text().rstrip() for pre in article(book, page).select("div.highlight pre")]
    assert expected in blocks


@pytest.mark.parametrize(
    ("page", "obj", "methods"), LISTED, ids=[obj.__name__ for _, obj, _ in LISTED]
)
def test_listings_are_the_real_source_at_teaching_size(book: Path, page: str, obj, methods) -> None:
    expected, _ = source_at_teaching_size(obj, methods)
    listings = [pre.get_text() for pre in article(book, page).select("div.listing pre")]
    assert expected in listings
    assert expected.startswith(f"class {obj.__name__}(")
    assert '"""' not in expected  # the docstrings stay in the package
    assert "Args:" not in expected
    compile(expected, obj.__name__, "exec")  # still Python, as shown


@pytest.mark.parametrize(("page", "obj"), [(page, obj) for page, obj, _ in LISTED[1:]])
def test_every_line_of_each_update_is_explained(book: Path, page: str, obj) -> None:
    """The notes under a listing name a piece of every line of _update_param (in Korean)."""
    _, bodies = source_at_teaching_size(obj, None)
    listing = next(
        div for div in article(book, page).select("div.listing")
        if div.get_text().startswith(f"class {obj.__name__}(")
    )  # fmt: skip
    notes = listing.find_next_sibling("div", class_="listing-notes")
    terms = [dt.get_text() for dt in notes.select("dt")]
    for line in bodies["_update_param"]:
        assert any(term in line for term in terms), line
    for dd in notes.select("dd"):
        assert re.search("[가-힣]", dd.get_text()), dd.get_text()


@pytest.mark.parametrize("page", OUTPUTS)
def test_executed_cells_show_the_claims(book: Path, page: str) -> None:
    outputs = "\n".join(o.get_text() for o in article(book, page).select(".cell_output"))
    for text in OUTPUTS[page]:
        assert text in outputs


@pytest.mark.parametrize("page", [*CHAPTER, "index", "glossary"])
def test_no_obsidian_syntax_left(book: Path, page: str) -> None:
    body = article(book, page)
    for tag in body.select("pre, code, .math, .cell_output"):
        tag.decompose()
    text = body.get_text()
    for leftover in ("[[", "]]", "=="):
        assert leftover not in text


def test_no_broken_internal_links(site: Path) -> None:
    assert broken_internal_links(site) == []


@pytest.mark.parametrize("example", EXAMPLES)
def test_example_page_with_images_and_downloads(book: Path, example: str) -> None:
    page = article(book, f"auto_examples/{example}")
    images = [img["src"] for img in page.select("img.sphx-glr-single-img, img.sphx-glr-multi-img")]
    assert images, f"{example} shows no figure"
    for src in images:
        assert (book / "auto_examples" / src).resolve().stat().st_size > 10_000
    downloads = {Path(a["href"]).suffix for a in page.select("a.download")}
    assert {".py", ".ipynb"} <= downloads


def test_chapter_shows_the_gallery_figures(book: Path) -> None:
    figures = {
        "chapter/momentum": "sphx_glr_plot_optimizer_paths_001.png",
        "chapter/adam": "sphx_glr_plot_lr_sensitivity_001.png",
        "chapter/fashion-mnist": "sphx_glr_plot_fashion_mnist_001.png",
        "chapter/torch-optimizer": "sphx_glr_plot_lr_schedules_001.png",
    }
    for page, image in figures.items():
        sources = [img["src"] for img in article(book, page).select("figure img")]
        assert any(src.endswith(image) for src in sources), page


OPTIMIZERS = [  # and Flattened; Sharded needs processes of its own, not the gallery's
    n
    for n in myoptim.__all__
    if isinstance(getattr(myoptim, n), type) and n not in {"MyOptimizer", "Sharded", "Rule"}
]


@pytest.mark.parametrize("name", OPTIMIZERS)
def test_api_shows_the_examples_using_each_optimizer(book: Path, name: str) -> None:
    entry = read(book, "api").find("dt", id=f"myoptim.{name}").find_parent("dl")
    rubric = entry.find_next_sibling()
    assert "rubric" in rubric.get("class", []), rubric
    gallery = rubric.find_next_sibling()
    assert "sphx-glr-thumbnails" in gallery["class"], gallery
    assert gallery.select("div.sphx-glr-thumbcontainer")


NUMBER_WORDS = {"넷": 4, "다섯": 5, "여섯": 6, "일곱": 7, "여덟": 8, "four": 4, "five": 5,
                "six": 6, "seven": 7, "eight": 8}  # fmt: skip
COUNTED = re.compile(rf"\b({'|'.join(NUMBER_WORDS)}) (옵티마이저|optimizers)", re.I)


@pytest.mark.parametrize("edition", ["ko", "en"])
def test_counts_of_the_chapters_optimizers_are_true(site: Path, edition: str) -> None:
    """ "다섯 옵티마이저" / "the five optimizers" anywhere in the book is len(myoptim.CHAPTER):
    a new optimizer makes every such sentence fail here until it is reworded."""
    wrong = []
    for path in all_pages(site / edition):
        text = BeautifulSoup(path.read_text(encoding="utf-8"), "html.parser").get_text(" ")
        for match in COUNTED.finditer(text):
            if NUMBER_WORDS[match[1].lower()] != len(myoptim.CHAPTER):
                wrong.append(f"{path.name}: {match[0]!r}")
    assert not wrong, f"myoptim.CHAPTER has {len(myoptim.CHAPTER)} optimizers"


def test_api_shows_how_to_run_sharded(book: Path) -> None:
    rubric = next(p for p in read(book, "api").select("p.rubric") if "Sharded" in p.get_text())
    command = rubric.find_next_sibling("div", class_="highlight-console")
    assert "torchrun --standalone --nproc-per-node 2 train_sharded.py" in command.get_text()
    link = command.find_next_sibling("p").find("a")
    assert link["href"] == "chapter/sharded.html#sharded-run"


@pytest.mark.parametrize("page", CHAPTER)
def test_each_section_ends_with_exercises_whose_solutions_ran(book: Path, page: str) -> None:
    """2-4 exercises per section; each solution folds (<details>); at least one is code that
    the build ran (an assertion in it against torch fails the build when the solution is wrong)."""
    body = article(book, page)
    exercises = body.select("div.exercise")
    assert 2 <= len(exercises) <= 4
    solutions = body.select("details.solution")
    assert len(solutions) == len(exercises)
    assert all(s.find("summary") and not s.has_attr("open") for s in solutions)
    ran = [s for s in solutions if s.select("div.cell div.cell_output")]
    assert ran, f"{page}: no solution is code the build ran"
    assert any("assert " in s.select_one("div.cell_input").get_text() for s in ran)


WARNING_TEXT = re.compile(r"\b[WE]\d{4} \d\d:\d\d:\d\d|\w*Warning: |Traceback \(most recent")


@pytest.mark.parametrize("edition", ["ko", "en"])
def test_no_warning_reaches_a_page(site: Path, edition: str) -> None:
    """What code prints to stderr or logs (torch's "W1201 ..." lines) never shows in the book."""
    shown = []
    for path in all_pages(site / edition):
        soup = BeautifulSoup(path.read_text(encoding="utf-8"), "html.parser")
        for output in soup.select(".cell_output, .sphx-glr-script-out, div.output"):
            if WARNING_TEXT.search(output.get_text()):
                shown.append(f"{path.name}: {WARNING_TEXT.search(output.get_text())[0]}")
    assert shown == []


HANGUL = re.compile("[가-힣]")


@pytest.mark.parametrize("edition", ["ko", "en"])
def test_figures_are_sharp_and_described_in_the_page_language(site: Path, edition: str) -> None:
    """Every gallery figure, in the chapter and on the example pages: a 2x image, and an alt
    text in the edition's language that describes it (never a file name)."""
    figures = 0
    for page in [*CHAPTER, *(f"auto_examples/{e}" for e in EXAMPLES)]:
        for img in article(site / edition, page).select("img"):
            if "sphx_glr_" not in img["src"] or "_thumb" in img["src"]:
                continue
            figures += 1
            assert re.search(r"_2_00x\.png 2(\.0+)?x", img.get("srcset", "")), (page, img["src"])
            alt = img.get("alt", "")
            assert len(alt) > 30, (page, alt)
            assert ".png" not in alt, (page, alt)
            assert "sphx_glr" not in alt, (page, alt)
            assert bool(HANGUL.search(alt)) == (edition == "ko"), (page, alt)
    assert figures >= 14


def plain_text(tag) -> str:
    """A paragraph's words, without its code, math and links."""
    tag = copy.copy(tag)
    for inner in tag.select("code, span.math, a"):
        inner.decompose()
    return tag.get_text()


def glossary_entries(book: Path) -> dict[str, set[str]]:
    """Each glossary entry (the anchor of its first term): the anchors and names of its terms."""
    entries: dict[str, set[str]] = {}
    first = None
    for tag in read(book, "glossary").select("dl.glossary > dt, dl.glossary > dd"):
        if tag.name == "dd":
            first = None
            continue
        first = first or tag["id"]
        entries.setdefault(first, set()).update({tag["id"], tag.get_text().strip()})
    return entries


@pytest.mark.parametrize("edition", ["ko", "en"])
def test_glossary_terms_are_linked_where_each_page_first_uses_them(
    site: Path, edition: str
) -> None:
    """Every glossary entry that a page's prose uses is linked on that page, once at least."""
    entries = glossary_entries(site / edition)
    for page in CHAPTER:
        body = article(site / edition, page)
        anchors = {a["href"].split("#")[1] for a in body.select('a[href*="glossary.html#"]')}
        linked = {entry for entry, names in entries.items() if names & anchors}
        prose = " ".join(plain_text(p) for p in body.select("section > p"))
        used = {
            entry for entry, names in entries.items()
            if any(re.search(rf"(?<![가-힣A-Za-z0-9_]){re.escape(n)}(?![A-Za-z0-9])", prose)
                   for n in names if n != "속도" and not n.startswith("term-"))
        }  # fmt: skip
        assert used - linked == set(), page
        assert len(linked) >= 5, page
