"""The fast path: Flattened runs any myoptim optimizer on all parameters in one buffer."""

from __future__ import annotations

import copy
import io
import pickle
import re

import pytest
import torch
from cases import CASES, DTYPES, Case, copy_params, gradient_stream, make_params, mlp, train

from myoptim import Flattened, MyAdam, MySGD, MySGDMomentum


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("case", CASES)
def test_same_as_torch_with_gradients_zeroed_not_none(case: Case, dtype: torch.dtype) -> None:
    """After 300 steps, bit for bit equal to torch.optim (foreach=False) per parameter.

    Where the stream gives a parameter no gradient, both get zeros: a flat buffer cannot
    skip a parameter, which is torch's behaviour after ``zero_grad(set_to_none=False)``.
    """
    mine_params = make_params(dtype)
    their_params = copy_params(mine_params)
    flat = Flattened(case.optimizer, mine_params, **case.kwargs)
    theirs = case.make_torch(their_params)
    assert len(flat.params) == len(mine_params) - 1  # the frozen one is left out
    for grads in gradient_stream(mine_params, steps=300):
        for p, q, g in zip(mine_params, their_params, grads, strict=True):
            if p.requires_grad:
                gradient = torch.zeros_like(p) if g is None else g
                p.grad.copy_(gradient)  # in place: p.grad is a view of the buffer
                q.grad = gradient.clone()
        flat.step()
        theirs.step()
    for i, (p, q) in enumerate(zip(mine_params, their_params, strict=True)):
        assert torch.equal(p, q), f"parameter {i} differs by {(p - q).abs().max():.3g}"
    state = flat.optimizer.state.get(flat.buffer, {})  # SGD keeps none
    for ours, name in case.state_names.items():
        if isinstance(state[ours], torch.Tensor):
            for piece, q in zip(flat.views(state[ours]), flat.params, strict=True):
                their_param = their_params[next(i for i, p in enumerate(mine_params) if p is q)]
                assert torch.equal(piece, theirs.state[their_param][name]), ours


def test_backward_fills_the_buffer_and_zero_grad_clears_it() -> None:
    model = mlp()
    optimizer = Flattened(MyAdam, model.parameters())
    model(torch.randn(4, 8)).sum().backward()
    expected = torch.cat([p.grad.flatten() for p in model.parameters()])
    assert expected.abs().sum() > 0
    assert torch.equal(optimizer.buffer.grad, expected)
    before = [p.detach().clone() for p in model.parameters()]
    optimizer.step()
    assert all(not torch.equal(b, p) for b, p in zip(before, model.parameters(), strict=True))
    optimizer.zero_grad()
    assert all(not p.grad.any() for p in model.parameters())


def test_training_gives_the_same_losses_as_the_plain_optimizer() -> None:
    model, twin = mlp(), mlp()
    flat = train(model, Flattened(MyAdam, model.parameters(), lr=1e-2))
    plain = train(twin, MyAdam(twin.parameters(), lr=1e-2))
    assert flat == plain
    assert flat[-1] < 0.6 * flat[0]


# What breaks the link between the parameters and the buffers, and what the error then says.
BROKEN_LINKS = [
    pytest.param(
        lambda model: model.zero_grad(), r"model.zero_grad\(\) followed by", id="model.zero_grad"
    ),
    pytest.param(
        lambda model: setattr(model[0][0].bias, "grad", None),
        "no longer in the flat gradient buffer",
        id="grad-set-to-None",
    ),
    pytest.param(lambda model: model.double(), r"model.to\(\), .double\(\)", id="model.double"),
    pytest.param(
        lambda model: model[0](torch.randn(2, 8)).pow(2).sum().backward(create_graph=True),
        r"create_graph=True\) \(use create_graph=False",
        id="create_graph",
        marks=pytest.mark.filterwarnings("ignore:Using backward.. with create_graph=True"),
    ),
    pytest.param(
        lambda model: model[0][0].weight.requires_grad_(False),
        "frozen after the wrapping; its momentum",
        id="frozen-after-wrapping",
    ),
    pytest.param(
        lambda model: model[1].requires_grad_(True),  # the frozen 0-d parameter
        "frozen when Flattened was made now requires grad",
        id="unfrozen-after-wrapping",
    ),
]


@pytest.mark.parametrize(("breaks_the_link", "message"), BROKEN_LINKS)
def test_parameters_leaving_the_buffer_are_refused(breaks_the_link, message: str) -> None:
    model = mlp()
    frozen = torch.nn.Parameter(torch.zeros(()), requires_grad=False)
    model = torch.nn.Sequential(model, torch.nn.ParameterList([frozen]))
    optimizer = Flattened(MySGDMomentum, model.parameters(), lr=0.1)
    before = optimizer.buffer.detach().clone()
    breaks_the_link(model)
    model[0](torch.randn(2, 8).to(model[0][0].weight.dtype)).sum().backward()
    with pytest.raises(RuntimeError, match=message):
        optimizer.step()
    assert torch.equal(optimizer.buffer, before)


def test_a_step_without_backward_changes_nothing() -> None:
    """No gradient since zero_grad() or the wrapping: no step, and Adam's count stays."""
    model, twin = mlp(), mlp()
    optimizer = Flattened(MyAdam, model.parameters(), lr=0.1)
    optimizer.step()
    assert optimizer.optimizer.state[optimizer.buffer]["t"] == 0
    train(model, optimizer, steps=3)
    optimizer.zero_grad()
    optimizer.step()
    assert optimizer.optimizer.state[optimizer.buffer]["t"] == 3
    train(twin, Flattened(MyAdam, twin.parameters(), lr=0.1), steps=3)
    for a, b in zip(model.parameters(), twin.parameters(), strict=True):
        assert torch.equal(a, b)


@pytest.mark.parametrize("how", ["deepcopy", "pickle", "torch.save"])
def test_copies_keep_training_on_their_own_buffer(how: str) -> None:
    model = mlp()
    optimizer = Flattened(MyAdam, model.parameters(), lr=0.1)
    train(model, optimizer, steps=2)
    if how == "deepcopy":
        copies = copy.deepcopy((model, optimizer))
    elif how == "pickle":
        copies = pickle.loads(pickle.dumps((model, optimizer)))
    else:
        buffer = io.BytesIO()
        torch.save((model, optimizer), buffer)
        copies = torch.load(io.BytesIO(buffer.getvalue()), weights_only=False)
    model2, optimizer2 = copies
    assert optimizer2.buffer.data_ptr() != optimizer.buffer.data_ptr()
    assert train(model2, optimizer2, steps=3) == train(model, optimizer, steps=3)
    for a, b in zip(model.parameters(), model2.parameters(), strict=True):
        assert torch.equal(a, b)


@pytest.mark.parametrize(
    ("other", "named"),
    [
        (torch.zeros(2, dtype=torch.float64), "torch.float64 on cpu: parameters [2]"),
        (torch.zeros(2, device="meta"), "torch.float32 on meta: parameters [2]"),  # say, a GPU
    ],
    ids=["dtype", "device"],
)
def test_parameters_of_two_dtypes_or_devices_are_named(other: torch.Tensor, named: str) -> None:
    params = [torch.zeros(2, requires_grad=True), torch.zeros(3, requires_grad=True)]
    message = f"torch.float32 on cpu: parameters [0, 1]; {named}. Convert and move the model"
    with pytest.raises(ValueError, match=re.escape(message)):
        Flattened(MySGD, [*params, other.requires_grad_()])


def test_bad_inputs_are_refused() -> None:
    with pytest.raises(ValueError, match="no parameter requires grad"):
        Flattened(MySGD, [torch.zeros(2)])
    with pytest.raises(ValueError, match="Invalid learning rate: -1"):
        Flattened(MySGD, [torch.zeros(2, requires_grad=True)], lr=-1)
    with pytest.raises(ValueError, match="empty parameter list"):
        Flattened(MySGD, [])


def test_state_round_trip_resumes_exactly() -> None:
    model, twin = mlp(), mlp()
    x = torch.randn(16, 8)
    original = Flattened(MyAdam, model.parameters(), lr=1e-2)
    for _ in range(3):
        original.zero_grad()
        model(x).pow(2).mean().backward()
        original.step()
    twin.load_state_dict(model.state_dict())
    resumed = Flattened(MyAdam, twin.parameters(), lr=1e-2)
    resumed.load_state_dict(original.state_dict())
    for net, optimizer in ((model, original), (twin, resumed)):
        optimizer.zero_grad()
        net(x).pow(2).mean().backward()
        optimizer.step()
    assert torch.equal(original.buffer, resumed.buffer)
    assert repr(resumed) == f"Flattened({resumed.optimizer!r}, 4 parameters)"


@pytest.mark.parametrize("case", CASES)
def test_a_new_learning_rate_reaches_the_optimizer(case: Case) -> None:
    """`optimizer.lr = ...`, as the chapter changes it, on the wrapper as on the optimizer."""
    params = make_params(torch.float32)
    flat = Flattened(case.optimizer, [p for p in params if p.requires_grad], **case.kwargs)
    flat.lr = 0.0
    assert flat.lr == flat.optimizer.lr == 0.0
    assert "lr=0.0" in repr(flat)
    before = [p.detach().clone() for p in flat.params]
    for p in flat.params:
        p.grad.fill_(1.0)
    flat.step()
    assert all(torch.equal(p, b) for p, b in zip(flat.params, before, strict=True))  # lr 0
    assert flat.state_dict()["hyperparameters"]["lr"] == 0.0


def test_other_attributes_stay_on_the_wrapper() -> None:
    flat = Flattened(MySGD, [torch.zeros(3, requires_grad=True)], lr=0.1)
    flat.note = "mine"
    assert "note" not in vars(flat.optimizer)
    with pytest.raises(AttributeError, match="'Flattened' object has no attribute 'momentum'"):
        _ = flat.momentum


@pytest.mark.parametrize(
    ("optimizer", "keywords", "error", "message"),
    [
        (MyAdam, {"betas": (0.9, 0.99)}, TypeError, "torch.optim's keyword 'betas'"),
        (MyAdam, {"lr": -1.0}, ValueError, "Invalid learning rate: -1.0"),
        (torch.optim.Adam, {}, TypeError, "Flattened wraps a myoptim optimizer class"),
    ],
    ids=["torch-keyword", "bad-lr", "torch-optimizer"],
)
def test_a_refused_construction_leaves_the_model_as_it_was(
    optimizer: type, keywords: dict, error: type[Exception], message: str
) -> None:
    model = mlp()
    model(torch.ones(2, 8)).sum().backward()
    before = [(p.data_ptr(), p.detach().clone(), p.grad.clone()) for p in model.parameters()]
    with pytest.raises(error, match=message):
        Flattened(optimizer, model.parameters(), **keywords)
    for p, (pointer, value, grad) in zip(model.parameters(), before, strict=True):
        assert p.data_ptr() == pointer  # not moved into a buffer nothing uses
        assert torch.equal(p, value)
        assert torch.equal(p.grad, grad)
