"""Saving, resuming and copying optimizers."""

from __future__ import annotations

import copy
import io

import numpy as np
import pytest
import torch
from cases import (
    CASES,
    Case,
    assert_same,
    copy_params,
    gradient_stream,
    make_kwargs,
    make_params,
    set_grads,
)

from myoptim import MyAdam, MyOptimizer, MyRMSProp, MySGDMomentum
from myoptim.base import check_hyperparameter


def run(optimizer: MyOptimizer, stream) -> None:
    for grads in stream:
        set_grads(optimizer.params, grads)
        optimizer.step()


def save_and_load(state_dict: dict) -> dict:
    buffer = io.BytesIO()
    torch.save(state_dict, buffer)
    buffer.seek(0)
    return torch.load(buffer, weights_only=True)


@pytest.mark.parametrize("case", CASES)
def test_resumed_run_continues_bit_identically(case: Case) -> None:
    grads = list(gradient_stream(make_params(torch.float32), steps=60))
    uninterrupted = case.make(make_params(torch.float32))
    run(uninterrupted, grads)

    first = case.make(make_params(torch.float32))
    run(first, grads[:25])
    checkpoint = save_and_load({"params": first.params, "optimizer": first.state_dict()})
    params = copy_params(checkpoint["params"])
    resumed = case.make(params)
    resumed.load_state_dict(checkpoint["optimizer"])
    run(resumed, grads[25:])

    assert_same(resumed, uninterrupted)


def test_load_restores_hyperparameters() -> None:
    saved = MyAdam([torch.zeros(3, requires_grad=True)], lr=0.1, beta1=0.5).state_dict()
    optimizer = MyAdam([torch.zeros(3, requires_grad=True)], lr=0.7)
    optimizer.load_state_dict(saved)
    assert (optimizer.lr, optimizer.beta1) == (0.1, 0.5)


def test_state_dict_is_a_snapshot() -> None:
    params = make_params(torch.float32)
    optimizer = MyAdam(params)
    run(optimizer, gradient_stream(params, steps=3))
    saved = optimizer.state_dict()
    m = saved["state"][0]["m"].clone()
    run(optimizer, gradient_stream(params, steps=3, seed=2))
    assert torch.equal(saved["state"][0]["m"], m)
    assert saved["state"][0]["t"] == 3


def trained(optimizer_class: type[MyOptimizer], params: list[torch.Tensor]) -> MyOptimizer:
    optimizer = optimizer_class(params, **make_kwargs(optimizer_class))
    run(optimizer, gradient_stream(params, steps=5))
    return optimizer


def reshaped_params() -> list[torch.Tensor]:
    params = make_params(torch.float32)
    params[2] = torch.zeros(3, 4, requires_grad=True)
    return params


BAD_STATE_DICTS = [
    pytest.param(
        lambda: trained(MyRMSProp, make_params(torch.float32)).state_dict(),
        "cannot load a state dict saved by MyRMSProp into MyAdam",
        id="another-class",
    ),
    pytest.param(
        lambda: trained(MyAdam, make_params(torch.float32)[:3]).state_dict(),
        "holds state for 3 parameters, but this optimizer has 5",
        id="fewer-parameters",
    ),
    pytest.param(
        lambda: trained(MyAdam, reshaped_params()).state_dict(),
        r"parameter 2: saved state 'm' has shape \(3, 4\), but the parameter has shape \(4, 3\)",
        id="another-shape",
    ),
    pytest.param(
        lambda: torch.optim.Adam(make_params(torch.float32)).state_dict(),
        r"made by MyAdam.state_dict\(\).*\(a torch.optim state dict\?\)",
        id="torch-optim",
    ),
    # Each of these, loaded unchecked, failed later or ran with values __init__ refuses.
    pytest.param(
        lambda: edited(hyperparameters={"lr": -1.0}),
        r"hyperparameters are invalid: Invalid learning rate: -1\.0",
        id="negative-lr",
    ),
    pytest.param(
        lambda: edited(hyperparameters={"beta2": 1.5}),
        r"hyperparameters are invalid: Invalid beta parameter at index 1: 1\.5",
        id="beta2-above-1",
    ),
    pytest.param(
        lambda: edited(state={"t": -3}),
        r"parameter 4: saved state 't' is -3, below 0",
        id="t-below-0",
    ),
    pytest.param(
        lambda: edited(state={"m": torch.empty(2, 2, device="meta")}),
        r"parameter 4: saved state 'm' \(meta\) cannot be copied to cpu",
        id="meta-tensor",
    ),  # the last parameter: the others would load before it fails, were it not staged
]


def edited(hyperparameters: dict | None = None, state: dict | None = None) -> dict:
    """A trained MyAdam's state dict with some hyperparameters, and the last state, replaced."""
    saved = trained(MyAdam, make_params(torch.float32)).state_dict()
    saved["hyperparameters"].update(hyperparameters or {})
    saved["state"][-1].update(state or {})
    return saved


@pytest.mark.parametrize(("make_state_dict", "message"), BAD_STATE_DICTS)
def test_bad_state_dict_is_refused_and_changes_nothing(make_state_dict, message: str) -> None:
    params = make_params(torch.float32)
    optimizer = trained(MyAdam, params)
    before = copy.deepcopy(optimizer)
    with pytest.raises(ValueError, match=message):
        optimizer.load_state_dict(make_state_dict())
    assert_same(optimizer, before)


def test_deepcopy_steps_independently() -> None:
    params = make_params(torch.float32)
    optimizer = MySGDMomentum(params, lr=0.1)
    run(optimizer, gradient_stream(params, steps=3))
    clone = copy.deepcopy(optimizer)
    assert all(a is not b for a, b in zip(clone.params, optimizer.params, strict=True))
    stream = list(gradient_stream(params, steps=4, seed=5))
    run(clone, stream)
    assert not torch.equal(clone.params[0], optimizer.params[0])
    run(optimizer, stream)
    assert_same(clone, optimizer)


@pytest.mark.parametrize(
    "lr", [np.float32(0.01), np.float64(0.01), np.int64(1)], ids=["float32", "float64", "int64"]
)
def test_numpy_numbers_are_saved_as_python_numbers(lr: np.number) -> None:
    """torch.load(weights_only=True) refuses NumPy scalars; the chapter sets opt.lr directly."""
    params = make_params(torch.float32)
    optimizer = MyAdam(params, lr=lr)
    assert type(optimizer.lr) in (float, int)
    optimizer.lr = lr  # as a schedule in the chapter's style would
    loaded = save_and_load(optimizer.state_dict())
    assert loaded["hyperparameters"]["lr"] == lr.item()
    assert type(loaded["hyperparameters"]["lr"]) is type(lr.item())


class MyScaledSGD(MyOptimizer):
    """A reader's optimizer whose __init__ passes keywords on."""

    def __init__(self, params, scale: float = 2.0, **kwargs) -> None:
        super().__init__(params, **kwargs)
        self.scale = check_hyperparameter("scale", scale)

    def _update_param(self, p: torch.Tensor, grad: torch.Tensor) -> None:
        p.add_(grad, alpha=-self.lr * self.scale)


def test_a_subclass_taking_kwargs_prints_saves_and_loads() -> None:
    optimizer = MyScaledSGD(make_params(torch.float32), scale=3.0, lr=0.1)
    assert repr(optimizer) == "MyScaledSGD(lr=0.1, scale=3.0)"
    other = MyScaledSGD(make_params(torch.float32), lr=0.5)
    other.load_state_dict(save_and_load(optimizer.state_dict()))
    assert (other.lr, other.scale) == (0.1, 3.0)


def test_a_hyperparameter_kept_under_another_name_is_named() -> None:
    class MyForgetful(MyOptimizer):
        def __init__(self, params, lr: float = 0.1, decay: float = 0.5) -> None:
            super().__init__(params, lr)
            self._decay = decay

        def _update_param(self, p: torch.Tensor, grad: torch.Tensor) -> None:
            p.sub_(grad)

    with pytest.raises(AttributeError, match=r"takes \['decay'\] but keeps no attribute"):
        repr(MyForgetful(make_params(torch.float32)))
