"""The figures the reader can move (docs/_ext/movable.py): their data are myoptim's numbers,
their words fit the data, and they weigh little, on the pages that have them only.

How they behave in a browser (keyboard, pointer, screen reader, no JavaScript, print) is in
test_browser.py."""

from __future__ import annotations

import json
import math
import re
from pathlib import Path
from typing import Any

import pytest
import torch
from movable import problems
from site_links import pages

import myoptim

EDITIONS = ("ko", "en")
BUDGET = 150_000  # bytes per figure, data and script together


def data(site: Path, name: str) -> dict[str, Any]:
    text = (site / "_images" / f"movable-{name}.js").read_text(encoding="utf-8")
    assignment = text.splitlines()[-1]  # window.MOVABLE["name"] = {...};
    return json.loads(assignment.split(" = ", 1)[1].removesuffix(";"))


def frame(figure: dict[str, Any], *chosen: int) -> dict[str, Any]:
    index = 0
    for control, i in zip(figure["controls"], chosen, strict=True):
        index = index * len(control["values"]) + i
    return figure["common"] | figure["frames"][index]


def curvatures(frame: dict[str, Any]) -> tuple[float, float]:
    """The quadratic's eigenvalues, from the level sets the figure draws (radius ~ 1/sqrt)."""
    rx, ry = frame["ellipses"][0]
    return 1.0, (rx / ry) ** 2


def run(optimizer: Any, theta: torch.Tensor, hessian: torch.Tensor, steps: int) -> torch.Tensor:
    """The parameters before and after each step on the quadratic 0.5 theta^T H theta."""
    points = [theta.detach().clone()]
    for _ in range(steps):
        theta.grad = hessian @ theta.detach()
        optimizer.step()
        points.append(theta.detach().clone())
    return torch.stack(points)


def test_every_figure_weighs_little_and_loads_only_where_it_is(site: Path) -> None:
    script = site / "ko" / "_static" / "movable.js"
    figures = set()
    for edition in EDITIONS:
        for page in pages(site / edition):
            html = page.read_text(encoding="utf-8")
            names = re.findall(r'class="movable-words" hidden data-movable="(\w+)"', html)
            assert ("movable.js" in html) == bool(names), page  # the script, only where needed
            figures |= set(names)
    assert len(figures) >= 3
    for name in figures:
        weight = (site / "_images" / f"movable-{name}.js").stat().st_size + script.stat().st_size
        assert weight <= BUDGET, f"{name}: {weight} bytes"


def test_the_quadratic_paths_are_mysgdmomentums(site: Path) -> None:
    figure = data(site, "quadratic_model")
    rates, momenta = (len(c["values"]) for c in figure["controls"])
    for i, j in [tuple(figure["start"]), (rates // 2, momenta - 1), (rates - 1, 0)]:
        shown = frame(figure, i, j)
        lr, alpha = figure["controls"][0]["values"][i], figure["controls"][1]["values"][j]
        theta = torch.ones(2, dtype=torch.float64, requires_grad=True)
        optimizer = myoptim.MySGDMomentum([theta], lr=lr, momentum=alpha)
        hessian = torch.diag(torch.tensor(curvatures(shown), dtype=torch.float64))
        points = run(optimizer, theta, hessian, len(shown["path"]) // 2 - 1)
        assert torch.allclose(points.flatten() * 100, torch.tensor(shown["path"]).double(), atol=1)
        if shown["say"] == "diverges":
            assert lr > float(shown["text"]["bound"]) - 1e-9
            assert shown["mark"] <= lr


@pytest.mark.parametrize("optimizer", ["MySGD", "MyAdaGrad", "MyRMSProp", "MyAdam"])
def test_the_rotated_paths_are_the_optimizers(site: Path, optimizer: str) -> None:
    figure = data(site, "preconditioning")
    names = figure["controls"][1]["values"]
    for angle in (0, len(figure["controls"][0]["values"]) - 1):
        shown = frame(figure, angle, names.index(optimizer))
        phi = math.radians(shown["angle"])
        rotation = torch.tensor(
            [[math.cos(phi), -math.sin(phi)], [math.sin(phi), math.cos(phi)]], dtype=torch.float64
        )
        hessian = rotation @ torch.diag(torch.tensor(curvatures(shown))).double() @ rotation.T
        # The chapter's problem: the start (1, 0.5) turns with the valley.
        theta = (rotation @ torch.tensor([1.0, 0.5], dtype=torch.float64)).requires_grad_()
        rule = getattr(myoptim, optimizer)([theta], lr=shown["lr"])
        points = run(rule, theta, hessian, len(shown["path"]) // 2 - 1)
        assert torch.allclose(points.flatten() * 100, torch.tensor(shown["path"]).double(), atol=1)


def test_the_noise_floor_curves_are_sgd_with_unit_noise(site: Path) -> None:
    """Constant learning rates: the mean of 20,000 runs follows SGD's expected loss on
    f(x) = x^2 / 2 with gradient noise of standard deviation 1 (the chapter's model)."""
    figure = data(site, "noise_floor")
    for i, lr in enumerate(figure["controls"][0]["values"]):
        shown = frame(figure, i, figure["controls"][1]["values"].index("constant"))
        second_moment, expected = 1.0, {}
        for step in range(1, max(shown["x"]) + 1):
            second_moment = (1 - lr) ** 2 * second_moment + lr**2
            expected[step] = 100 * math.log10(second_moment / 2)
        for step, value in zip(shown["x"], shown["curve"], strict=True):
            assert abs(value - expected[step]) <= 3, (lr, step)


def test_words_that_miss_a_case_or_a_number_are_named() -> None:
    figure = {
        "controls": [{"name": "lr", "values": [0.1, 0.2], "text": ["0.1", "0.2"]}],
        "frames": [
            {"say": "converges", "text": {"steps": "40"}},
            {"say": "diverges", "text": {}},
        ],
    }
    words = {"guide": "g", "lr": "ε", "converges": "ε = {lr}: {steps}", "diverges": "{lr}"}
    assert problems(words, figure) == []
    assert problems({k: v for k, v in words.items() if k != "diverges"}, figure) == [
        "no words for 'diverges'"
    ]
    assert problems(words | {"diverges": "{lr}: {steps}"}, figure) == [
        "'diverges' names {steps}, which a frame lacks"
    ]
