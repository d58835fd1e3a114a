"""The English edition: complete, in step with the Korean source, linked both ways, searchable."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from babel.messages.pofile import read_po
from bs4 import BeautifulSoup
from conftest import ROOT, build_small
from korean_search import SearchKorean, without_particle
from site_links import on_site
from site_links import pages as all_pages

import myoptim

CATALOGS = ROOT / "docs" / "locale" / "en" / "LC_MESSAGES"
HANGUL = re.compile("[\uac00-\ud7a3]")


def read_messages(path: Path) -> list:
    with path.open("rb") as file:
        return list(read_po(file))


def catalogs() -> dict[str, list]:
    return {
        str(po.relative_to(CATALOGS).with_suffix("")): read_messages(po)
        for po in sorted(CATALOGS.rglob("*.po"))
    }


def test_every_message_is_translated() -> None:
    problems = [
        f"{name}: {message.id[:60]!r}"
        for name, messages in catalogs().items()
        for message in messages
        if message.id and (not message.string or message.fuzzy)
    ]
    assert not problems, "untranslated or fuzzy: run `nox -s translations` and translate them"


def test_catalogs_are_in_step_with_the_sources(
    project: Path, tmp_path: Path, quick_env: dict[str, str]
) -> None:
    """Every message of the current Korean text has an entry: a text change brings its English."""
    # quick_env, as for the project's build: the gallery's outputs are reused, not re-run
    result = subprocess.run(
        [sys.executable, "-m", "sphinx", "-q", "-b", "gettext", "-d", str(tmp_path / "doctrees"),
         str(project / "docs"), str(tmp_path / "gettext")],
        capture_output=True, text=True, env=quick_env, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-3000:]
    translated = {name: {m.id for m in messages} for name, messages in catalogs().items()}
    missing = []
    for pot in sorted((tmp_path / "gettext").rglob("*.pot")):
        name = str(pot.relative_to(tmp_path / "gettext").with_suffix(""))
        for message in read_messages(pot):
            if message.id and message.id not in translated.get(name, set()):
                missing.append(f"{name}: {message.id[:60]!r}")
    assert not missing, "run `nox -s translations`, then translate the new messages"


def test_root_page_sends_readers_to_the_korean_edition(site: Path) -> None:
    page = (site / "index.html").read_text(encoding="utf-8")
    assert 'http-equiv="refresh" content="0; url=ko/index.html"' in page


@pytest.mark.parametrize(("edition", "other"), [("ko", "en"), ("en", "ko")])
def test_switcher_leads_to_the_same_page_in_the_other_edition(
    site: Path, edition: str, other: str
) -> None:
    pages = [p for p in all_pages(site / edition)]
    assert len(pages) > 20
    for page in pages:
        soup = BeautifulSoup(page.read_text(encoding="utf-8"), "html.parser")
        (switcher,) = soup.select("a.language-switcher")
        target = on_site(page, site, switcher["href"])
        assert target is not None, page
        assert target.resolve() == (site / other / page.relative_to(site / edition)).resolve(), page
        assert target.is_file(), page


def test_english_pages_speak_english(english: Path) -> None:
    """Everything a page shows or says about itself, code and outputs included: only the
    glossary's Korean terms and the link to the Korean edition are marked lang="ko"."""
    for page in all_pages(english):
        soup = BeautifulSoup(page.read_text(encoding="utf-8"), "html.parser")
        assert soup.html["lang"] == "en"
        for tag in soup.select("[lang=ko], a.language-switcher, script, style"):
            tag.decompose()
        said = [soup.get_text()] + [
            str(value) for tag in soup.find_all(True) for value in tag.attrs.values()
        ]
        korean = HANGUL.findall(" ".join(said))
        assert not korean, f"{page.relative_to(english)}: {''.join(korean)[:40]}"
    captions = [
        " ".join(box.get_text(" ", strip=True).split())
        for box in BeautifulSoup(
            (english / "chapter" / "sgd.html").read_text(encoding="utf-8"), "html.parser"
        ).select("div.proof.algorithm .admonition-title")
    ]
    assert captions == ["Algorithm 1 (Stochastic gradient descent (SGD) update)"]


def code(page: Path) -> list[list[str]]:
    """Each code block of a page's article, as its lines of code: comments and blank lines out."""
    soup = BeautifulSoup(page.read_text(encoding="utf-8"), "html.parser")
    blocks = [pre.get_text().splitlines() for pre in soup.select("article div.highlight pre")]
    lines = ([re.sub(r"\s*#.*", "", line) for line in block] for block in blocks)
    return [[line for line in block if line.strip()] for block in lines]


def test_english_code_is_the_korean_code(site: Path) -> None:
    """A code block whose comments are translated keeps its code, line for line (a translated
    block once came out as "::", its code gone: executablebooks/MyST-Parser#444)."""
    translated = 0
    for page in all_pages(site / "ko"):
        if "_modules" in page.parts:  # the package's source, with viewcode's "[문서]" links
            continue
        english = site / "en" / page.relative_to(site / "ko")
        assert code(english) == code(page), english
        soup = BeautifulSoup(page.read_text(encoding="utf-8"), "html.parser")
        translated += any(HANGUL.search(pre.get_text()) for pre in soup.select("article pre"))
    assert translated  # some pages have code with Korean comments


def test_english_glossary_leads_with_the_english_term(english: Path) -> None:
    soup = BeautifulSoup((english / "glossary.html").read_text(encoding="utf-8"), "html.parser")
    entries = []
    for term in soup.select("dl.glossary > dt"):
        if term.find_previous_sibling() is None or term.find_previous_sibling().name == "dd":
            entries.append([])
        entries[-1].append(term)
    firsts = [entry[0].get_text().rstrip("#") for entry in entries]
    assert firsts == sorted(firsts, key=str.casefold)
    for entry in entries:
        assert not HANGUL.search(entry[0].get_text()), entry[0]
        for term in entry:
            assert (term.get("lang") == "ko") == bool(HANGUL.search(term.get_text())), term
    learning_rate = next(e for e in entries if e[0].get_text().startswith("learning rate"))
    assert [t.get_text().rstrip("#") for t in learning_rate] == ["learning rate", "학습률"]
    index = BeautifulSoup((english / "genindex.html").read_text(encoding="utf-8"), "html.parser")
    assert "learning rate" in [a.get_text() for a in index.select("article a")]


# Names that keep their capital inside an English heading: the package's (Flattened, …) and
# proper nouns. Other code names and acronyms (MySGD, API) are told by a second capital.
PROPER_NOUNS = {"Adam", "PyTorch", "Python", "Colab", "Jupyter", "Rosenbrock", *myoptim.__all__}


def test_english_headings_are_in_sentence_case(english: Path) -> None:
    """One heading style (sentence case, as PyTorch's tutorials) on every written page; the
    book's title on the first page and Sphinx's own pages (indices, source listings) aside."""
    headings = 0
    for page in all_pages(english):
        name = str(page.relative_to(english))
        if name in ("genindex.html", "py-modindex.html", "search.html") or name.startswith("_"):
            continue
        article = BeautifulSoup(page.read_text(encoding="utf-8"), "html.parser").find("article")
        for heading in article.select("h1, h2, h3, h4, p.rubric"):
            if name == "index.html" and heading.name == "h1":
                continue
            text = heading.get_text().rstrip("#").strip()
            # Without the section number and the possessive ("Adam\N{RIGHT SINGLE QUOTATION MARK}s")
            words = re.sub(r"^[\d.]+ |\N{RIGHT SINGLE QUOTATION MARK}s\b", "", text).split()
            capitalised = [
                word for word in words[1:]
                if word[0].isupper() and word not in PROPER_NOUNS
                and not re.search(r"[A-Z\d_.(]", word[1:])
            ]  # fmt: skip
            assert not capitalised, f"{name}: {text!r}"
            headings += 1
    assert headings > 100


def offered_downloads(edition: Path) -> dict[Path, list[Path]]:
    """Each file a page of the edition links to for download, and the pages that offer it."""
    offered: dict[Path, list[Path]] = {}
    for page in all_pages(edition):
        soup = BeautifulSoup(page.read_text(encoding="utf-8"), "html.parser")
        for link in soup.find_all("a", href=True):
            if "_downloads/" in link["href"] or "_sources/" in link["href"]:
                target = on_site(page, edition.parent, link["href"])
                assert target is not None, (page, link["href"])
                assert target.is_file(), (page, link["href"])
                offered.setdefault(target.resolve(), []).append(page)
    return offered


def test_english_downloads_speak_english(english: Path) -> None:
    """Scripts, notebooks, zips and page sources: the glossary's source keeps its Korean terms."""
    glossary = BeautifulSoup((english / "glossary.html").read_text(encoding="utf-8"), "html.parser")
    korean_terms = {term.get_text().rstrip("#") for term in glossary.select("dt[lang=ko]")}
    offered = offered_downloads(english)
    gallery = [p for p in offered if "_downloads" in p.parts]
    assert len(gallery) == 3 * len(list((ROOT / "gallery").glob("plot_*.py"))) + 2
    assert len([p for p in offered if "_sources" in p.parts]) >= 20
    for path in offered:
        if path.suffix == ".zip":
            with zipfile.ZipFile(path) as archive:
                texts = {f"{path.name}/{n}": archive.read(n).decode() for n in archive.namelist()}
        else:
            texts = {path.name: path.read_text(encoding="utf-8")}
        for name, text in texts.items():
            lines = [line for line in text.splitlines() if HANGUL.search(line)]
            if path.name.startswith("glossary."):
                lines = [line for line in lines if line not in korean_terms]
            assert not lines, f"{name} (offered by {offered[path][0].name}): {lines[0][:60]}"


def test_english_page_source_is_the_korean_source_translated(site: Path) -> None:
    """Same structure (labels, fences, directives, code), English words."""
    for korean in sorted((site / "ko" / "_sources" / "chapter").iterdir()):
        english = site / "en" / "_sources" / "chapter" / korean.name
        structure = [
            [line for line in path.read_text(encoding="utf-8").splitlines()
             if re.match(r"\(.+\)=$|`{3,}|:::|:label:|import |from ", line)]
            for path in (korean, english)
        ]  # fmt: skip
        assert structure[0] == structure[1], korean.name
        assert structure[0]


def section_anchors(edition: Path) -> dict[str, list[str]]:
    return {
        str(page.relative_to(edition)): [
            section["id"]
            for section in BeautifulSoup(page.read_text(encoding="utf-8"), "html.parser").select(
                "section[id]"
            )
        ]
        for page in all_pages(edition)
    }


def test_section_anchors_are_labels_shared_by_both_editions(site: Path) -> None:
    korean, english = section_anchors(site / "ko"), section_anchors(site / "en")
    assert korean == english
    anchors = [anchor for page in korean.values() for anchor in page]
    assert len(anchors) > 100
    generated = [a for a in anchors if not re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", a)]
    assert not generated  # no id3, no Korean slug: every section has a label
    adam = BeautifulSoup((site / "en" / "chapter" / "adam.html").read_text(), "html.parser")
    contents = [a["href"] for a in adam.select("#pst-page-toc-nav a[href^='#']")]
    assert "#adam-bias-correction" in contents
    assert set(contents) <= {f"#{a}" for a in korean["chapter/adam.html"]}


def test_a_section_without_a_label_fails_the_build(tmp_path: Path) -> None:
    (tmp_path / "conf.py").write_text(
        f"import sys\nsys.path.insert(0, {str(ROOT / 'docs' / '_ext')!r})\n"
        "extensions = ['myst_parser', 'sections']\n"
    )
    (tmp_path / "index.md").write_text("(home)=\n# Home\n\n## 3.1 첫 절\n\ntext\n")
    result = build_small(tmp_path, tmp_path / "html")
    assert result.returncode != 0
    assert "section '3.1 첫 절' has no label: write (some-label)= (MyST)" in result.stderr
    (tmp_path / "index.md").write_text("(home)=\n# Home\n\n(first)=\n## 3.1 첫 절\n\ntext\n")
    assert build_small(tmp_path, tmp_path / "html").returncode == 0
    page = (tmp_path / "html" / "index.html").read_text()
    assert '<section id="first">' in page


def test_sections_take_the_chapters_number(tmp_path: Path) -> None:
    """Sphinx numbers a numbered toctree from 1 (sphinx-doc/sphinx#8128); sections.py puts
    book_chapter in front, in headings, the sidebar, titles and references."""
    (tmp_path / "conf.py").write_text(
        f"import sys\nsys.path.insert(0, {str(ROOT / 'docs' / '_ext')!r})\n"
        "extensions = ['myst_parser', 'sections']\nbook_chapter = 3\n"
        "html_secnumber_suffix = ' '\nnumfig = True\n"
    )
    (tmp_path / "index.md").write_text(
        "(home)=\n# Home\n\n```{toctree}\n:numbered:\n\none\ntwo\n```\n"
    )
    (tmp_path / "one.md").write_text("(one)=\n# One\n\n(one-a)=\n## A\n\n{numref}`%s <two-b>`\n")
    (tmp_path / "two.md").write_text("(two)=\n# Two\n\n(two-a)=\n## A\n\n(two-b)=\n## B\n\ntext\n")
    assert build_small(tmp_path, tmp_path / "html").returncode == 0
    one = BeautifulSoup((tmp_path / "html" / "one.html").read_text(), "html.parser")
    two = BeautifulSoup((tmp_path / "html" / "two.html").read_text(), "html.parser")
    headings = [h.get_text(" ", strip=True) for h in two.select("section h1, section h2")]
    assert [h.rstrip("¶ ") for h in headings] == ["3.2 Two", "3.2.1 A", "3.2.2 B"]
    assert two.title.get_text().startswith("3.2 Two")
    assert one.select_one("span.std-numref").get_text() == "3.2.2"
    sidebar = [a.get_text(" ", strip=True) for a in one.select("a.reference.internal")]
    assert "3.1 One" in sidebar
    assert "3.2 Two" in sidebar


def test_english_build_reuses_the_korean_execution(project: Path) -> None:
    log = (project / "docs" / "_build" / "build.log").read_text()
    korean, english = log.split("--- building the en edition")
    examples = len(list((ROOT / "gallery").glob("plot_*.py")))
    assert "Executing notebook" in korean
    assert "Executing notebook" not in english
    assert f"excluding {examples} files that had previously been run" in english


@pytest.mark.parametrize(
    ("word", "stem"),
    [
        ("파라미터를", "파라미터"),
        ("그래디언트의", "그래디언트"),
        ("학습에서는", "학습"),
        ("Adam", None),
    ],
)
def test_particles_are_split_off(word: str, stem: str | None) -> None:
    assert without_particle(word) == stem
    assert SearchKorean({}).split(f"{word}.") == [word] + ([stem] if stem else [])


def article_text(page: Path) -> str:
    soup = BeautifulSoup(page.read_text(encoding="utf-8"), "html.parser")
    return (soup.find("article") or soup.body).get_text()


def test_korean_search_finds_words_with_particles(book: Path) -> None:
    text = (book / "searchindex.js").read_text(encoding="utf-8")
    index = json.loads(text[text.index("(") + 1 : text.rindex(")")])
    documents = index["docnames"]
    found = set()
    for kind in ("terms", "titleterms"):  # a word in a page's title is indexed there only
        pages = index[kind].get("파라미터", [])
        found |= {documents[i] for i in ([pages] if isinstance(pages, int) else pages)}
    # base-class says 파라미터를, 파라미터의, 파라미터별 ...: all of it must be found.
    assert "chapter/base-class" in found
    with_particles_only = [
        page
        for page in documents
        if re.search(r"파라미터[를의는가]", article_text(book / f"{page}.html"))
    ]
    assert with_particles_only
    assert set(with_particles_only) <= found


@pytest.mark.parametrize(
    ("edition", "shown", "not_shown"),
    [
        ("ko", "Jupyter 노트북 내려받기", "Download Jupyter notebook"),
        ("en", "Download Jupyter notebook", "Jupyter 노트북 내려받기"),
    ],
)
def test_gallery_boilerplate_follows_the_edition(
    site: Path, edition: str, shown: str, not_shown: str
) -> None:
    pages = sorted((site / edition / "auto_examples").glob("plot_*.html"))
    assert pages
    for page in pages:
        text = " ".join(article_text(page).split())
        assert shown in text
        assert not_shown not in text
