"""Sharded on 2 and 4 gloo processes over loopback: parity, resume, resharding, bad input.

One set of processes per world size runs every scenario and saves what it saw; the tests
read those results. The processes run under a deadline and gloo's own timeout, so a rank
that waits for another fails the test instead of hanging it.
"""

from __future__ import annotations

import datetime
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import torch
import torch.distributed as dist
import torch.multiprocessing as mp
from cases import TABLE, case_id, mlp
from torch.nn.parallel import DistributedDataParallel

from myoptim import CHAPTER, Flattened, MyAdam, MySGD, Sharded

RULES = {case_id(rule, 0): TABLE[case_id(rule, 0)] for rule in CHAPTER}  # each at its first
DTYPES = {"float32": torch.float32, "float64": torch.float64}
WORLDS = (2, 4)
STEPS = 5


class NormScaled(MySGD):
    """A reader's rule that is not elementwise: each step reads the whole tensor's norm."""

    elementwise = False

    def _update_param(self, p: torch.Tensor, grad: torch.Tensor) -> None:
        p.add_(grad / grad.norm(), alpha=-self.lr)


def batches(rank: int, dtype: torch.dtype) -> list[tuple[torch.Tensor, torch.Tensor]]:
    generator = torch.Generator().manual_seed(rank)  # each rank its own batches
    return [
        (torch.randn(16, 8, generator=generator, dtype=dtype), torch.randint(0, 3, (16,)))
        for _ in range(STEPS)
    ]


def ddp_run(rank: int, dtype: torch.dtype, make: Callable[[Any], Any]) -> tuple[Any, Any]:
    """Five DDP steps on this rank's batches; the model's parameters and the optimizer."""
    model = mlp().to(dtype)
    optimizer = make(model.parameters())  # before DDP, as Flattened's parameters become views
    ddp = DistributedDataParallel(model)
    for x, y in batches(rank, dtype):
        optimizer.zero_grad()
        torch.nn.functional.cross_entropy(ddp(x), y).backward()
        optimizer.step()
    return [p.detach().clone() for p in model.parameters()], optimizer


def full_batch(model: torch.nn.Module, optimizer: Any, steps: int) -> None:
    """The same full batch on every rank: the result does not depend on the world size."""
    torch.manual_seed(1)
    x, y = torch.randn(64, 8), torch.randint(0, 3, (64,))
    for _ in range(steps):
        optimizer.zero_grad()
        torch.nn.functional.cross_entropy(model(x), y).backward()
        optimizer.step()


def outcome(action: Callable[[], Any]) -> str:
    """'ok', or the error's type and message."""
    try:
        action()
    except Exception as error:  # what each rank raised is the result
        return f"{type(error).__name__}: {error}"
    return "ok"


def parity(rank: int) -> dict[str, Any]:
    results = {}
    for (name, case), (dtype_name, dtype) in (
        (rule, dtype) for rule in RULES.items() for dtype in DTYPES.items()
    ):
        reference, torch_optimizer = ddp_run(rank, dtype, case.make_torch)
        params, sharded = ddp_run(
            rank, dtype, lambda p, case=case: Sharded(case.optimizer, p, **case.kwargs)
        )
        # torch's state, per parameter, laid end to end as the buffer holds it.
        torch_state = {
            ours: torch.cat(
                [torch_optimizer.state[p][theirs].flatten() for p in torch_optimizer.state]
            )
            for ours, theirs in case.state_names.items()
            if ours != "t"
        }
        results[f"{name}-{dtype_name}"] = {
            "equal": all(torch.equal(p, q) for p, q in zip(params, reference, strict=True)),
            "state": {
                k: torch.equal(v, sharded.state_dict()["state"][0][k])
                for k, v in torch_state.items()
            },
            "shard": sharded.shard.numel(),
            "buffer": sharded.buffer.numel(),
        }
    return results


MOVES = (("all", "pair"), ("pair", "all"), ("all", "all"), ("all", "flattened"))


def resharding(rank: int) -> dict[str, bool]:
    """Three steps on every rank (or ranks 0 and 1), saved, then two more on the others."""
    reference_model = mlp()
    full_batch(reference_model, Flattened(MyAdam, reference_model.parameters(), lr=0.01), 5)
    reference = [p.detach().clone() for p in reference_model.parameters()]
    groups = {"all": None, "pair": dist.new_group([0, 1])}  # every rank makes each group
    in_group = {"all": True, "pair": rank < 2, "flattened": True}
    results = {}
    for before, after in MOVES:
        checkpoint: list[Any] = [None, None]
        if in_group[before]:
            model = mlp()
            optimizer = Sharded(MyAdam, model.parameters(), lr=0.01, group=groups[before])
            full_batch(model, optimizer, 3)
            checkpoint = [optimizer.state_dict(), model.state_dict()]
        dist.broadcast_object_list(checkpoint, src=0)  # as if every rank read rank 0's file
        if not in_group[after]:
            continue
        saved, weights = checkpoint
        model = mlp()
        model.load_state_dict(weights)
        if after == "flattened":
            resumed: Flattened = Flattened(MyAdam, model.parameters(), lr=0.01)
        else:
            resumed = Sharded(MyAdam, model.parameters(), lr=0.01, group=groups[after])
        resumed.load_state_dict(saved)
        full_batch(model, resumed, 2)
        results[f"{before}->{after}"] = all(
            torch.equal(p, q) for p, q in zip(model.parameters(), reference, strict=True)
        )
    return results


def bad_inputs(rank: int) -> dict[str, str]:
    """Each misuse on one rank only; what every rank raised."""
    other = rank == 1
    results = {}
    wider = torch.nn.Sequential(torch.nn.Linear(8, 17 if other else 16))
    results["layout"] = outcome(lambda: Sharded(MyAdam, wider.parameters()))
    results["lr"] = outcome(lambda: Sharded(MyAdam, mlp().parameters(), lr=0.02 if other else 0.01))
    mixed = [
        torch.zeros(3, requires_grad=True),
        torch.zeros(2, dtype=torch.float64 if other else torch.float32, requires_grad=True),
    ]
    results["dtypes"] = outcome(lambda: Sharded(MySGD, mixed, lr=0.1))
    results["not elementwise"] = outcome(
        lambda: Sharded(NormScaled if other else MySGD, mlp().parameters(), lr=0.1)
    )
    results["invalid"] = outcome(
        lambda: Sharded(MySGD, mlp().parameters(), lr=-0.1 if other else 0.1)
    )

    model = mlp()
    optimizer = Sharded(MyAdam, model.parameters())

    def grad_set_to_none() -> None:
        model(torch.ones(1, 8)).sum().backward()
        if other:
            model.zero_grad()
            model(torch.ones(1, 8)).sum().backward()
        optimizer.step()

    results["grad"] = outcome(grad_set_to_none)

    model = mlp()
    optimizer = Sharded(MyAdam, model.parameters())

    def backward_on_one_rank() -> None:
        optimizer.zero_grad()
        if other:
            model(torch.ones(1, 8)).sum().backward()
        optimizer.step()

    results["backward"] = outcome(backward_on_one_rank)

    model = mlp()
    optimizer = Sharded(MyAdam, model.parameters())

    def without_ddp() -> None:  # each rank its own batch, gradients never averaged
        x, y = batches(rank, torch.float32)[0]
        torch.nn.functional.cross_entropy(model(x), y).backward()
        optimizer.step()

    results["no ddp"] = outcome(without_ddp)
    results["no ddp kept"] = str(torch.equal(model[0].weight, mlp()[0].weight))

    model = mlp()
    optimizer = Sharded(MyAdam, model.parameters())
    full_batch(model, optimizer, 1)
    saved = optimizer.state_dict()
    full_batch(model, optimizer, 1)
    now = optimizer.state_dict()
    smaller = Sharded(MyAdam, torch.nn.Linear(8, 16).parameters())
    results["load size"] = outcome(lambda: smaller.load_state_dict(saved))
    torch_state = torch.optim.Adam(mlp().parameters()).state_dict()
    results["load torch"] = outcome(
        lambda: optimizer.load_state_dict(torch_state if other else saved)
    )
    # Rank 0 loaded `saved` before it heard of rank 1's error, and went back to `now`.
    results["kept"] = str(
        torch.equal(optimizer.state_dict()["state"][0]["m"], now["state"][0]["m"])
    )
    return results


def worker(rank: int, world: int, folder: str) -> None:
    dist.init_process_group(
        "gloo",
        init_method=f"file://{folder}/store",
        rank=rank,
        world_size=world,
        timeout=datetime.timedelta(seconds=60),
    )
    results = {"parity": parity(rank), "resharding": resharding(rank)}
    if world == 2:
        results["bad"] = bad_inputs(rank)
    torch.save(results, f"{folder}/rank{rank}.pt")
    dist.destroy_process_group()


def run_ranks(world: int, folder: Path, deadline: float = 300) -> list[dict[str, Any]]:
    """Start `world` processes; their results, or a failure once `deadline` seconds pass."""
    context = mp.start_processes(worker, args=(world, str(folder)), nprocs=world, join=False)
    end = time.monotonic() + deadline
    while not context.join(timeout=5):
        if time.monotonic() > end:
            for process in context.processes:
                process.kill()
            pytest.fail(f"the {world} processes did not finish within {deadline} s")
    return [torch.load(folder / f"rank{rank}.pt") for rank in range(world)]


@pytest.fixture(scope="module")
def ranks(tmp_path_factory: pytest.TempPathFactory) -> Callable[[int], list[dict[str, Any]]]:
    """What each rank saw on ``world`` processes; each world size runs once per module."""
    seen: dict[int, list[dict[str, Any]]] = {}

    def results(world: int) -> list[dict[str, Any]]:
        if world not in seen:
            seen[world] = run_ranks(world, tmp_path_factory.mktemp(f"world{world}"))
        return seen[world]

    return results


Ranks = Callable[[int], list[dict[str, Any]]]
each_world = pytest.mark.parametrize("world", WORLDS, ids=lambda world: f"{world}-ranks")


@each_world
@pytest.mark.parametrize("rule", list(RULES))
@pytest.mark.parametrize("dtype", list(DTYPES))
def test_sharded_trains_bit_identically_to_ddp_with_torch(
    ranks: Ranks, world: int, rule: str, dtype: str
) -> None:
    for rank, results in enumerate(ranks(world)):
        result = results["parity"][f"{rule}-{dtype}"]
        assert result["equal"], f"rank {rank}: parameters differ from DDP + torch.optim"
        assert result["state"] == dict.fromkeys(result["state"], True), f"rank {rank}"
        state_names = set(RULES[rule].state_names) - {"t"}  # Adam's t is a number
        assert set(result["state"]) == state_names


@each_world
def test_each_rank_keeps_an_even_share(ranks: Ranks, world: int) -> None:
    numel = sum(p.numel() for p in mlp().parameters())
    assert numel % world  # the buffer is padded: uneven sizes are covered
    for results in ranks(world):
        result = results["parity"]["adam-float32"]
        assert result["shard"] == -(-numel // world)
        assert result["buffer"] == result["shard"] * world


@each_world
@pytest.mark.parametrize(("before", "after"), MOVES, ids=[f"{b}->{a}" for b, a in MOVES])
def test_resume_bit_exactly_on_another_world_size(
    ranks: Ranks, world: int, before: str, after: str
) -> None:
    move = f"{before}->{after}"
    resumed = [rank for rank, results in enumerate(ranks(world)) if move in results["resharding"]]
    assert resumed == (list(range(2)) if after == "pair" else list(range(world)))
    for rank in resumed:
        assert ranks(world)[rank]["resharding"][move], f"rank {rank}: the resumed run differs"


BAD = {  # scenario, on rank 1 only: (what rank 1 raises, what rank 0 raises)
    "layout": ("disagree on what to optimize", "disagree on what to optimize"),
    "lr": ("disagree on what to optimize", "disagree on what to optimize"),
    "dtypes": ("ValueError: one buffer holds one dtype", "rank 1 failed, so every rank stops"),
    "invalid": ("Invalid learning rate: -0.1", "rank 1 failed, so every rank stops"),
    "not elementwise": ("elementwise = True", "rank 1 failed, so every rank stops"),
    "grad": ("the gradient of parameter", "rank 1 failed, so every rank stops"),
    "backward": ("ranks 1 ran a backward pass since zero_grad(), ranks 0 did not",) * 2,
    "no ddp": ("gradients differ at the first step",) * 2,
    "load size": ("holds 195 elements, but these parameters have 144",) * 2,
    "load torch": ("(a torch.optim state dict?)", "rank 1 failed, so every rank stops"),
}


@pytest.mark.parametrize("scenario", list(BAD))
def test_bad_input_on_one_rank_raises_on_every_rank(ranks: Ranks, scenario: str) -> None:
    rank0, rank1 = ranks(2)
    on_rank1, on_rank0 = BAD[scenario]
    assert on_rank1 in rank1["bad"][scenario]
    assert on_rank0 in rank0["bad"][scenario]
    if "failed" in on_rank0:  # rank 0 says what rank 1 said
        assert rank1["bad"][scenario].split(": ", 1)[1] in rank0["bad"][scenario]


def test_a_failed_load_leaves_every_rank_as_it_was(ranks: Ranks) -> None:
    assert [results["bad"]["kept"] for results in ranks(2)] == ["True", "True"]


def test_unaveraged_gradients_change_nothing(ranks: Ranks) -> None:
    assert [results["bad"]["no ddp kept"] for results in ranks(2)] == ["True", "True"]


def test_without_a_process_group_says_how_to_start_one() -> None:
    assert not dist.is_initialized()
    with pytest.raises(RuntimeError, match=r"init_process_group\('gloo'\)"):
        Sharded(MyAdam, mlp().parameters())
