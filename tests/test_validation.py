"""Bad input fails at once, with torch's wording and a hint how to fix it."""

from __future__ import annotations

import copy
import math

import numpy as np
import pytest
import torch
from cases import CLASSES, assert_same, make_kwargs

from myoptim import Flattened, MyAdaGrad, MyAdam, MyOptimizer, MyRMSProp, MySGD, MySGDMomentum
from myoptim.base import check_hyperparameter

BAD_HYPERPARAMETERS = [
    (MySGD, {"lr": -0.1}, r"Invalid learning rate: -0\.1 \(lr must be a number >= 0\)"),
    (MySGD, {"lr": math.nan}, "Invalid learning rate: nan"),
    (MySGDMomentum, {"lr": -1}, "Invalid learning rate: -1"),
    (MySGDMomentum, {"momentum": -0.5}, "Invalid momentum value: -0.5"),
    (MySGDMomentum, {"momentum": math.nan}, "Invalid momentum value: nan"),
    (MyAdam, {"lr": -1e-3}, "Invalid learning rate: -0.001"),
    (
        MyAdam,
        {"beta1": 1.0},
        r"Invalid beta parameter at index 0: 1\.0 \(beta1 must be .* \[0, 1\)",
    ),
    (MyAdam, {"beta1": -0.1}, "Invalid beta parameter at index 0: -0.1"),
    (MyAdam, {"beta2": 1.5}, "Invalid beta parameter at index 1: 1.5"),
    (MyAdam, {"eps": -1}, "Invalid epsilon value: -1"),
    (MyAdaGrad, {"lr": -0.01}, "Invalid learning rate: -0.01"),
    (MyAdaGrad, {"eps": -1e-10}, "Invalid epsilon value: -1e-10"),
    (MyRMSProp, {"alpha": -1}, "Invalid alpha value: -1"),
    (MyRMSProp, {"alpha": 1.0}, "Invalid alpha value: 1.0"),
    (MyRMSProp, {"eps": -1e-8}, "Invalid epsilon value: -1e-08"),
]


@pytest.mark.parametrize(
    ("optimizer", "overrides", "message"),
    [
        pytest.param(
            cls, kw, msg, id=f"{cls.__name__}-{'-'.join(f'{k}={v}' for k, v in kw.items())}"
        )
        for cls, kw, msg in BAD_HYPERPARAMETERS
    ],
)
def test_bad_hyperparameter(optimizer: type[MyOptimizer], overrides: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        optimizer([torch.zeros(1, requires_grad=True)], **make_kwargs(optimizer, **overrides))


# torch.optim's keywords, and a typo: each says what the class takes, and what to use instead.
WRONG_KEYWORDS = [
    (MyAdam, {"betas": (0.9, 0.99)}, r"torch.optim's keyword 'betas' \(use beta1= and beta2="),
    (MyAdam, {"weight_decay": 0.01}, r"torch.optim's keyword 'weight_decay' \(the chapter's"),
    (MySGDMomentum, {"nesterov": True}, r"keyword 'nesterov' .*keywords are lr, momentum$"),
    (MyRMSProp, {"centered": True}, "torch.optim's keyword 'centered'"),
    (MySGD, {"lrr": 0.1}, r"^MySGD has no keyword 'lrr'; its keywords are lr$"),
]


@pytest.mark.parametrize(
    ("optimizer", "keywords", "message"),
    [pytest.param(c, k, m, id=f"{c.__name__}-{next(iter(k))}") for c, k, m in WRONG_KEYWORDS],
)
def test_a_keyword_the_class_does_not_take_is_named(
    optimizer: type[MyOptimizer], keywords: dict, message: str
) -> None:
    with pytest.raises(TypeError, match=message):
        optimizer([torch.zeros(1, requires_grad=True)], **keywords)
    with pytest.raises(TypeError, match=message):  # the same through the fast path
        Flattened(optimizer, [torch.zeros(1, requires_grad=True)], **keywords)


def test_params_may_be_given_by_keyword() -> None:
    assert MySGD(params=[torch.zeros(1, requires_grad=True)], lr=0.1).lr == 0.1


def test_a_hyperparameter_without_torch_wording_is_named_by_itself() -> None:
    with pytest.raises(
        ValueError, match=r"^Invalid beta value: -1 \(beta must be a number >= 0\)$"
    ):
        check_hyperparameter("beta", -1)


@pytest.mark.parametrize("optimizer", CLASSES)
@pytest.mark.parametrize("value", ["0.1", True, torch.tensor(0.1)], ids=["str", "bool", "tensor"])
def test_hyperparameter_that_is_not_a_number(optimizer: type[MyOptimizer], value) -> None:
    with pytest.raises(TypeError, match="lr must be a real number, but got"):
        optimizer([torch.zeros(1, requires_grad=True)], **make_kwargs(optimizer, lr=value))


def leaf(*shape: int) -> torch.Tensor:
    return torch.zeros(shape, requires_grad=True)


def exhausted_generator():
    generator = (p for p in [leaf(2)])
    list(generator)
    return generator


def repeated():
    p = leaf(2)
    return [p, leaf(3), p]


BAD_PARAMS = {
    "empty-list": (lambda: [], ValueError, "optimizer got an empty parameter list"),
    "exhausted-generator": (
        exhausted_generator,
        ValueError,
        r"optimizer got an empty parameter list \(note that a generator",
    ),
    "bare-tensor": (
        lambda: leaf(3),
        TypeError,
        "params argument given to the optimizer should be an iterable of Tensors, "
        r"but got torch.FloatTensor; wrap a single tensor in a list",
    ),
    "not-iterable": (lambda: 3.0, TypeError, "should be an iterable of Tensors, but got float"),
    "set": (lambda: {leaf(2)}, TypeError, "ordered collections"),
    "float-element": (
        lambda: [leaf(2), 0.5],
        TypeError,
        "optimizer can only optimize Tensors, but one of the params is float",
    ),
    "param-group": (
        lambda: [{"params": [leaf(2)], "lr": 0.1}],
        TypeError,
        "myoptim optimizers take no parameter groups",
    ),
    "numpy-array": (
        lambda: [np.zeros(3)],
        TypeError,
        "optimizer can only optimize Tensors, but one of the params is numpy.ndarray",
    ),
    "integer-tensor": (
        lambda: [torch.zeros(3, dtype=torch.int64)],
        TypeError,
        "only optimize real floating-point Tensors, but one of the params has dtype torch.int64",
    ),
    "complex-tensor": (
        lambda: [torch.zeros(3, dtype=torch.complex64, requires_grad=True)],
        TypeError,
        "has dtype torch.complex64",
    ),
    "non-leaf": (lambda: [leaf(2) * 2], ValueError, "can't optimize a non-leaf Tensor"),
    "same-tensor-twice": (repeated, ValueError, "some parameters appear more than once"),
}


@pytest.mark.parametrize("optimizer", CLASSES)
@pytest.mark.parametrize(("make_params", "error", "message"), BAD_PARAMS.values(), ids=BAD_PARAMS)
def test_bad_params(optimizer: type[MyOptimizer], make_params, error: type, message: str) -> None:
    with pytest.raises(error, match=message):
        optimizer(make_params(), **make_kwargs(optimizer))


@pytest.mark.parametrize("optimizer", CLASSES)
def test_sparse_gradient_raises_before_anything_changes(optimizer: type[MyOptimizer]) -> None:
    dense = torch.ones(3, requires_grad=True)
    embedding = torch.nn.Embedding(4, 2, sparse=True)
    params = [dense, embedding.weight]
    opt = optimizer(params, **make_kwargs(optimizer))
    dense.grad = torch.ones(3)
    embedding(torch.tensor([1, 2])).sum().backward()
    before = copy.deepcopy(opt)
    with pytest.raises(RuntimeError, match=f"{optimizer.__name__} does not support sparse gradi"):
        opt.step()
    assert_same(opt, before)
