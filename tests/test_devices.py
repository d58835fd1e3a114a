"""Where the starters train: ``myoptim.pick_device``, and every example that trains a network
goes through it (its notebook is made from the same script)."""

from __future__ import annotations

import ast

import pytest
import torch
from conftest import ROOT

from myoptim import pick_device
from myoptim.devices import VARIABLE


@pytest.fixture(autouse=True)
def unchosen(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(VARIABLE, raising=False)


def accelerator(monkeypatch: pytest.MonkeyPatch, found: str | None) -> None:
    """Make torch.accelerator find `found` (None: nothing)."""
    monkeypatch.setattr(torch.accelerator, "is_available", lambda: found is not None)
    monkeypatch.setattr(
        torch.accelerator, "current_accelerator", lambda: found and torch.device(found)
    )


def test_the_cpu_when_there_is_no_accelerator(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    accelerator(monkeypatch, None)
    assert pick_device() == torch.device("cpu")
    assert capsys.readouterr().out == "device: cpu\n"  # a notebook says where it ran


@pytest.mark.parametrize("found", ["cuda", "mps", "xpu"])
def test_the_accelerator_torch_finds(monkeypatch: pytest.MonkeyPatch, found: str) -> None:
    accelerator(monkeypatch, found)
    assert pick_device(announce=False) == torch.device(found)


def test_cuda_then_mps_on_a_torch_without_torch_accelerator(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delattr(torch, "accelerator")
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.setattr(torch.backends.mps, "is_available", lambda: False)
    assert pick_device(announce=False) == torch.device("cpu")
    monkeypatch.setattr(torch.backends.mps, "is_available", lambda: True)
    assert pick_device(announce=False) == torch.device("mps")
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    assert pick_device(announce=False) == torch.device("cuda")


def test_the_variable_chooses(monkeypatch: pytest.MonkeyPatch) -> None:
    accelerator(monkeypatch, "cuda")
    monkeypatch.setenv(VARIABLE, "cpu")
    assert pick_device(announce=False) == torch.device("cpu")


@pytest.mark.parametrize("name", ["gpu0", "cuda:99"])
def test_a_device_the_machine_lacks_is_refused_with_the_fix(
    monkeypatch: pytest.MonkeyPatch, name: str
) -> None:
    monkeypatch.setenv(VARIABLE, name)
    with pytest.raises(ValueError, match=rf"{VARIABLE}='{name}' names no device .* Use cpu"):
        pick_device()


def trains_a_network(tree: ast.Module) -> bool:
    """Whether a script builds a torch.nn layer or loads a dataset to train on."""
    names = {
        node.attr if isinstance(node, ast.Attribute) else node.id
        for node in ast.walk(tree)
        if isinstance(node, (ast.Attribute, ast.Name))
    }
    return bool(names & {"Linear", "Conv2d", "load_fashion_mnist"})


def calls(tree: ast.Module, name: str) -> list[ast.Call]:
    return [
        node
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and getattr(node.func, "attr", getattr(node.func, "id", None)) == name
    ]


def test_every_example_that_trains_a_network_picks_its_device_with_pick_device() -> None:
    """...once, and moves its model and its data there (``.to(device)``); the others solve
    small float64 problems, for which the CPU is the right device (MPS has no float64)."""
    training = []
    for script in sorted((ROOT / "gallery").glob("plot_*.py")):
        tree = ast.parse(script.read_text(encoding="utf-8"))
        if not trains_a_network(tree):
            continue
        training.append(script.name)
        assert len(calls(tree, "pick_device")) == 1, script.name
        moved = [c for c in calls(tree, "to") if ast.unparse(c.args) == "device"]
        assert len(moved) >= 2, f"{script.name}: the model and the data go to the device"
    assert len(training) >= 3
