"""The built book: the chapter's sections, algorithm boxes, math, API pages, code, links."""

from __future__ import annotations

import inspect
import re
from pathlib import Path

import pytest
from bs4 import BeautifulSoup
from check_links import broken_internal_links
from check_links import pages as all_pages

import myoptim

EXAMPLES = sorted(p.stem for p in Path(__file__).parents[1].glob("gallery/plot_*.py"))

# The source chapter's headings, page by page, in order.
CHAPTER = {
    "chapter/overview": [
        "3.1 Optimizer 개요",
        "3.1.1 Optimizer의 역할과 필요성",
        "3.1.2 Optimizer 없는 코드와 사용 코드 비교",
        "3.1.3 주요 Optimizer 종류",
    ],
    "chapter/base-class": [
        "3.2 MyOptimizer 베이스 클래스 구현",
        "3.2.1 추상 베이스 클래스 설계",
        "3.2.2 __init__ 메서드",
        "3.2.3 zero_grad() 메서드",
        "3.2.4 step() 메서드와 @torch.no_grad() 데코레이터",
        "3.2.5 _update_param() 추상 메서드",
    ],
    "chapter/sgd": [
        "3.3 MySGD 구현",
        "3.3.1 SGD의 원리",
        "3.3.2 MySGD 클래스 구현",
        "3.3.3 MySGD 사용 예시",
    ],
    "chapter/momentum": [
        "3.4 SGD with Momentum 구현",
        "3.4.1 Momentum의 개념",
        "3.4.2 Momentum 알고리즘",
        "3.4.3 상태(State) 관리",
        "3.4.4 In-place 연산의 활용",
    ],
    "chapter/adam": [
        "3.5 Adam Optimizer",
        "3.5.1 Adam의 원리",
        "3.5.2 Adam 알고리즘",
        "3.5.3 Bias Correction",
        "3.5.4 하이퍼파라미터",
        "3.5.5 Adam 구현",
        "3.5.5.1 PyTorch의 In-place 연산 메서드",
        "3.5.5.2 Bias Correction의 동작 원리",
        "3.5.5.3 메모리 효율성",
    ],
    "chapter/fashion-mnist": [
        "3.6 Fashion MNIST 예제 적용",
        "3.6.1 Fashion MNIST 데이터셋",
        "3.6.2 기본 학습 코드 구조",
        "3.6.3 다양한 Optimizer 성능 비교",
        "3.6.4 Optimizer 선택 가이드",
    ],
    "chapter/fast-path": [
        "3.7 빠른 경로: 모든 파라미터를 버퍼 하나에",
        "3.7.1 한 스텝은 어디에 시간을 쓰는가",
        "3.7.2 모든 파라미터를 버퍼 하나에",
        "3.7.3 한 번만 훑기: 스텝 컴파일하기",
        "3.7.4 측정",
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

# Code the chapter includes from the package: (page, object, first line, line after the last).
INCLUDED = [
    ("chapter/base-class", myoptim.MyOptimizer, "class MyOptimizer", "    def hyperparameters"),
    ("chapter/sgd", myoptim.MySGD, "class MySGD", None),
    ("chapter/momentum", myoptim.MySGDMomentum, "class MySGDMomentum", None),
    ("chapter/adam", myoptim.MyAdam, "class MyAdam", None),
    ("chapter/fashion-mnist", myoptim.MyAdaGrad, "    def __init__", None),
    ("chapter/fashion-mnist", myoptim.MyRMSProp, "    def __init__", None),
    ("chapter/fast-path", myoptim.Flattened, "    def __init__", "    def views"),
    ("chapter/fast-path", myoptim.Flattened, "    def step", "    def state_dict"),
    ("chapter/fast-path", myoptim.Flattened, "        update = type(", "    def views"),
    ("chapter/fast-path", myoptim.MyCompiledAdam, "    def _update_param", None),
    ("chapter/fast-path", myoptim.compiled_adam._adam_pass, "def _adam_pass", None),
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
    if name != "MyOptimizer":
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
    }
    for page, image in figures.items():
        sources = [img["src"] for img in article(book, page).select("figure img")]
        assert any(src.endswith(image) for src in sources), page


@pytest.mark.parametrize("name", [n for n in myoptim.__all__ if n != "MyOptimizer"])
def test_api_shows_the_examples_using_each_optimizer(book: Path, name: str) -> None:
    rubric = next(
        p for p in read(book, "api").select("p.rubric") if re.match(rf"{name}[을를] ", p.get_text())
    )
    gallery = rubric.find_next_sibling("div", class_="sphx-glr-thumbnails")
    assert gallery is not None
    assert gallery.select("div.sphx-glr-thumbcontainer")
