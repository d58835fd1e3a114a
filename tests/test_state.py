"""Saving, resuming and copying optimizers."""

from __future__ import annotations

import copy
import io

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
]


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
