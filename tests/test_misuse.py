"""The slips of people who write their own rules or move torch code over: each one either
works as torch.optim does, or stops with a message that names the cause and the fix."""

from __future__ import annotations

import copy
import warnings
from collections.abc import Callable
from fractions import Fraction
from typing import Any

import pytest
import torch
from cases import CLASSES, assert_same, make_kwargs, mlp, train

from myoptim import (
    Flattened,
    MyAdam,
    MyOptimizer,
    MySGD,
    MySGDMomentum,
    TorchOptimizer,
)


def w() -> torch.Tensor:
    return torch.tensor([1.0, -2.0, 3.0], requires_grad=True)


def backward(params: list[torch.Tensor]) -> None:
    sum((p**2).sum() for p in params).backward()


# Rules a reader writes: each with one of the slips the chapter warns about.
class Rebinding(MyOptimizer):
    elementwise = True

    def _update_param(self, p: torch.Tensor, grad: torch.Tensor) -> None:
        p = p - self.lr * grad  # the slip: a new tensor, the parameter unchanged


class NormScaled(MyOptimizer):
    """Not elementwise: every element's step reads the norm of the whole tensor."""

    def _update_param(self, p: torch.Tensor, grad: torch.Tensor) -> None:
        p.add_(grad / grad.norm(), alpha=-self.lr)


class NoSuper(MyOptimizer):
    def __init__(self, params: Any, lr: float = 0.1) -> None:
        self.lr = lr

    def _update_param(self, p: torch.Tensor, grad: torch.Tensor) -> None:
        p.add_(grad, alpha=-self.lr)


def keyed_by(key: Callable[[int, torch.Tensor], Any]) -> type[MyOptimizer]:
    class Keyed(MyOptimizer):
        def __init__(self, params: Any, lr: float = 0.1) -> None:
            super().__init__(params, lr)
            for i, p in enumerate(self.params):
                self.state[key(i, p)] = {"v": torch.zeros_like(p)}

        def _update_param(self, p: torch.Tensor, grad: torch.Tensor) -> None:
            p.add_(grad, alpha=-self.lr)

    return Keyed


class LazyMomentum(MyOptimizer):
    """torch.optim's habit: the state is made at a parameter's first step."""

    elementwise = True

    def __init__(self, params: Any, lr: float = 0.1, momentum: float = 0.9) -> None:
        super().__init__(params, lr)
        self.momentum = momentum

    def _update_param(self, p: torch.Tensor, grad: torch.Tensor) -> None:
        if p not in self.state:
            self.state[p] = {"v": torch.zeros_like(p)}
        v = self.state[p]["v"]
        v.mul_(self.momentum).add_(grad, alpha=-self.lr)
        p.add_(v)


class NormHistory(MyOptimizer):
    """Keeps a Python list in its state."""

    def __init__(self, params: Any, lr: float = 0.1) -> None:
        super().__init__(params, lr)
        for p in self.params:
            self.state[p] = {"norms": []}

    def _update_param(self, p: torch.Tensor, grad: torch.Tensor) -> None:
        self.state[p]["norms"].append(grad.norm().item())
        p.add_(grad, alpha=-self.lr)


def step_once(optimizer: Any, params: list[torch.Tensor]) -> None:
    backward(params)
    optimizer.step()


def torch_group(group: dict[str, Any]) -> Callable[[], Any]:
    return lambda: TorchOptimizer(MyAdam, [{"params": [w()], **group}], lr=0.1)


def after_first_step(change: Callable[[TorchOptimizer], None]) -> Callable[[], Any]:
    def run() -> None:
        params = [w()]
        optimizer = TorchOptimizer(MyAdam, params, lr=0.1)
        step_once(optimizer, params)
        change(optimizer)
        step_once(optimizer, params)

    return run


def assigned(make: Callable[[list[torch.Tensor]], Any], name: str, value: Any) -> Callable:
    return lambda: setattr(make([w()]), name, value)


def sharing_views() -> list[torch.Tensor]:
    base = torch.zeros(5)
    return [base[:3].requires_grad_(), base[1:].requires_grad_()]


def load(saver: Callable[[], Any], loader: Callable[[], Any]) -> Callable[[], None]:
    def run() -> None:
        saved = saver()
        step_once(saved, [*saved.params])
        loader().load_state_dict(saved.state_dict())

    return run


def scaled_step(make: Callable[[list[torch.Tensor]], Any]) -> Callable[[], None]:
    """GradScaler's recipe, as torch code moved over writes it."""

    def run() -> None:
        params = [w()]
        optimizer, scaler = make(params), torch.amp.GradScaler("cpu")
        scaler.scale(sum((p**2).sum() for p in params)).backward()
        scaler.step(optimizer)

    return run


def two_params() -> list[torch.Tensor]:
    return [w(), torch.ones(2, requires_grad=True)]


# Each misuse: (what it does, the error, words of the message that name the cause and the fix).
MISUSES: dict[str, tuple[Callable[[], Any], type[Exception], str]] = {
    # 1. parameter groups under TorchOptimizer
    "group weight_decay": (
        torch_group({"weight_decay": 0.01}),
        TypeError,
        r"weight_decay=0\.01, which MyAdam would ignore: .*use torch\.optim",
    ),
    "group typo Lr": (torch_group({"Lr": 0.1}), TypeError, r"'Lr'.*did you mean 'lr'\?"),
    "group beta1 set later": (
        after_first_step(lambda o: o.param_groups[0].update(beta1=0.0)),
        TypeError,
        r"group\['betas'\] = \(beta1, beta2\): set group\['betas'\] = \(0\.0, 0\.999\)",
    ),
    "group lr set later": (
        after_first_step(lambda o: o.param_groups[0].update(lr=-0.1)),
        ValueError,
        r"parameter group 0: Invalid learning rate: -0\.1",
    ),
    # 2. rebinding instead of updating in place
    "rebinding": (
        lambda: step_once(Rebinding([p := w()], lr=0.1), [p]),
        RuntimeError,
        r"did not change parameter 0 in place.*p = p - self\.lr \* grad.*p\.add_\(grad",
    ),
    "rebinding, flattened": (
        lambda: step_once(Flattened(Rebinding, [p := w()], lr=0.1), [p]),
        RuntimeError,
        r"did not change the buffer in place.*p\.add_\(grad",
    ),
    "rebinding, torch optimizer": (
        lambda: step_once(TorchOptimizer(Rebinding, [p := w()], lr=0.1), [p]),
        RuntimeError,
        r"did not change parameter 0 in place",
    ),
    # 3. a rule that is not elementwise, and one that does not say
    "not elementwise, flattened": (
        lambda: Flattened(NormScaled, [w()], lr=0.1),
        TypeError,
        r"only for an elementwise rule.*no norm over the tensor.*elementwise = True",
    ),
    # 4. parameters that share memory
    "shared memory": (
        lambda: Flattened(MySGD, sharing_views(), lr=0.1),
        ValueError,
        r"parameters 0 and 1 share memory.*optimize the tensor they are views of",
    ),
    # 6. hyperparameters set after construction
    "lr negative": (assigned(lambda p: MyAdam(p), "lr", -0.1), ValueError, "learning rate: -0.1"),
    "beta1 one": (
        assigned(lambda p: MyAdam(p), "beta1", 1.0),
        ValueError,
        r"beta parameter at index 0: 1\.0 \(beta1 must be a number in \[0, 1\)\)",
    ),
    "lr string": (
        assigned(lambda p: MySGD(p, lr=0.1), "lr", "0.01"),
        TypeError,
        "lr must be a real number, but got str",
    ),
    "lr tensor": (
        assigned(lambda p: MySGD(p, lr=0.1), "lr", torch.tensor(0.05)),
        TypeError,
        r"got Tensor.*pass a Python number: lr=value\.item\(\)",
    ),
    "lr negative, flattened": (
        assigned(lambda p: Flattened(MySGDMomentum, p, lr=0.1), "lr", -0.1),
        ValueError,
        "learning rate: -0.1",
    ),
    "lr infinite": (
        lambda: MySGD([w()], lr=float("inf")),
        ValueError,
        r"inf \(lr must be a finite number >= 0\)",
    ),
    # Unclear before: a subclass's __init__, its state's keys
    "no super().__init__": (
        lambda: NoSuper([w()]),
        TypeError,
        r"did not call super\(\)\.__init__\(params, lr\).*call it first",
    ),
    "state keyed by index": (
        lambda: keyed_by(lambda i, p: i)([w()]),
        TypeError,
        r"keyed by 0 \(int\); key it by the parameter tensor itself",
    ),
    "state keyed by id": (lambda: keyed_by(lambda i, p: id(p))([w()]), TypeError, r"\(int\); key"),
    "state keyed by name": (
        lambda: keyed_by(lambda i, p: f"p{i}")([w()]),
        TypeError,
        r"keyed by 'p0' \(str\); key",
    ),
    # torch idioms on the chapter's optimizer
    "closure": (
        lambda: MySGD([w()], lr=0.1).step(lambda: 0.0),
        TypeError,
        r"takes no closure: call loss\.backward\(\) before step\(\).*TorchOptimizer\(MySGD",
    ),
    "closure, flattened": (
        lambda: Flattened(MySGD, [w()], lr=0.1).step(lambda: 0.0),
        TypeError,
        r"takes no closure.*TorchOptimizer\(MySGD",
    ),
    "grad scaler": (
        scaled_step(MyAdam),
        AttributeError,
        r"MyAdam has no param_groups.*GradScaler.*TorchOptimizer\(MyAdam, params",
    ),
    "grad scaler, flattened": (
        scaled_step(lambda params: Flattened(MyAdam, params)),
        AttributeError,
        r"Flattened has no param_groups.*TorchOptimizer",
    ),
    # state dicts of the other layout
    "flattened's state into the plain optimizer": (
        load(lambda: Flattened(MyAdam, two_params()), lambda: MyAdam(two_params())),
        ValueError,
        r"state for 1 parameters, but this optimizer has 2: a state dict of Flattened.*"
        r"loads into Flattened\(MyAdam, params\)",
    ),
    "plain state into flattened": (
        load(lambda: MyAdam(two_params()), lambda: Flattened(MyAdam, two_params())),
        ValueError,
        r"state for 2 separate parameters: it was saved by MyAdam on the parameters "
        r"themselves.*Resume that run with MyAdam\(params\)",
    ),
}


@pytest.mark.parametrize(("action", "error", "message"), MISUSES.values(), ids=list(MISUSES))
def test_a_misuse_names_its_cause_and_fix(action: Callable, error: type, message: str) -> None:
    with pytest.raises(error, match=message):
        action()


@pytest.mark.parametrize("optimizer", CLASSES)
def test_a_refused_assignment_keeps_the_old_value(optimizer: type[MyOptimizer]) -> None:
    made = optimizer([w()], **make_kwargs(optimizer))
    before = made.hyperparameters()
    with pytest.raises(ValueError, match="Invalid learning rate"):
        made.lr = -1.0
    assert made.hyperparameters() == before


def test_a_rebinding_rule_is_refused_before_any_parameter_changes() -> None:
    params = [w()]
    with pytest.raises(RuntimeError):
        step_once(Rebinding(params, lr=0.1), params)
    assert torch.equal(params[0], w())


def same_as_torch(group: dict[str, Any]) -> None:
    params, twins = [w()], [w()]
    mine = TorchOptimizer(MyAdam, [{"params": params, **group}], lr=0.1)
    theirs = torch.optim.Adam([{"params": twins, **group}], lr=0.1, foreach=False)
    for _ in range(5):
        step_once(mine, params)
        step_once(theirs, twins)
        mine.zero_grad()
        theirs.zero_grad()
    assert torch.equal(params[0], twins[0])


# Keys that change nothing are kept, as torch keeps them: a group's name, a decay turned off.
@pytest.mark.parametrize(
    "group",
    [{"weight_decay": 0.0}, {"amsgrad": False}, {"name": "head"}, {"foreach": None}],
    ids=["weight_decay=0", "amsgrad=False", "name", "foreach=None"],
)
def test_a_group_key_that_changes_nothing_trains_as_torch(group: dict[str, Any]) -> None:
    same_as_torch(group)


def test_a_fraction_is_a_learning_rate() -> None:
    a, b = [w()], [w()]
    exact, rounded = MySGD(a, lr=Fraction(1, 10)), MySGD(b, lr=0.1)
    step_once(exact, a)
    step_once(rounded, b)
    assert_same(exact, rounded)


def test_zero_grad_keeping_zeros_as_torch() -> None:
    params, twins = [w()], [w()]
    mine, theirs = MySGD(params, lr=0.1), torch.optim.SGD(twins, lr=0.1)
    backward(params)
    backward(twins)
    mine.zero_grad(set_to_none=False)
    theirs.zero_grad(set_to_none=False)
    assert torch.equal(params[0].grad, twins[0].grad)
    assert torch.equal(params[0].grad, torch.zeros(3))


@pytest.mark.parametrize("wrap", ["plain", "torch optimizer"])
def test_state_made_at_the_first_step_saves_and_resumes_bit_exactly(wrap: str) -> None:
    """A torch-style rule, loaded into a new optimizer before its first step (no state yet)."""

    def make(model: torch.nn.Module) -> Any:
        params, kwargs = list(model.parameters()), {"lr": 0.1, "momentum": 0.9}
        if wrap == "plain":
            return LazyMomentum(params, **kwargs)
        return TorchOptimizer(LazyMomentum, params, **kwargs)

    resumed, straight = mlp(), mlp()
    first = make(resumed)
    train(resumed, first, steps=3)
    second = make(resumed)
    second.load_state_dict(first.state_dict())
    train(resumed, second, steps=3)
    train(straight, make(straight), steps=6)
    for p, q in zip(resumed.parameters(), straight.parameters(), strict=True):
        assert torch.equal(p, q)


def test_a_list_in_the_state_is_copied_into_a_snapshot() -> None:
    params = [w()]
    optimizer = NormHistory(params)
    step_once(optimizer, params)
    snapshot = optimizer.state_dict()
    saved = copy.deepcopy(snapshot)
    step_once(optimizer, params)
    assert snapshot == saved
    again = NormHistory([w()])
    again.load_state_dict(snapshot)
    step_once(again, again.params)
    assert snapshot == saved  # loading does not share the list either


def test_parameters_wrapped_before_may_be_wrapped_again() -> None:
    """Views of an earlier Flattened's buffer are not views a user shares on purpose."""
    model = mlp()
    Flattened(MyAdam, model.parameters())
    again = Flattened(MyAdam, model.parameters())
    losses = train(model, again, steps=5)
    assert losses[-1] < losses[0]


def test_parameters_replaced_after_the_optimizer_was_made_are_named() -> None:
    """load_state_dict(assign=True) puts new tensors in the model: the optimizer holds the old."""
    model = mlp()
    optimizer = MyAdam(model.parameters())
    model.load_state_dict(copy.deepcopy(mlp().state_dict()), assign=True)
    with pytest.warns(UserWarning, match=r"assign=True.*make the optimizer after replacing"):
        train(model, optimizer, steps=1)


def test_a_step_with_gradients_does_not_warn() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        model = mlp()
        train(model, MyAdam(model.parameters()), steps=2)
