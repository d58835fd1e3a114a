"""Listings of the package's source at teaching size, each line of an update explained.

    ```{listing} myoptim.adam.MyAdam
    :methods: __init__ _update_param
    :explain: _update_param

    `m.lerp_(grad, 1 - self.beta1)`
    : 설명 ...
    ```

shows the class (or function) as ``myoptim`` has it, from its ``class`` line, with the
docstrings left out (they stay in the package and on the API page), and only the methods named
by ``:methods:`` (default: all). The directive's content is a definition list: each term is a
piece of the listing's code, each definition explains it. The build fails when a term is not in
the listing, or when a line of the methods named by ``:explain:`` has no term, so the text and
the code it explains cannot drift apart.

``.. chapter-optimizers::`` (reST) writes the API entry of every optimizer in
``myoptim.CHAPTER``, in order: its class, then the gallery's examples that use it, by name or
through ``CHAPTER``.
"""

from __future__ import annotations

import ast
import importlib
import inspect
import textwrap
from typing import Any, ClassVar

from docutils import nodes
from docutils.parsers.rst import directives
from docutils.statemachine import StringList
from sphinx.application import Sphinx
from sphinx.util.docutils import SphinxDirective


def _docstring_lines(tree: ast.AST) -> set[int]:
    """The line numbers (1-based, in the parsed text) of every docstring."""
    lines: set[int] = set()
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        if (
            isinstance(node, (ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef, ast.Module))
            and body
            and isinstance(body[0], ast.Expr)
            and isinstance(body[0].value, ast.Constant)
            and isinstance(body[0].value.value, str)
        ):
            lines.update(range(body[0].lineno, body[0].end_lineno + 1))
    return lines


def source_at_teaching_size(
    obj: object, methods: list[str] | None
) -> tuple[str, dict[str, list[str]]]:
    """The object's source without docstrings (and without the methods not named), and
    each method's statement lines, stripped of comments."""
    source = textwrap.dedent(inspect.getsource(obj))
    tree = ast.parse(source)
    drop = _docstring_lines(tree)
    top = tree.body[0]
    bodies: dict[str, list[str]] = {}
    lines = source.splitlines()
    for node in getattr(top, "body", []):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            span = range(
                min([node.lineno] + [d.lineno for d in node.decorator_list]), node.end_lineno + 1
            )
            if methods is not None and node.name not in methods:
                drop.update(span)
                continue
            bodies[node.name] = [
                lines[n - 1].split("  #")[0].strip()
                for n in range(node.body[0].lineno, node.end_lineno + 1)
                if n not in drop
                and lines[n - 1].strip()
                and not lines[n - 1].strip().startswith("#")
            ]
    for node in ast.walk(top):  # a body that was only a docstring becomes "..."
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and len(node.body) == 1:
            first = node.body[0].lineno
            if first in drop:
                drop.discard(first)
                indent = lines[first - 1][: len(lines[first - 1]) - len(lines[first - 1].lstrip())]
                lines[first - 1] = indent + "..."
    kept = [line for n, line in enumerate(lines, start=1) if n not in drop]
    if len(kept) > 1 and not kept[1].strip():  # the blank line that followed the docstring
        del kept[1]
    text = "\n".join(kept)
    while "\n\n\n" in text:  # a dropped method leaves its blank lines behind
        text = text.replace("\n\n\n", "\n\n")
    return text.strip("\n") + "\n", bodies


class Listing(SphinxDirective):
    required_arguments = 1
    has_content = True
    option_spec: ClassVar[dict[str, Any]] = {
        "methods": directives.unchanged,
        "explain": directives.unchanged,
    }

    def run(self) -> list[nodes.Node]:
        module_name, _, name = self.arguments[0].rpartition(".")
        obj = getattr(importlib.import_module(module_name), name)
        methods = self.options["methods"].split() if "methods" in self.options else None
        code, bodies = source_at_teaching_size(obj, methods)
        source_file = inspect.getsourcefile(obj)
        if source_file:
            self.env.note_dependency(source_file)
        block = nodes.literal_block(code, code, language="python", classes=["listing"])
        block["linenos"] = False
        self.set_source_info(block)
        result: list[nodes.Node] = [block]
        if not self.content:
            return result
        container = nodes.container(classes=["listing-notes"])
        self.state.nested_parse(self.content, self.content_offset, container)
        terms = [
            "".join(code.astext() for code in term.findall(nodes.literal)) or term.astext()
            for term in container.findall(nodes.term)
        ]
        code_lines = [line.split("  #")[0].strip() for line in code.splitlines()]
        for term in terms:
            if not any(term in line for line in code_lines):
                raise self.error(f"listing of {self.arguments[0]}: {term!r} is not in its code")
        for method in (self.options.get("explain") or "").split():
            if method not in bodies:
                raise self.error(f"listing of {self.arguments[0]}: no method {method!r} shown")
            for line in bodies[method]:
                if not any(term in line for term in terms):
                    raise self.error(
                        f"listing of {self.arguments[0]}: the line {line!r} of {method} is not "
                        "explained (add a term that is a piece of it)"
                    )
        result.append(container)
        return result


class ChapterOptimizers(SphinxDirective):
    def run(self) -> list[nodes.Node]:
        from myoptim import CHAPTER

        lines = []
        for rule in CHAPTER:
            lines += [
                f".. autoclass:: {rule.name}", "",
                ".. rubric:: 이 옵티마이저를 쓰는 예제", "",
                f".. minigallery:: myoptim.{rule.name} myoptim.CHAPTER", "",
            ]  # fmt: skip
        container = nodes.container()
        self.state.nested_parse(StringList(lines, source=self.get_source_info()[0]), 0, container)
        return container.children


def setup(app: Sphinx) -> dict[str, bool]:
    app.add_directive("listing", Listing)
    app.add_directive("chapter-optimizers", ChapterOptimizers)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
