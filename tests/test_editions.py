"""The English edition: complete, in step with the Korean source, linked both ways, searchable."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.pofile import read_po
from bs4 import BeautifulSoup
from check_links import on_site
from check_links import pages as all_pages
from conftest import ROOT
from korean_search import SearchKorean, without_particle

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
    for page in all_pages(english):
        if page.name == "genindex.html":  # lists the glossary's Korean terms too
            continue
        soup = BeautifulSoup(page.read_text(encoding="utf-8"), "html.parser")
        assert soup.html["lang"] == "en"
        body = soup.find("article") or soup.body
        # Code, outputs, formulas, the glossary's Korean terms and links to Korean stay as they are.
        for tag in body.select("pre, code, .math, .cell_output, dl.glossary dt, [lang=ko]"):
            tag.decompose()
        korean = HANGUL.findall(body.get_text())
        assert not korean, f"{page.relative_to(english)}: {''.join(korean)[:40]}"
    captions = [
        " ".join(box.get_text(" ", strip=True).split())
        for box in BeautifulSoup(
            (english / "chapter" / "sgd.html").read_text(encoding="utf-8"), "html.parser"
        ).select("div.proof.algorithm .admonition-title")
    ]
    assert captions == ["Algorithm 1 (Stochastic gradient descent (SGD) update)"]


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
