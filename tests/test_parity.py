"""myoptim against torch.optim: the same parameters and state, bit for bit."""

from __future__ import annotations

import copy

import pytest
import torch
from cases import (
    CASES,
    DTYPES,
    Case,
    copy_params,
    make_params,
    step_both,
)
from torch import nn

from myoptim import MyAdaGrad, MyAdam, MyOptimizer, MyRMSProp


def assert_bitwise(actual: torch.Tensor, expected: torch.Tensor, what: str) -> None:
    difference = (actual - expected).abs().max().item()
    assert torch.equal(actual, expected), f"{what} differs from torch.optim by {difference:.3g}"


def assert_same_as_torch(
    case: Case,
    mine: MyOptimizer,
    theirs: torch.optim.Optimizer,
    mine_params: list[torch.Tensor],
    their_params: list[torch.Tensor],
) -> None:
    """Parameters and every piece of state equal torch's, bit for bit."""
    for i, (a, b) in enumerate(zip(mine_params, their_params, strict=True)):
        assert_bitwise(a, b, f"parameter {i}")
        their_state = theirs.state.get(b, {})
        for ours, name in case.state_names.items():
            value = mine.state[a][ours]
            if name not in their_state:  # torch makes state lazily, at a first gradient
                assert a.grad is None, f"torch has no {name!r} for parameter {i}"
                assert not torch.as_tensor(value).any(), f"{ours!r} of parameter {i} moved"
            elif isinstance(value, int):
                assert value == their_state[name].item(), f"step count of parameter {i}"
            else:
                assert_bitwise(value, their_state[name], f"state {ours!r} of parameter {i}")


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("case", CASES)
def test_fixed_gradient_stream_1000_steps(case: Case, dtype: torch.dtype) -> None:
    mine_params = make_params(dtype)
    their_params = copy_params(mine_params)
    mine, theirs = case.make(mine_params), case.make_torch(their_params)
    step_both(mine, theirs, mine_params, their_params, steps=1000)
    assert_same_as_torch(case, mine, theirs, mine_params, their_params)


class Net(nn.Module):
    """A small network with a frozen layer, a 0-d parameter and a branch used on even steps."""

    def __init__(self) -> None:
        super().__init__()
        self.frozen = nn.Linear(6, 16).requires_grad_(False)
        self.hidden = nn.Linear(16, 16)
        self.head = nn.Linear(16, 4)
        self.aux = nn.Linear(16, 4)
        self.scale = nn.Parameter(torch.tensor(1.0))

    def forward(self, x: torch.Tensor, use_aux: bool) -> torch.Tensor:
        h = torch.tanh(self.hidden(torch.tanh(self.frozen(x))))
        out = self.head(h) * self.scale
        return out + self.aux(h) if use_aux else out


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("case", CASES)
def test_training_steps(case: Case, dtype: torch.dtype) -> None:
    torch.manual_seed(0)
    mine_model = Net().to(dtype)
    their_model = copy.deepcopy(mine_model)
    mine = case.make(list(mine_model.parameters()))
    theirs = case.make_torch(list(their_model.parameters()))
    generator = torch.Generator().manual_seed(1)
    x = torch.randn(64, 6, generator=generator, dtype=dtype)
    y = torch.randint(0, 4, (64,), generator=generator)
    for step in range(40):
        for model, optimizer in ((mine_model, mine), (their_model, theirs)):
            optimizer.zero_grad()
            nn.functional.cross_entropy(model(x, use_aux=step % 2 == 0), y).backward()
            optimizer.step()
    assert mine_model.aux.weight.grad is None  # the last step skipped the branch
    assert_same_as_torch(
        case, mine, theirs, list(mine_model.parameters()), list(their_model.parameters())
    )


@pytest.mark.parametrize(
    ("optimizer", "torch_optimizer"),
    [
        (MyAdam, torch.optim.Adam),
        (MyAdaGrad, torch.optim.Adagrad),
        (MyRMSProp, torch.optim.RMSprop),
    ],
)
def test_defaults_are_torchs(optimizer: type[MyOptimizer], torch_optimizer: type) -> None:
    p = torch.zeros(1, requires_grad=True)
    defaults = torch_optimizer([p]).defaults
    if "betas" in defaults:
        defaults["beta1"], defaults["beta2"] = defaults["betas"]
    for name, value in optimizer([p]).hyperparameters().items():
        assert value == defaults[name], name


@pytest.mark.parametrize("case", CASES)
def test_model_converted_after_the_optimizer_was_made(case: Case) -> None:
    """model.double() between creating the optimizer and its first step: the state follows
    the parameters to float64, as torch.optim's state (made at the first step) does."""
    mine_params, their_params = make_params(torch.float32), make_params(torch.float32)
    mine = case.make(mine_params)
    theirs = case.make_torch(their_params)
    for p in mine_params + their_params:
        p.data = p.data.double()  # what model.double() does to each parameter
    if case.torch_optimizer is torch.optim.Adagrad:
        # torch's Adagrad makes its state in __init__ and keeps it float32: its twin comes after.
        theirs = case.make_torch(their_params)
    step_both(mine, theirs, mine_params, their_params, steps=50)
    assert_same_as_torch(case, mine, theirs, mine_params, their_params)
    for state in mine.state.values():
        assert all(v.dtype == torch.float64 for v in state.values() if torch.is_tensor(v))
