"""TorchOptimizer: each myoptim rule as a torch.optim.Optimizer, equal to torch.optim bitwise."""

from __future__ import annotations

import copy
import io
import pickle
from collections.abc import Callable

import pytest
import torch
from cases import CASES, TABLE, Case, mlp
from torch.optim import lr_scheduler

from myoptim import MyAdam, MyOptimizer, MySGD, MySGDMomentum, TorchOptimizer

STEPS = 12


def one_cycle(optimizer: torch.optim.Optimizer, ours: TorchOptimizer) -> lr_scheduler.LRScheduler:
    # Cycles momentum (SGD) or betas[0] (Adam) where our rule has one, as torch does.
    cycle = "momentum" in ours.defaults or "betas" in ours.defaults
    return lr_scheduler.OneCycleLR(optimizer, max_lr=0.05, total_steps=STEPS, cycle_momentum=cycle)


def warmup_then_cosine(optimizer: torch.optim.Optimizer, _) -> lr_scheduler.LRScheduler:
    return lr_scheduler.SequentialLR(
        optimizer,
        [
            lr_scheduler.LinearLR(optimizer, start_factor=0.1, total_iters=3),
            lr_scheduler.CosineAnnealingLR(optimizer, T_max=STEPS - 3),
        ],
        milestones=[3],
    )


# Each scheduler built the same way on our optimizer and on torch's.
SCHEDULERS: dict[str, Callable[[torch.optim.Optimizer, TorchOptimizer], object]] = {
    "none": lambda optimizer, _: None,
    "StepLR": lambda optimizer, _: lr_scheduler.StepLR(optimizer, step_size=3, gamma=0.5),
    "LambdaLR": lambda optimizer, _: lr_scheduler.LambdaLR(optimizer, lambda e: 1 / (1 + e)),
    "OneCycleLR": one_cycle,
    "ReduceLROnPlateau": lambda optimizer, _: lr_scheduler.ReduceLROnPlateau(
        optimizer, factor=0.5, patience=0
    ),
    "CosineAnnealingWarmRestarts": lambda optimizer, _: lr_scheduler.CosineAnnealingWarmRestarts(
        optimizer, T_0=4
    ),
    "warmup-then-cosine": warmup_then_cosine,
}


def make_pair(case: Case, groups: bool = False):
    """Two identical models, one with our TorchOptimizer and one with torch.optim's twin."""
    models = mlp(), mlp()

    def params(model: torch.nn.Module, kwargs: dict) -> list:
        if not groups:
            return list(model.parameters())
        # The second group with its own learning rate (and Adam's betas, given as a pair).
        head = {"params": model[2].parameters(), "lr": 0.02}
        if "betas" in kwargs or case.optimizer is MyAdam:
            head["betas"] = (0.8, 0.95)
        return [{"params": model[0].parameters()}, head]

    ours = TorchOptimizer(case.optimizer, params(models[0], case.kwargs), **case.kwargs)
    theirs = case.torch_optimizer(
        params(models[1], case.torch_kwargs), foreach=False, **case.torch_kwargs
    )
    return models, ours, theirs


def batches(steps: int = STEPS):
    generator = torch.Generator().manual_seed(1)
    for _ in range(steps):
        yield (
            torch.randn(32, 8, generator=generator),
            torch.randint(0, 3, (32,), generator=generator),
        )


def loss_of(model: torch.nn.Module, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    return torch.nn.functional.cross_entropy(model(x), y)


def assert_same(case: Case, models, ours: TorchOptimizer, theirs: torch.optim.Optimizer) -> None:
    """Parameters, learning rates and every piece of state equal torch's, bit for bit."""
    for i, (a, b) in enumerate(zip(models[0].parameters(), models[1].parameters(), strict=True)):
        assert torch.equal(a, b), f"parameter {i} differs by {(a - b).abs().max().item():.3g}"
        for name, theirs_name in case.state_names.items():
            value, expected = ours.state[a][name], theirs.state[b][theirs_name]
            assert torch.equal(torch.as_tensor(value, dtype=expected.dtype), expected), name
    for group, torch_group in zip(ours.param_groups, theirs.param_groups, strict=True):
        assert group["lr"] == torch_group["lr"]


def train_both(case: Case, models, ours, theirs, scheduler: str) -> None:
    schedulers = [SCHEDULERS[scheduler](optimizer, ours) for optimizer in (ours, theirs)]
    for x, y in batches():
        for model, optimizer, schedule in zip(models, (ours, theirs), schedulers, strict=True):
            optimizer.zero_grad()
            loss = loss_of(model, x, y)
            loss.backward()
            optimizer.step()
            if isinstance(schedule, lr_scheduler.ReduceLROnPlateau):
                schedule.step(loss.item())
            elif schedule is not None:
                schedule.step()
        assert_same(case, models, ours, theirs)


# OneCycleLR cycles momentum, which torch's SGD has (0 by default) and MySGD has not:
# plain SGD gets its own test below.
SCHEDULED = [
    pytest.param(case, scheduler, id=f"{name}-{scheduler}")
    for name, case in TABLE.items()
    for scheduler in SCHEDULERS
    if not (scheduler == "OneCycleLR" and case.optimizer is MySGD)
]


@pytest.mark.parametrize(("case", "scheduler"), SCHEDULED)
def test_equal_to_torch_under_every_scheduler(case: Case, scheduler: str) -> None:
    train_both(case, *make_pair(case), scheduler)


@pytest.mark.parametrize("case", CASES)
def test_parameter_groups_keep_their_own_hyperparameters(case: Case) -> None:
    models, ours, theirs = make_pair(case, groups=True)
    assert ours.param_groups[1]["lr"] == 0.02
    train_both(case, models, ours, theirs, "StepLR")


def test_one_cycle_on_plain_sgd_asks_to_turn_momentum_cycling_off() -> None:
    case = TABLE["sgd-2"]
    models, ours, theirs = make_pair(case)
    with pytest.raises(ValueError, match="cycle_momentum"):
        lr_scheduler.OneCycleLR(ours, max_lr=0.05, total_steps=STEPS)
    schedulers = [
        lr_scheduler.OneCycleLR(o, max_lr=0.05, total_steps=STEPS, cycle_momentum=False)
        for o in (ours, theirs)
    ]
    for x, y in batches():
        for model, optimizer, schedule in zip(models, (ours, theirs), schedulers, strict=True):
            optimizer.zero_grad()
            loss_of(model, x, y).backward()
            optimizer.step()
            schedule.step()
    assert_same(case, models, ours, theirs)


@pytest.mark.parametrize("case", CASES)
def test_zero_grad_keeping_zeros_and_a_closure(case: Case) -> None:
    """zero_grad(set_to_none=False) leaves zero gradients that still step; step(closure)."""
    models, ours, theirs = make_pair(case)
    for x, y in batches():
        losses = []
        for model, optimizer in zip(models, (ours, theirs), strict=True):
            optimizer.zero_grad(set_to_none=False)

            def closure(model=model, optimizer=optimizer, x=x, y=y) -> torch.Tensor:
                optimizer.zero_grad(set_to_none=False)
                loss = loss_of(model, x[:, :4].repeat(1, 2), y)  # some weights get zeros
                loss.backward()
                return loss

            losses.append(optimizer.step(closure))
        assert torch.equal(losses[0], losses[1])
        assert_same(case, models, ours, theirs)


@pytest.mark.parametrize("case", CASES)
def test_grad_scaler_with_autocast_and_clipping(case: Case) -> None:
    models, ours, theirs = make_pair(case)
    scalers = [torch.amp.GradScaler("cpu", init_scale=2.0**16) for _ in range(2)]
    for step, (x, y) in enumerate(batches()):
        for model, optimizer, scaler in zip(models, (ours, theirs), scalers, strict=True):
            optimizer.zero_grad()
            with torch.autocast("cpu", dtype=torch.float16):
                loss = loss_of(model, x * (1e4 if step == 2 else 1), y)  # overflow: skipped
            scaler.scale(loss).backward()
            scaler.unscale_(optimizer)
            torch.nn.utils.clip_grad_norm_(model.parameters(), max_norm=0.5)
            scaler.step(optimizer)
            scaler.update()
        assert scalers[0].get_scale() == scalers[1].get_scale()
        assert_same(case, models, ours, theirs)


@pytest.mark.parametrize("case", CASES)
def test_resumes_bit_exactly_with_the_scheduler_from_a_weights_only_checkpoint(case: Case) -> None:
    def run(resume_at: int | None) -> torch.nn.Module:
        model = mlp()
        optimizer = TorchOptimizer(case.optimizer, model.parameters(), **case.kwargs)
        scheduler = lr_scheduler.StepLR(optimizer, step_size=2, gamma=0.5)
        for step, (x, y) in enumerate(batches()):
            if step == resume_at:
                buffer = io.BytesIO()
                torch.save(
                    {"model": model.state_dict(), "optimizer": optimizer.state_dict(),
                     "scheduler": scheduler.state_dict()},
                    buffer,
                )  # fmt: skip
                checkpoint = torch.load(io.BytesIO(buffer.getvalue()), weights_only=True)
                model = mlp()
                model.load_state_dict(checkpoint["model"])
                optimizer = TorchOptimizer(case.optimizer, model.parameters(), lr=1.0)
                optimizer.load_state_dict(checkpoint["optimizer"])
                scheduler = lr_scheduler.StepLR(optimizer, step_size=2, gamma=0.5)
                scheduler.load_state_dict(checkpoint["scheduler"])
            optimizer.zero_grad()
            loss_of(model, x, y).backward()
            optimizer.step()
            scheduler.step()
        return model

    for a, b in zip(run(None).parameters(), run(STEPS // 2).parameters(), strict=True):
        assert torch.equal(a, b)


@pytest.mark.parametrize("case", CASES)
def test_state_is_made_at_the_first_step_in_the_parameters_dtype(case: Case) -> None:
    """model.double() after creating the optimizer: the state is float64, as torch's."""
    models, ours, theirs = make_pair(case)
    assert not ours.state
    for model in models:
        model.double()
    if case.torch_optimizer is torch.optim.Adagrad:
        # torch's Adagrad makes its state in __init__ (float32 here): its twin comes after.
        theirs = case.make_torch(list(models[1].parameters()))
    for x, y in batches(3):
        for model, optimizer in zip(models, (ours, theirs), strict=True):
            optimizer.zero_grad()
            loss_of(model, x.double(), y).backward()
            optimizer.step()
    assert_same(case, models, ours, theirs)
    for state in ours.state.values():
        assert all(v.dtype == torch.float64 for v in state.values() if torch.is_tensor(v))


@pytest.mark.parametrize("how", ["deepcopy", "pickle", "torch.save"])
def test_copies_keep_training(how: str) -> None:
    model = mlp()
    optimizer = TorchOptimizer(MyAdam, model.parameters(), lr=0.01)
    x, y = next(batches())
    loss_of(model, x, y).backward()
    optimizer.step()
    if how == "deepcopy":
        model2, optimizer2 = copy.deepcopy((model, optimizer))
    elif how == "pickle":
        model2, optimizer2 = pickle.loads(pickle.dumps((model, optimizer)))
    else:
        buffer = io.BytesIO()
        torch.save((model, optimizer), buffer)
        model2, optimizer2 = torch.load(io.BytesIO(buffer.getvalue()), weights_only=False)
    for m, o in ((model, optimizer), (model2, optimizer2)):
        o.zero_grad()
        loss_of(m, x, y).backward()
        o.step()
    assert optimizer2.rule is MyAdam
    for a, b in zip(model.parameters(), model2.parameters(), strict=True):
        assert torch.equal(a, b)


class MySignSGD(MyOptimizer):
    """The base class's example: a rule of the reader's own."""

    def _update_param(self, p: torch.Tensor, grad: torch.Tensor) -> None:
        p.add_(grad.sign(), alpha=-self.lr)


class MyScaledSGD(MyOptimizer):
    """A rule that takes **kwargs: its keywords come from the call."""

    def __init__(self, params, scale: float = 2.0, **kwargs) -> None:
        super().__init__(params, **kwargs)
        self.scale = scale

    def _update_param(self, p: torch.Tensor, grad: torch.Tensor) -> None:
        p.add_(grad, alpha=-self.lr * self.scale)


@pytest.mark.parametrize("rule", [MySignSGD, MyScaledSGD])
def test_a_readers_own_rule_runs_with_a_scheduler(rule: type[MyOptimizer]) -> None:
    w = torch.tensor([1.0, -2.0], requires_grad=True)
    optimizer = TorchOptimizer(rule, [w], lr=0.5)
    scheduler = lr_scheduler.StepLR(optimizer, step_size=1, gamma=0.5)
    reference = w.detach().clone()
    for _ in range(3):
        lr = optimizer.param_groups[0]["lr"]
        optimizer.zero_grad()
        (w**3).sum().backward()
        grad = w.grad.clone()
        optimizer.step()
        scheduler.step()
        update = grad.sign() if rule is MySignSGD else 2.0 * grad
        reference -= lr * update
        assert torch.equal(w.detach(), reference)


def test_betas_given_as_torch_gives_them_and_repr() -> None:
    w = torch.zeros(2, requires_grad=True)
    a = TorchOptimizer(MyAdam, [w], beta1=0.8, beta2=0.99)
    b = TorchOptimizer(MyAdam, [w], betas=(0.8, 0.99))
    assert a.param_groups[0]["betas"] == b.param_groups[0]["betas"] == (0.8, 0.99)
    assert "beta1=0.8, beta2=0.99" in repr(a)
    groups = TorchOptimizer(MyAdam, [{"params": [w], "beta2": 0.9}], betas=(0.8, 0.99))
    assert groups.param_groups[0]["betas"] == (0.8, 0.9)


def w() -> list[torch.Tensor]:
    return [torch.zeros(2, requires_grad=True)]


BAD_ARGUMENTS = {
    "torch's class": (lambda: TorchOptimizer(torch.optim.Adam, w()), TypeError, "is one already"),
    "lr missing": (lambda: TorchOptimizer(MySGD, w()), TypeError, "MySGD needs lr"),
    "lr missing in a group": (
        lambda: TorchOptimizer(MySGD, [{"params": w(), "lr": 0.1}, {"params": w()}]),
        TypeError,
        "parameter group 1",
    ),
    "negative lr": (
        lambda: TorchOptimizer(MyAdam, w(), lr=-0.1), ValueError, "Invalid learning rate: -0.1"
    ),
    "negative lr in a group": (
        lambda: TorchOptimizer(MyAdam, [{"params": w(), "lr": -1.0}]),
        ValueError,
        "parameter group 0: Invalid learning rate: -1.0",
    ),
    "beta2 of 1": (
        lambda: TorchOptimizer(MyAdam, w(), betas=(0.9, 1.0)), ValueError, "index 1"
    ),
    "torch keyword": (
        lambda: TorchOptimizer(MySGDMomentum, w(), lr=0.1, nesterov=True),
        TypeError,
        "torch.optim's keyword 'nesterov'",
    ),
    "both betas forms": (
        lambda: TorchOptimizer(MyAdam, w(), betas=(0.9, 0.9), beta1=0.8), TypeError, "not both"
    ),
    "betas not a pair": (
        lambda: TorchOptimizer(MyAdam, w(), betas=0.9), TypeError, "must be a pair"
    ),
    "a single tensor": (
        lambda: TorchOptimizer(MyAdam, w()[0]), TypeError, "iterable of Tensors"
    ),
}  # fmt: skip


@pytest.mark.parametrize(("make", "error", "message"), BAD_ARGUMENTS.values(), ids=BAD_ARGUMENTS)
def test_bad_arguments_are_refused_clearly(make, error: type[Exception], message: str) -> None:
    with pytest.raises(error, match=message.replace("(", r"\(").replace(")", r"\)")):
        make()


def saved(edit: Callable[[dict], None]) -> dict:
    model = mlp()
    optimizer = TorchOptimizer(MyAdam, model.parameters())
    loss_of(model, *next(batches())).backward()
    optimizer.step()
    state_dict = copy.deepcopy(optimizer.state_dict())
    edit(state_dict)
    return state_dict


BAD_STATE_DICTS = {
    "negative lr": (lambda s: s["param_groups"][0].update(lr=-1.0), "Invalid learning rate: -1.0"),
    "beta2 of 1.5": (lambda s: s["param_groups"][0].update(betas=(0.9, 1.5)), "index 1"),
    "negative t": (lambda s: s["state"][0].update(t=-3), "'t' is -3, below 0"),
    "missing m": (lambda s: s["state"][0].pop("m"), r"holds state \['t', 'v'\]"),
    "torch's Adam": (lambda s: s["param_groups"][0].pop("betas"), "lacks \\['betas'\\]"),
}


@pytest.mark.parametrize(("edit", "message"), BAD_STATE_DICTS.values(), ids=BAD_STATE_DICTS)
def test_bad_state_dict_is_refused_and_changes_nothing(edit, message: str) -> None:
    model = mlp()
    optimizer = TorchOptimizer(MyAdam, model.parameters(), lr=0.5)
    with pytest.raises(ValueError, match=message):
        optimizer.load_state_dict(saved(edit))
    assert optimizer.param_groups[0]["lr"] == 0.5
    assert not optimizer.state


def test_a_myoptim_state_dict_is_refused_with_a_hint() -> None:
    params = w()
    optimizer = TorchOptimizer(MyAdam, params)
    with pytest.raises(ValueError, match="a MyOptimizer state dict"):
        optimizer.load_state_dict(MyAdam(params).state_dict())
