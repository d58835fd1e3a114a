"""What a page offers for download is in the page's language, and its notebooks are Markdown.

sphinx-gallery writes one set of downloads (each example's ``.py``, ``.ipynb`` and ``.zip``,
and the two zips of all examples) from the Korean scripts when it runs them, and the English
build reuses that run. When an edition is built, its copies of those files are written again:

- In the English edition, an example's script is the Korean script with its prose (docstring
  and ``# %%`` blocks) replaced by the translations in the example's catalog: the code is the
  same, so it runs as the Korean one does, and nothing is run again.
- In both editions, a notebook is made from its edition's script, with its first cell (which
  installs myoptim) commented in its language, and the Sphinx roles of the prose become
  Markdown: links into the hosted book for ``:class:``, ``:func:``, ``:doc:`` and ``:ref:``,
  inline code for ````literal````; ``:math:`` becomes ``$...$`` as before.
- In the English edition, a page's "Download source" gives its source with every message
  replaced by its translation.
"""

from __future__ import annotations

import ast
import io
import json
import posixpath
import re
import textwrap
import zipfile
from functools import cache
from pathlib import Path

from addresses import site_url
from babel.messages.pofile import read_po
from english import SOURCE_LANGUAGE
from gallery_i18n import thumbnail_translations
from sphinx.application import Sphinx
from sphinx.util import logging
from sphinx_gallery.notebook import jupyter_notebook
from sphinx_gallery.py_source_parser import Block, split_code_and_text_blocks
from web import install_cell

logger = logging.getLogger(__name__)
WIDTH = 100  # the scripts' line length (pyproject.toml's ruff setting)
GALLERY = "auto_examples"
TEXT_BLOCK = re.compile(r"^# ?%%.*\n((?:#.*\n)*)", re.M)
LIST_ITEM = re.compile(r"(?:[-*]|\d+\.) ")
ADORNMENT = re.compile(r"([=\-~^\"'`#*+:.])\1{2,}")


@cache
def catalog(path: Path) -> dict[str, str]:
    """A catalog's translations (msgid to msgstr), longest first."""
    if not path.is_file():
        return {}
    with path.open("rb") as file:
        messages = {m.id: m.string for m in read_po(file) if m.id and m.string and not m.fuzzy}
    return dict(sorted(messages.items(), key=lambda item: -len(item[0])))


def _catalog_folder(app: Sphinx) -> Path:
    return Path(app.srcdir) / "locale" / app.config.language / "LC_MESSAGES"


def _catalog(app: Sphinx, docname: str) -> dict[str, str]:
    return catalog(_catalog_folder(app) / f"{docname}.po")


# --- an example's script in another language ---------------------------------------------------


def translate_rst(text: str, messages: dict[str, str], width: int) -> str:
    """reST prose, message by message as gettext extracted them (paragraphs, headings, list
    items), rewrapped to ``width``; what has no translation stays as it is."""

    def wrap(lines: list[str], indent: str = "") -> list[str]:
        translated = messages.get(" ".join(line.strip() for line in lines)[len(indent) :])
        if translated is None:
            return lines
        return textwrap.wrap(
            translated, width, initial_indent=indent, subsequent_indent=" " * len(indent),
            break_long_words=False, break_on_hyphens=False,
        )  # fmt: skip

    out: list[str] = []
    for paragraph in re.split(r"\n[ \t]*\n", text.strip("\n")):
        lines = paragraph.split("\n")
        if len(lines) >= 2 and ADORNMENT.fullmatch(lines[1]):  # a heading, perhaps text under it
            title = messages.get(lines[0], lines[0])
            out += [title, lines[1][0] * len(title)]
            lines = lines[2:]
        if lines and lines[0].startswith(".. "):  # a label or a directive: no prose of its own
            out += lines
        elif lines and LIST_ITEM.match(lines[0]):
            items: list[list[str]] = []
            for line in lines:
                if LIST_ITEM.match(line):
                    items.append([line])
                else:
                    items[-1].append(line)
            for item in items:
                out += wrap(item, LIST_ITEM.match(item[0]).group(0))  # type: ignore[union-attr]
        elif lines:
            out += wrap(lines)
        out.append("")
    return "\n".join(out[:-1]) + "\n"


def translate_script(source: str, messages: dict[str, str]) -> str:
    """A gallery script with its docstring and ``# %%`` blocks translated, its code untouched."""
    docstring = ast.parse(source).body[0]
    if not (isinstance(docstring, ast.Expr) and isinstance(docstring.value, ast.Constant)):
        raise ValueError("a gallery script starts with its docstring (title and introduction)")
    lines = source.split("\n")
    text = translate_rst(docstring.value.value, messages, WIDTH)
    head = '"""\n' + text.rstrip("\n").replace("\\", "\\\\") + '"""'
    rest = "\n".join(lines[docstring.end_lineno :])

    def block(match: re.Match[str]) -> str:
        prose = re.sub(r"^# ?", "", match.group(1), flags=re.M)
        translated = translate_rst(prose, messages, WIDTH - 2)
        comment = "\n".join(f"# {line}" if line else "#" for line in translated.split("\n")[:-1])
        return f"# %%\n{comment}\n"

    return head + "\n" + TEXT_BLOCK.sub(block, rest)


# --- notebooks ---------------------------------------------------------------------------------


def _markdown_roles(app: Sphinx, text: str, docname: str) -> str:
    """The Sphinx roles of reST prose as Markdown, linking into this edition of the book."""
    env = app.env
    book = f"{site_url()}{app.config.language}/"
    python = env.domains.python_domain.objects
    labels = env.domains.standard_domain.labels

    def role(match: re.Match[str]) -> str:
        kind, content = match.group("role").split(":")[-1], match.group("content")
        explicit = re.fullmatch(r"(?s)(.*?)\s*<(.+)>", content)
        shown, target = explicit.groups() if explicit else (None, content)
        if kind == "math":
            return match.group(0)  # sphinx-gallery's conversion writes $...$
        if kind == "doc":
            name = posixpath.normpath(posixpath.join(posixpath.dirname(docname), target))
            title = env.titles[name].astext() if name in env.titles else name
            return f"[{shown or title}]({book}{name}.html)"
        if kind == "ref":
            if target not in labels:
                logger.warning(f"{docname}: no label {target!r} to link the notebook to")
                return shown or target
            name, anchor, title = labels[target]
            return f"[{shown or title}]({book}{name}.html#{anchor})"
        shown = shown or (target[1:].split(".")[-1] if target.startswith("~") else target)
        entry = python.get(target.lstrip("~"))
        if entry is None:
            return f"`{shown}`"
        return f"[`{shown}`]({book}{entry.docname}.html#{entry.node_id})"

    text = re.sub(r":(?P<role>(?:py:)?[a-z]+):`(?P<content>[^`]+)`", role, text)
    text = re.sub(r"``(.+?)``", r"`\1`", text, flags=re.S)
    return text.replace("\\ ", "")  # reST's escaped space, which joins a Korean particle on


def notebook(app: Sphinx, script: Path, docname: str) -> str:
    _, blocks = split_code_and_text_blocks(script)
    blocks = [
        Block(kind, _markdown_roles(app, content, docname) if kind == "text" else content, line)
        for kind, content, line in blocks
    ]
    conf = {
        **app.config.sphinx_gallery_conf,
        "first_notebook_cell": install_cell(app.config.language),
    }
    content = jupyter_notebook(blocks, conf, script.parent)
    return json.dumps(content, indent=2, ensure_ascii=False)


def _zip(files: dict[str, str]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in sorted(files.items()):
            archive.writestr(name, content)
    return buffer.getvalue()


def gallery_downloads(app: Sphinx, folder: Path) -> dict[str, bytes]:
    """Every file the gallery offers, by name, in this edition's language."""
    scripts, notebooks = {}, {}
    for korean in sorted(Path(app.srcdir, GALLERY).glob("plot_*.py")):
        docname = f"{GALLERY}/{korean.stem}"
        source = korean.read_text(encoding="utf-8")
        if app.config.language != SOURCE_LANGUAGE:
            source = translate_script(source, _catalog(app, docname))
        script = folder / korean.name
        script.write_text(source, encoding="utf-8")
        scripts[korean.name] = source
        notebooks[f"{korean.stem}.ipynb"] = notebook(app, script, docname)
    files = {name: text.encode() for name, text in {**scripts, **notebooks}.items()}
    for name in scripts:
        stem = name.removesuffix(".py")
        both = {name: scripts[name], f"{stem}.ipynb": notebooks[f"{stem}.ipynb"]}
        files[f"{stem}.zip"] = _zip(both)
    files[f"{GALLERY}_python.zip"] = _zip(scripts)
    files[f"{GALLERY}_jupyter.zip"] = _zip(notebooks)
    return files


# --- page sources ------------------------------------------------------------------------------


def translate_source(text: str, messages: dict[str, str]) -> str:
    """A page's source with each message, wherever its words stand in the source (across line
    breaks and indentation), replaced by its translation."""
    for message, translation in messages.items():
        if message == translation:
            continue
        words = r"\s+".join(map(re.escape, message.split()))
        text = re.sub(rf"(?<!\S){words}(?!\S)", translation.replace("\\", "\\\\"), text)
    return text


def write_downloads(app: Sphinx, exception: BaseException | None) -> None:
    if exception or app.builder.format != "html":
        return
    outdir = Path(app.outdir)
    work = Path(app.doctreedir) / "downloads"
    work.mkdir(parents=True, exist_ok=True)
    files = gallery_downloads(app, work)
    for source, (_, destination) in app.env.dlfiles.items():
        name = Path(source).name
        if Path(source).parent.name == GALLERY and name in files:
            (outdir / "_downloads" / destination).write_bytes(files[name])
    if app.config.language == SOURCE_LANGUAGE:
        return
    suffix = app.config.html_sourcelink_suffix
    for page in (outdir / "_sources").rglob("*"):
        if page.is_file():
            docname = str(page.relative_to(outdir / "_sources")).removesuffix(suffix)
            docname = str(Path(docname).with_suffix(""))
            text = translate_source(page.read_text(encoding="utf-8"), _catalog(app, docname))
            if docname == f"{GALLERY}/index":  # its thumbnails' raw HTML quotes the examples
                thumbnails = thumbnail_translations(_catalog_folder(app) / GALLERY)
                for korean, english in thumbnails.items():
                    text = text.replace(korean, english)
            page.write_text(text, encoding="utf-8")


def setup(app: Sphinx) -> dict[str, bool]:
    app.connect("build-finished", write_downloads)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
