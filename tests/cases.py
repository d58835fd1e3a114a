"""The table every test draws from: each myoptim optimizer and its torch.optim twin."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import pytest
import torch

from myoptim import CHAPTER, MyOptimizer, Rule


@dataclass(frozen=True)
class Case:
    optimizer: type[MyOptimizer]
    kwargs: dict[str, Any]
    torch_optimizer: type[torch.optim.Optimizer]
    torch_kwargs: dict[str, Any]
    state_names: Mapping[str, str] = field(default_factory=dict)  # ours -> torch's

    def make(self, params: list[torch.Tensor]) -> MyOptimizer:
        return self.optimizer(params, **self.kwargs)

    def make_torch(self, params: list[torch.Tensor]) -> torch.optim.Optimizer:
        # The single-tensor loop: the path myoptim reproduces operation by operation.
        return self.torch_optimizer(params, foreach=False, **self.torch_kwargs)


def case_id(rule: Rule, index: int) -> str:
    """``adam`` for a rule's first setting, ``adam-2`` for its second, ..."""
    short = rule.name.removeprefix("My").lower()
    return short if index == 0 else f"{short}-{index + 1}"


# Every optimizer of the chapter (myoptim.CHAPTER) in each of its settings.
TABLE = {
    case_id(rule, i): Case(
        rule.optimizer, kwargs, rule.twin, rule.twin_kwargs(**kwargs), rule.state_names
    )
    for rule in CHAPTER
    for i, kwargs in enumerate(rule.settings)
}
CASES = [pytest.param(case, id=name) for name, case in TABLE.items()]
CLASSES = [
    pytest.param(cls, id=cls.__name__)
    for cls in sorted({case.optimizer for case in TABLE.values()}, key=lambda c: c.__name__)
]
DTYPES = [pytest.param(torch.float32, id="float32"), pytest.param(torch.float64, id="float64")]


def make_kwargs(cls: type[MyOptimizer], **overrides: Any) -> dict[str, Any]:
    """Keyword arguments that build ``cls``: its table defaults, then ``overrides``."""
    case = next(case for case in TABLE.values() if case.optimizer is cls)
    return {**case.kwargs, **overrides}


def make_params(dtype: torch.dtype, seed: int = 0) -> list[torch.Tensor]:
    """Parameters of several shapes: 0-d, 1-d, 2-d, a non-contiguous one and a frozen one."""
    generator = torch.Generator().manual_seed(seed)

    def randn(*shape: int) -> torch.Tensor:
        return torch.randn(shape, generator=generator, dtype=dtype)

    return [
        randn().requires_grad_(),
        randn(7).requires_grad_(),
        randn(4, 3).requires_grad_(),
        randn(5, 3).t().requires_grad_(),  # a transposed view: not contiguous
        randn(2, 2),  # requires no grad, so it never gets one
    ]


def mlp() -> torch.nn.Module:
    """A small seeded network: the same weights on every call."""
    torch.manual_seed(0)
    return torch.nn.Sequential(torch.nn.Linear(8, 16), torch.nn.ReLU(), torch.nn.Linear(16, 3))


def train(model: torch.nn.Module, optimizer: Any, steps: int = 50) -> list[float]:
    """Full-batch training on a fixed random problem; the loss of every step."""
    torch.manual_seed(1)
    dtype = next(model.parameters()).dtype
    x, y = torch.randn(64, 8, dtype=dtype), torch.randint(0, 3, (64,))
    losses = []
    for _ in range(steps):
        optimizer.zero_grad()
        loss = torch.nn.functional.cross_entropy(model(x), y)
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    return losses


def gradient_stream(params: list[torch.Tensor], steps: int, seed: int = 1):
    """Yield, per step, one gradient per parameter (None where it gets none).

    Parameter 1 gets no gradient every third step; parameters that do not require
    grad never get one. Magnitudes vary over four orders of magnitude.
    """
    generator = torch.Generator().manual_seed(seed)
    for step in range(steps):
        scale = 10.0 ** (step % 5 - 3)
        yield [
            None
            if not p.requires_grad or (i == 1 and step % 3 == 2)
            else scale * torch.randn(p.shape, generator=generator, dtype=p.dtype)
            for i, p in enumerate(params)
        ]


def set_grads(params: list[torch.Tensor], grads: list[torch.Tensor | None]) -> None:
    for p, g in zip(params, grads, strict=True):
        p.grad = None if g is None else g.clone()


def step_both(mine: Any, theirs: Any, mine_params: list, their_params: list, steps: int) -> None:
    """Both optimizers stepped on the same stream of gradients."""
    for grads in gradient_stream(mine_params, steps=steps):
        set_grads(mine_params, grads)
        set_grads(their_params, grads)
        mine.step()
        theirs.step()


def copy_params(params: list[torch.Tensor]) -> list[torch.Tensor]:
    """Independent copies with the same values, strides and requires_grad."""
    return [p.detach().clone().requires_grad_(p.requires_grad) for p in params]


def assert_same(a: MyOptimizer, b: MyOptimizer) -> None:
    """Two optimizers hold bit-identical parameters, hyperparameters and state."""
    for p, q in zip(a.params, b.params, strict=True):
        assert torch.equal(p, q)
    sa, sb = a.state_dict(), b.state_dict()
    assert sa["hyperparameters"] == sb["hyperparameters"]
    for state_a, state_b in zip(sa["state"], sb["state"], strict=True):
        assert state_a.keys() == state_b.keys()
        for name in state_a:
            assert torch.equal(torch.as_tensor(state_a[name]), torch.as_tensor(state_b[name]))
