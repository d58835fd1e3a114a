"""The built book: the chapter's sections, algorithm boxes, math, API pages, code, links."""

from __future__ import annotations

import copy
import inspect
import re
from pathlib import Path

import pytest
from bs4 import BeautifulSoup
from check_links import broken_internal_links
from check_links import pages as all_pages
from listing import source_at_teaching_size

import myoptim

EXAMPLES = sorted(p.stem for p in Path(__file__).parents[1].glob("gallery/plot_*.py"))

# The source chapter's headings, page by page, in order.
CHAPTER = {
    "chapter/overview": [
        "3.1 옵티마이저 개요",
        "3.1.1 옵티마이저의 역할과 필요성",
        "3.1.2 옵티마이저 없는 코드와 사용 코드 비교",
        "3.1.3 주요 옵티마이저 종류",
        "3.1.4 요약",
        "3.1.5 연습문제",
    ],
    "chapter/base-class": [
        "3.2 MyOptimizer 베이스 클래스 구현",
        "3.2.1 추상 베이스 클래스 설계",
        "3.2.2 __init__ 메서드",
        "3.2.3 zero_grad() 메서드",
        "3.2.4 step() 메서드와 @torch.no_grad() 데코레이터",
        "3.2.5 _update_param() 추상 메서드",
        "3.2.6 저장과 재개, 그리고 출력",
        "3.2.7 요약",
        "3.2.8 연습문제",
    ],
    "chapter/sgd": [
        "3.3 MySGD 구현",
        "3.3.1 SGD의 원리",
        "3.3.2 MySGD 클래스 구현",
        "3.3.3 MySGD 사용 예시",
        "3.3.4 요약",
        "3.3.5 연습문제",
    ],
    "chapter/momentum": [
        "3.4 SGD with Momentum 구현",
        "3.4.1 Momentum의 개념",
        "3.4.2 Momentum 알고리즘",
        "3.4.3 상태(State) 관리",
        "3.4.4 In-place 연산의 활용",
        "3.4.5 요약",
        "3.4.6 연습문제",
    ],
    "chapter/adam": [
        "3.5 Adam 옵티마이저",
        "3.5.1 Adam의 원리",
        "3.5.2 Adam 알고리즘",
        "3.5.3 Bias Correction",
        "3.5.4 하이퍼파라미터",
        "3.5.5 Adam 구현",
        "3.5.5.1 PyTorch의 In-place 연산 메서드",
        "3.5.5.2 Bias Correction의 동작 원리",
        "3.5.5.3 메모리 효율성",
        "3.5.6 요약",
        "3.5.7 연습문제",
    ],
    "chapter/fashion-mnist": [
        "3.6 Fashion-MNIST 예제 적용",
        "3.6.1 Fashion-MNIST 데이터셋",
        "3.6.2 기본 학습 코드 구조",
        "3.6.3 다양한 옵티마이저 성능 비교",
        "3.6.4 옵티마이저 선택 가이드",
        "3.6.5 요약",
        "3.6.6 연습문제",
    ],
    "chapter/fast-path": [
        "3.7 빠른 경로: 모든 파라미터를 버퍼 하나에",
        "3.7.1 한 스텝은 어디에 시간을 쓰는가",
        "3.7.2 모든 파라미터를 버퍼 하나에",
        "3.7.3 한 번만 훑기: 스텝 컴파일하기",
        "3.7.4 측정",
        "3.7.5 요약",
        "3.7.6 연습문제",
    ],
    "chapter/torch-optimizer": [
        "3.8 torch.optim과 잇기: TorchOptimizer",
        "3.8.1 스케줄러는 무엇을 기대하는가",
        "3.8.2 TorchOptimizer 구현",
        "3.8.3 스케줄러와 함께 학습하기",
        "3.8.4 요약",
        "3.8.5 연습문제",
    ],
    "chapter/sharded": [
        "3.9 여러 프로세스로 나누기",
        "3.9.1 메모리는 어디에 쓰이는가",
        "3.9.2 상태를 나눠 갖기",
        "3.9.3 Sharded 구현",
        "3.9.4 두 프로세스로 실행하기",
        "3.9.5 요약",
        "3.9.6 연습문제",
    ],
}

# (label, title, the text of the line the source marks ==important==, if any), in book order.
ALGORITHMS = [
    ("alg-sgd", "Stochastic gradient descent (SGD) update", "Sample a minibatch of"),
    ("alg-momentum", "Stochastic gradient descent (SGD) with momentum", "Compute velocity update"),
    ("alg-adam", "Adam, our proposed algorithm for stochastic optimization", None),
    ("alg-adagrad", "The AdaGrad algorithm", None),
    ("alg-rmsprop", "The RMSProp algorithm", None),
]

# The package's classes the chapter lists at teaching size: (page, object, methods shown).
LISTED = [
    ("chapter/base-class", myoptim.MyOptimizer, ["__init__", "zero_grad", "step", "_update_param"]),
    ("chapter/sgd", myoptim.MySGD, None),
    ("chapter/momentum", myoptim.MySGDMomentum, None),
    ("chapter/adam", myoptim.MyAdam, None),
    ("chapter/fashion-mnist", myoptim.MyAdaGrad, None),
    ("chapter/fashion-mnist", myoptim.MyRMSProp, None),
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


@pytest.mark.parametrize("page", CHAPTER)
def test_chapter_sections_with_korean_headings(book: Path, page: str) -> None:
    headings = [
        " ".join(h.get_text().split()).removesuffix("#")
        for h in article(book, page).find_all(re.compile(r"^h[1-4]$"))
    ]
    found = [h for h in headings if h in CHAPTER[page]]
    assert found == CHAPTER[page], headings


def test_five_numbered_algorithm_boxes(book: Path) -> None:
    boxes = [box for page in CHAPTER for box in article(book, page).select("div.proof.algorithm")]
    assert [box["id"] for box in boxes] == [label for label, _, _ in ALGORITHMS]
    for number, (box, (_, title, important)) in enumerate(
        zip(boxes, ALGORITHMS, strict=True), start=1
    ):
        caption = " ".join(box.select_one(".admonition-title").get_text(" ", strip=True).split())
        assert caption == f"알고리즘 {number} ({title})"
        marked = [span.get_text(" ", strip=True) for span in box.select("span.mark")]
        if important:
            assert len(marked) == 1
            assert marked[0].startswith(important)
        else:
            assert marked == []


def test_algorithm_boxes_are_cross_referenced(book: Path) -> None:
    for label, _, _ in ALGORITHMS:
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
    entry = read(book, "api").find("dt", id=f"myoptim.{name}")
    assert entry is not None
    assert entry.find("a", class_="reference internal", href=re.compile(r"_modules/myoptim/"))
    obj = getattr(myoptim, name)
    if isinstance(obj, type) and obj is not myoptim.MyOptimizer:  # an optimizer, or Flattened
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
    if isinstance(getattr(myoptim, n), type) and n not in {"MyOptimizer", "Sharded"}
]


@pytest.mark.parametrize("name", OPTIMIZERS)
def test_api_shows_the_examples_using_each_optimizer(book: Path, name: str) -> None:
    rubric = next(
        p for p in read(book, "api").select("p.rubric") if re.match(rf"{name}[을를] ", p.get_text())
    )
    gallery = rubric.find_next_sibling("div", class_="sphx-glr-thumbnails")
    assert gallery is not None
    assert gallery.select("div.sphx-glr-thumbcontainer")


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
