"""The compiled fast path: Flattened(..., compile=True) and MyCompiledAdam.

Compiled loops keep intermediate values in registers and round differently from
torch's separate operations, so these compare to rounding (float32: ``rtol=atol=1e-5``,
the margin measured in the notes; float64: ``assert_close``'s defaults).
"""

from __future__ import annotations

import sysconfig
from collections.abc import Iterator
from pathlib import Path

import pytest
import torch
from cases import (
    CASES,
    DTYPES,
    TABLE,
    Case,
    copy_params,
    gradient_stream,
    make_params,
    mlp,
    set_grads,
    step_both,
    train,
)

from myoptim import Flattened, MyAdam, MyCompiledAdam, MySGDMomentum, compiler_missing
from myoptim.compiled_adam import _compiled

ADAM = TABLE["adam-2"]


def assert_near(actual: torch.Tensor, expected: torch.Tensor, what: str) -> None:
    tolerance = {"rtol": 1e-5, "atol": 1e-5} if actual.dtype == torch.float32 else {}
    torch.testing.assert_close(actual, expected, **tolerance, msg=lambda m: f"{what}: {m}")


@pytest.mark.parametrize("case", CASES)
def test_compiled_step_matches_the_eager_one(case: Case) -> None:
    """Every optimizer of the chapter, compiled as written, computes what it computes eagerly."""
    compiled_params, eager_params = make_params(torch.float32), make_params(torch.float32)
    compiled = Flattened(case.optimizer, compiled_params, compile=True, **case.kwargs)
    eager = Flattened(case.optimizer, eager_params, **case.kwargs)
    for grads in gradient_stream(compiled_params, steps=50):
        for flat, params in ((compiled, compiled_params), (eager, eager_params)):
            for p, g in zip(params, grads, strict=True):
                if p.requires_grad:  # in place: p.grad is a view of the buffer
                    p.grad.copy_(torch.zeros_like(p) if g is None else g)
            flat.step()
    assert_near(compiled.buffer, eager.buffer, "parameters")
    for name, value in eager.optimizer.state.get(eager.buffer, {}).items():
        other = compiled.optimizer.state[compiled.buffer][name]
        if isinstance(value, torch.Tensor):
            assert_near(other, value, f"state {name!r}")
        else:
            assert other == value, name
    assert repr(compiled).endswith("parameters, compiled)")


def test_compiled_adam_matches_torch_adam() -> None:
    """Per parameter, with gradients that skip a parameter on some steps, 300 steps.

    float32 only: each dtype and layout of parameter compiles a loop of its own, and
    torch.compile keeps 8; float64 runs through ``Flattened`` below.
    """
    mine_params = make_params(torch.float32)
    their_params = copy_params(mine_params)
    mine = MyCompiledAdam(mine_params, **ADAM.kwargs)
    theirs = ADAM.make_torch(their_params)
    step_both(mine, theirs, mine_params, their_params, steps=300)
    for i, (p, q) in enumerate(zip(mine_params, their_params, strict=True)):
        assert_near(p, q, f"parameter {i}")
        if p.requires_grad:
            state, their_state = mine.state[p], theirs.state[q]
            assert state["t"] == their_state["step"].item()
            assert_near(state["m"], their_state["exp_avg"], f"m of parameter {i}")
            assert_near(state["v"], their_state["exp_avg_sq"], f"v of parameter {i}")


@pytest.mark.parametrize("dtype", DTYPES)
def test_compiled_adam_trains_a_model_like_adam(dtype: torch.dtype) -> None:
    model, twin = mlp().to(dtype), mlp().to(dtype)
    compiled = train(model, Flattened(MyCompiledAdam, model.parameters(), lr=1e-2))
    plain = train(twin, Flattened(MyAdam, twin.parameters(), lr=1e-2))
    tolerance = {"rtol": 1e-4, "atol": 1e-5} if dtype == torch.float32 else {}
    torch.testing.assert_close(compiled, plain, **tolerance)
    assert compiled[-1] < 0.6 * compiled[0]


def test_compiled_adam_resumes_from_a_state_dict() -> None:
    grads = list(gradient_stream(make_params(torch.float32), steps=20))
    uninterrupted = MyCompiledAdam(make_params(torch.float32), lr=1e-2)
    first = MyCompiledAdam(make_params(torch.float32), lr=1e-2)
    for step, grad in enumerate(grads):
        set_grads(uninterrupted.params, grad)
        uninterrupted.step()
        if step < 10:
            set_grads(first.params, grad)
            first.step()
    resumed = MyCompiledAdam(copy_params(first.params), lr=1e-2)
    resumed.load_state_dict(first.state_dict())
    for grad in grads[10:]:
        set_grads(resumed.params, grad)
        resumed.step()
    for p, q in zip(resumed.params, uninterrupted.params, strict=True):
        assert torch.equal(p, q)
    with pytest.raises(ValueError, match="cannot load a state dict saved by MyAdam"):
        resumed.load_state_dict(MyAdam(copy_params(first.params)).state_dict())


def test_changing_hyperparameters_compiles_nothing_new() -> None:
    """They enter the loop as tensors: a schedule of 12 values stays within torch.compile's
    limit of 8 variants, which ``fullgraph=True`` turns into an error."""
    w = torch.ones(5, requires_grad=True)
    optimizer = MyCompiledAdam([w])
    for step in range(12):
        optimizer.lr, optimizer.beta1, optimizer.beta2 = 0.1 / (step + 1), 0.5 + step / 30, 0.99
        optimizer.eps = 10.0 ** -(step + 1)
        w.grad = torch.full_like(w, step + 1.0)
        optimizer.step()
    assert optimizer.state[w]["t"] == 12


def test_compiled_adam_validates_like_adam() -> None:
    with pytest.raises(ValueError, match=r"Invalid beta parameter at index 0: 1\.0"):
        MyCompiledAdam([torch.zeros(2, requires_grad=True)], beta1=1.0)
    assert repr(MyCompiledAdam([torch.zeros(2, requires_grad=True)])) == (
        "MyCompiledAdam(lr=0.001, beta1=0.9, beta2=0.999, eps=1e-08)"
    )


@pytest.fixture
def no_compiler(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """A machine without a C++ compiler (as Windows without MSVC, or Linux without g++)."""
    monkeypatch.setenv("CXX", "/nonexistent/c++")
    compiler_missing.cache_clear()
    _compiled.cache_clear()
    yield
    compiler_missing.cache_clear()
    _compiled.cache_clear()


def test_this_machine_compiles() -> None:
    """The tests above need a compiler; the book's CI also builds without one (.ci/run)."""
    assert compiler_missing() is None


def test_a_missing_compiler_is_named_with_what_to_install(no_compiler: None) -> None:
    reason = compiler_missing()
    assert reason is not None
    assert "$CXX names '/nonexistent/c++', which is not found" in reason
    for fix in ("build-essential", "xcode-select --install", "Visual Studio", "compile=True"):
        assert fix in reason


def test_missing_python_headers_are_named(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    paths = {**sysconfig.get_paths(), "include": str(tmp_path)}
    monkeypatch.setattr(sysconfig, "get_paths", lambda: paths)
    compiler_missing.cache_clear()
    try:
        reason = compiler_missing()
    finally:
        monkeypatch.undo()
        compiler_missing.cache_clear()
    assert reason is not None
    assert f"{tmp_path / 'Python.h'} is missing" in reason
    assert "python3-dev" in reason


def test_flattened_refuses_to_compile_without_a_compiler_and_leaves_the_model(
    no_compiler: None,
) -> None:
    model = mlp()
    before = [(p.data_ptr(), p.detach().clone()) for p in model.parameters()]
    with pytest.raises(RuntimeError, match=r"needs a C\+\+ compiler"):
        Flattened(MyAdam, model.parameters(), compile=True)
    for p, (pointer, value) in zip(model.parameters(), before, strict=True):
        assert p.data_ptr() == pointer  # not moved into a buffer
        assert torch.equal(p, value)
    Flattened(MyAdam, model.parameters())  # compiling was the only problem


def test_compiled_adam_without_a_compiler_fails_before_changing_anything(
    no_compiler: None,
) -> None:
    params = make_params(torch.float32)
    optimizer = MyCompiledAdam(params)
    set_grads(params, next(gradient_stream(params, steps=1)))
    before = copy_params(params)
    with pytest.raises(RuntimeError, match=r"needs a C\+\+ compiler"):
        optimizer.step()
    assert all(torch.equal(p, b) for p, b in zip(params, before, strict=True))
    assert all(state["t"] == 0 for state in optimizer.state.values())


def test_a_learning_rate_schedule_compiles_again_and_says_so_once() -> None:
    """12 learning rates, more than torch.compile's 8 variants per function: each compiles
    anew (with one warning), none fails, and the numbers are the eager ones."""
    compiled_model, eager_model = mlp(), mlp()
    compiled = Flattened(MySGDMomentum, compiled_model.parameters(), compile=True, lr=0.1)
    eager = Flattened(MySGDMomentum, eager_model.parameters(), lr=0.1)

    def schedule() -> None:
        for step in range(12):
            for flat, model in ((compiled, compiled_model), (eager, eager_model)):
                flat.lr = 0.1 / (step + 1)
                train(model, flat, steps=1)

    with pytest.warns(UserWarning, match=r"\{'lr': \(0\.1, 0\.05\)\} \(old, new\)") as record:
        schedule()
    assert sum("compiles the update again" in str(w.message) for w in record) == 1
    assert_near(compiled.buffer, eager.buffer, "parameters")


def test_more_than_eight_compiled_wrappers_of_one_class() -> None:
    for _ in range(10):  # a notebook cell run again and again
        model = mlp()
        losses = train(model, Flattened(MySGDMomentum, model.parameters(), compile=True, lr=0.1))
        assert losses[-1] < losses[0]
