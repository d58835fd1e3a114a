"""The package on a CUDA GPU, against torch.optim on the same GPU: every rule, Flattened (eager
and compiled), MyCompiledAdam, TorchOptimizer with GradScaler("cuda") and autocast, the state
following a model moved to the GPU, and Sharded over NCCL.

Where torch finds no CUDA GPU, each test is skipped with that reason (``pytest -rs`` prints
it). ``pytest -m gpu`` runs only these; ``benchmarks/gpu.sh`` runs them and the GPU benchmark.
The same single-tensor kernels run on both sides, so the rules, Flattened and TorchOptimizer
are compared bit for bit; compiled code adds in its own order and is compared to rounding
(float32: rtol = atol = 1e-5, as on the CPU: tests/test_compiled.py)."""

from __future__ import annotations

import datetime
import os
from pathlib import Path
from typing import Any

import pytest
import torch
import torch.distributed as dist
import torch.multiprocessing as mp
from cases import CASES, CLASSES, Case, copy_params, gradient_stream, make_kwargs, make_params, mlp
from torch.nn.parallel import DistributedDataParallel

from myoptim import Flattened, MyAdam, MyCompiledAdam, Sharded, TorchOptimizer, pick_device
from myoptim.devices import VARIABLE

pytestmark = [
    pytest.mark.gpu,
    pytest.mark.skipif(
        not torch.cuda.is_available(),
        reason="no CUDA GPU here (torch.cuda.is_available() is False): these run where one is",
    ),
]
CUDA = torch.device("cuda")
ROUNDING = {"rtol": 1e-5, "atol": 1e-5}


def on_gpu(params: list[torch.Tensor]) -> list[torch.Tensor]:
    """The parameters copied to the GPU, strides and requires_grad kept."""
    return [p.detach().to(CUDA).requires_grad_(p.requires_grad) for p in params]


def run(optimizer: Any, params: list[torch.Tensor], steps: int = 30, zeros: bool = False) -> None:
    """Steps on the table's gradient stream (made on the CPU, the same for every run); with
    ``zeros``, a missing gradient is zero and gradients are written in place, as Flattened's
    gradients are views of its buffer (tests/test_flat.py)."""
    for grads in gradient_stream(params, steps):
        for p, g in zip(params, grads, strict=True):
            if not zeros:
                p.grad = None if g is None else g.to(CUDA)
            elif p.requires_grad:
                gradient = torch.zeros_like(p) if g is None else g.to(CUDA)
                if p.grad is None:
                    p.grad = gradient
                else:
                    p.grad.copy_(gradient)
        optimizer.step()


def test_the_starters_pick_the_gpu(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(VARIABLE, raising=False)
    assert pick_device(announce=False).type == "cuda"


@pytest.mark.parametrize("case", CASES)
def test_every_rule_matches_torch_bit_for_bit_on_the_gpu(case: Case) -> None:
    ours, theirs = on_gpu(make_params(torch.float32)), on_gpu(make_params(torch.float32))
    optimizer = case.make(ours)
    run(optimizer, ours)
    run(case.make_torch(theirs), theirs)
    for p, q in zip(ours, theirs, strict=True):
        assert torch.equal(p, q)
    for state in optimizer.state.values():  # the state lives where its parameter does
        assert all(v.device.type == "cuda" for v in state.values() if torch.is_tensor(v))


@pytest.mark.parametrize("cls", CLASSES)
def test_the_state_follows_a_model_moved_to_the_gpu(cls: type) -> None:
    model, twin = mlp(), mlp()
    ours = cls(model.parameters(), **make_kwargs(cls))  # made on the CPU
    model.to(CUDA)
    twin.to(CUDA)
    case = next(c for c in (p.values[0] for p in CASES) if c.optimizer is cls)
    theirs = case.make_torch(list(twin.parameters()))
    x, y = torch.randn(64, 8, device=CUDA), torch.randint(0, 3, (64,), device=CUDA)
    for optimizer, net in ((ours, model), (theirs, twin)):
        for _ in range(5):
            optimizer.zero_grad()
            torch.nn.functional.cross_entropy(net(x), y).backward()
            optimizer.step()
    for p, q in zip(model.parameters(), twin.parameters(), strict=True):
        assert torch.equal(p, q)


@pytest.mark.parametrize("compile", [False, True], ids=["eager", "compiled"])
@pytest.mark.parametrize("case", CASES)
def test_flattened_on_the_gpu(case: Case, compile: bool) -> None:
    params = on_gpu(make_params(torch.float32))
    reference = copy_params(params)
    flat = Flattened(case.optimizer, params, compile=compile, **case.kwargs)
    run(flat, params, zeros=True)
    run(case.make_torch(reference), reference, zeros=True)
    for p, q in zip(params, reference, strict=True):
        if compile:
            torch.testing.assert_close(p, q, **ROUNDING)
        else:
            assert torch.equal(p, q)


def test_my_compiled_adam_on_the_gpu() -> None:
    params = on_gpu(make_params(torch.float32))
    reference = copy_params(params)
    run(Flattened(MyCompiledAdam, params, lr=1e-2), params, zeros=True)
    run(torch.optim.Adam(reference, lr=1e-2, foreach=False), reference, zeros=True)
    for p, q in zip(params, reference, strict=True):
        torch.testing.assert_close(p, q, **ROUNDING)


@pytest.mark.parametrize("case", CASES)
def test_torch_optimizer_with_grad_scaler_and_autocast_on_the_gpu(case: Case) -> None:
    models = mlp().to(CUDA), mlp().to(CUDA)
    optimizers = (
        TorchOptimizer(case.optimizer, models[0].parameters(), **case.kwargs),
        case.make_torch(list(models[1].parameters())),
    )
    scalers = [torch.amp.GradScaler("cuda", init_scale=2.0**16) for _ in range(2)]
    generator = torch.Generator().manual_seed(1)
    for step in range(8):
        x = torch.randn(32, 8, generator=generator).to(CUDA) * (1e4 if step == 2 else 1)
        y = torch.randint(0, 3, (32,), generator=generator).to(CUDA)
        for model, optimizer, scaler in zip(models, optimizers, scalers, strict=True):
            optimizer.zero_grad()
            with torch.autocast("cuda", dtype=torch.float16):
                loss = torch.nn.functional.cross_entropy(model(x), y)
            scaler.scale(loss).backward()
            scaler.step(optimizer)  # skipped where the scaled gradients overflowed
            scaler.update()
        assert scalers[0].get_scale() == scalers[1].get_scale()
    for p, q in zip(models[0].parameters(), models[1].parameters(), strict=True):
        assert torch.equal(p, q)


def nccl_worker(rank: int, world: int, folder: str) -> None:
    """Five DDP steps with Sharded(MyAdam) and with torch.optim.Adam, one GPU per process."""
    torch.cuda.set_device(rank)
    dist.init_process_group(
        "nccl",
        init_method=f"file://{folder}/store",
        rank=rank,
        world_size=world,
        timeout=datetime.timedelta(seconds=120),
    )
    results = []
    for make in (
        lambda params: Sharded(MyAdam, params, lr=1e-2),
        lambda params: torch.optim.Adam(params, lr=1e-2, foreach=False),
    ):
        model = mlp().to(rank)
        optimizer = make(model.parameters())  # before DDP: Sharded's parameters become views
        ddp = DistributedDataParallel(model, device_ids=[rank])
        generator = torch.Generator().manual_seed(rank)  # each rank its own batches
        for _ in range(5):
            x = torch.randn(16, 8, generator=generator).to(rank)
            y = torch.randint(0, 3, (16,), generator=generator).to(rank)
            optimizer.zero_grad()
            torch.nn.functional.cross_entropy(ddp(x), y).backward()
            optimizer.step()
        results.append([p.detach().cpu() for p in model.parameters()])
    torch.save(results, f"{folder}/rank{rank}.pt")
    dist.destroy_process_group()


@pytest.mark.skipif(
    not dist.is_nccl_available(), reason="this torch has no NCCL (torch.distributed)"
)
def test_sharded_over_nccl_matches_ddp_with_torch(tmp_path: Path) -> None:
    world = min(torch.cuda.device_count(), 2)
    os.environ.setdefault("NCCL_DEBUG", "WARN")
    mp.start_processes(nccl_worker, args=(world, str(tmp_path)), nprocs=world, join=True)
    for rank in range(world):
        sharded, reference = torch.load(tmp_path / f"rank{rank}.pt")
        for p, q in zip(sharded, reference, strict=True):
            assert torch.equal(p, q)
