"""What the chapter claims about optimizers, checked on real problems."""

from __future__ import annotations

import copy
import doctest
import importlib
import math

import pytest
import torch
from cases import CASES, DTYPES, Case, assert_same, gradient_stream, make_params, set_grads

import myoptim
from myoptim import MyAdam, MyOptimizer, MySGD, MySGDMomentum


def polynomial_loss(coefficients: torch.Tensor) -> torch.Tensor:
    """The overview's problem, rescaled to x in [-1, 1]: fit sin(pi x) by a cubic."""
    x = torch.linspace(-1, 1, 2000, dtype=coefficients.dtype)
    y_pred = sum(c * x**k for k, c in enumerate(coefficients))
    return (y_pred - torch.sin(math.pi * x)).pow(2).mean()


@pytest.mark.parametrize("case", CASES)
def test_loss_goes_down(case: Case) -> None:
    coefficients = torch.tensor([0.5, -0.2, 0.3, 0.1], requires_grad=True)
    optimizer = case.make([coefficients])
    initial = polynomial_loss(coefficients).item()
    for _ in range(100):
        optimizer.zero_grad()
        polynomial_loss(coefficients).backward()
        optimizer.step()
    assert polynomial_loss(coefficients).item() < 0.9 * initial


@pytest.mark.parametrize("case", CASES)
def test_step_without_gradients_changes_nothing(case: Case) -> None:
    params = make_params(torch.float32)
    optimizer = case.make(params)
    for grads in gradient_stream(params, steps=3):
        set_grads(params, grads)
        optimizer.step()
    before = copy.deepcopy(optimizer)
    optimizer.zero_grad()
    assert all(p.grad is None for p in params)
    optimizer.step()
    assert_same(optimizer, before)


def test_each_parameter_counts_its_own_steps() -> None:
    params = make_params(torch.float32)
    optimizer = MyAdam(params)
    for grads in gradient_stream(params, steps=9):  # parameter 1 skips every third step
        set_grads(params, grads)
        optimizer.step()
    assert [optimizer.state[p]["t"] for p in params] == [9, 6, 9, 9, 0]


@pytest.mark.parametrize("case", CASES)
def test_repr_shows_class_and_hyperparameters(case: Case) -> None:
    optimizer = case.make([torch.zeros(2, requires_grad=True)])
    text = repr(optimizer)
    assert text.startswith(f"{case.optimizer.__name__}(")
    assert set(case.kwargs) <= set(optimizer.hyperparameters())
    for name, value in optimizer.hyperparameters().items():
        assert f"{name}={value!r}" in text


def test_the_base_class_is_abstract() -> None:
    with pytest.raises(TypeError, match="abstract"):
        MyOptimizer([torch.zeros(1, requires_grad=True)], lr=0.1)  # type: ignore[abstract]


@pytest.mark.parametrize("name", myoptim.__all__)
def test_docstring_example_runs(name: str) -> None:
    """Every public class shows a short example, and the example's output is true. A table
    (``CHAPTER``) shows it in the docstring of the module of its name."""
    obj = getattr(myoptim, name)
    if not callable(obj):
        obj = importlib.import_module(f"myoptim.{name.lower()}")
    docstrings = doctest.DocTestFinder(recurse=False).find(obj, name)
    assert any(d.examples for d in docstrings), f"{name}'s docstring has no example"
    runner = doctest.DocTestRunner()
    for docstring in docstrings:
        runner.run(docstring)  # prints any failing example
    assert runner.summarize(verbose=False).failed == 0


def goodfellow_momentum(theta: torch.Tensor, lrs: list[float], alpha: float) -> torch.Tensor:
    """Algorithm 8.2 as the momentum page's box writes it: v <- alpha*v - eps*g; theta += v."""
    theta = theta.clone().requires_grad_()
    v = torch.zeros_like(theta)
    for lr in lrs:
        theta.grad = None
        rosenbrock(theta).backward()
        with torch.no_grad():
            v = alpha * v - lr * theta.grad
            theta += v
    return theta.detach()


def pytorch_momentum(theta: torch.Tensor, lrs: list[float], alpha: float) -> torch.Tensor:
    """MySGDMomentum, the chapter's code: v <- alpha*v + g; theta <- theta - eps*v."""
    theta = theta.clone().requires_grad_()
    optimizer = MySGDMomentum([theta], lr=lrs[0], momentum=alpha)
    for lr in lrs:
        optimizer.lr = lr
        optimizer.zero_grad()
        rosenbrock(theta).backward()
        optimizer.step()
    return theta.detach()


def rosenbrock(theta: torch.Tensor) -> torch.Tensor:
    return (1 - theta[0]) ** 2 + 100 * (theta[1] - theta[0] ** 2) ** 2


@pytest.mark.parametrize("dtype", DTYPES)
def test_momentum_forms_agree_at_constant_lr(dtype: torch.dtype) -> None:
    start = torch.tensor([-1.5, 2.0], dtype=dtype)
    lrs = [1e-4] * 500
    book, code = goodfellow_momentum(start, lrs, 0.9), pytorch_momentum(start, lrs, 0.9)
    assert not torch.equal(code, start)
    torch.testing.assert_close(code, book, rtol=1e-5 if dtype == torch.float32 else 1e-12, atol=0)


def test_momentum_forms_differ_when_lr_changes() -> None:
    start = torch.tensor([-1.5, 2.0], dtype=torch.float64)
    lrs = [1e-4] * 100 + [1e-5] * 100  # a step schedule
    book, code = goodfellow_momentum(start, lrs, 0.9), pytorch_momentum(start, lrs, 0.9)
    assert (code - book).abs().max() > 1e-3


def textbook_adam(params: list[torch.Tensor], stream, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
    """The Adam page's code: bias-corrected m_hat and v_hat as full tensors."""
    state = [(torch.zeros_like(p), torch.zeros_like(p), [0]) for p in params]
    with torch.no_grad():
        for grads in stream:
            for p, g, (m, v, t) in zip(params, grads, state, strict=True):
                if g is None:
                    continue
                t[0] += 1
                m.mul_(beta1).add_(g, alpha=1 - beta1)
                v.mul_(beta2).addcmul_(g, g, value=1 - beta2)
                m_hat = m / (1 - beta1 ** t[0])
                v_hat = v / (1 - beta2 ** t[0])
                p.addcdiv_(m_hat, v_hat.sqrt().add_(eps), value=-lr)


@pytest.mark.parametrize("dtype", DTYPES)
def test_textbook_adam_is_the_same_method(dtype: torch.dtype) -> None:
    """MyAdam reorders the chapter's formulas; after 1000 steps only rounding differs."""
    mine, book = make_params(dtype), make_params(dtype)
    optimizer = MyAdam(mine)
    for grads in gradient_stream(mine, steps=1000):
        set_grads(mine, grads)
        optimizer.step()
    textbook_adam(book, gradient_stream(book, steps=1000))
    tolerance = {torch.float32: 1e-5, torch.float64: 1e-12}[dtype]
    for a, b in zip(mine, book, strict=True):
        torch.testing.assert_close(a, b, rtol=tolerance, atol=tolerance)


def test_sgd_matches_the_manual_loop_of_section_3_1_2() -> None:
    """optimizer.step() does what the chapter's hand-written update does."""
    manual = torch.tensor([0.5, -0.2, 0.3, 0.1], requires_grad=True)
    coefficients = manual.detach().clone().requires_grad_()
    optimizer = MySGD([coefficients], lr=1e-3)
    for _ in range(50):
        polynomial_loss(manual).backward()
        with torch.no_grad():
            manual -= 1e-3 * manual.grad
        manual.grad = None
        optimizer.zero_grad()
        polynomial_loss(coefficients).backward()
        optimizer.step()
    torch.testing.assert_close(coefficients, manual)
