"""DistributedDataParallel on two gloo processes: myoptim trains bit for bit as torch.optim does."""

from __future__ import annotations

from pathlib import Path

import torch
import torch.distributed as dist
import torch.multiprocessing as mp
from cases import mlp
from torch.nn.parallel import DistributedDataParallel

from myoptim import Flattened, MyAdam, TorchOptimizer

# How each run makes its optimizer from the model's parameters; "torch" is the reference.
OPTIMIZERS = {
    "torch": lambda params: torch.optim.Adam(params, lr=0.01, foreach=False),
    "MyAdam": lambda params: MyAdam(params, lr=0.01),
    "Flattened": lambda params: Flattened(MyAdam, params, lr=0.01),
    "TorchOptimizer": lambda params: TorchOptimizer(MyAdam, params, lr=0.01),
}


def train(rank: int, kind: str, bucket_view: bool = False) -> list[torch.Tensor]:
    model = mlp()  # the same weights on both ranks
    optimizer = OPTIMIZERS[kind](model.parameters())
    ddp = DistributedDataParallel(model, gradient_as_bucket_view=bucket_view)
    generator = torch.Generator().manual_seed(rank)  # each rank its own batches
    for _ in range(5):
        optimizer.zero_grad()
        x = torch.randn(16, 8, generator=generator)
        y = torch.randint(0, 3, (16,), generator=generator)
        torch.nn.functional.cross_entropy(ddp(x), y).backward()
        optimizer.step()
    return [p.detach().clone() for p in model.parameters()]


def worker(rank: int, folder: str) -> None:
    dist.init_process_group("gloo", init_method=f"file://{folder}/store", rank=rank, world_size=2)
    results: dict[str, object] = {kind: train(rank, kind) for kind in OPTIMIZERS}
    try:
        train(rank, "Flattened", bucket_view=True)
    except RuntimeError as error:
        results["bucket view"] = str(error)
    torch.save(results, f"{folder}/rank{rank}.pt")
    dist.destroy_process_group()


def test_ddp_on_two_gloo_processes_trains_bit_identically_to_torch(tmp_path: Path) -> None:
    mp.spawn(worker, args=(str(tmp_path),), nprocs=2)
    ranks = [torch.load(tmp_path / f"rank{rank}.pt") for rank in (0, 1)]
    reference = ranks[0]["torch"]
    for results in ranks:
        for kind in OPTIMIZERS:
            for i, (p, q) in enumerate(zip(results[kind], reference, strict=True)):
                assert torch.equal(p, q), f"{kind}: parameter {i} differs from DDP + torch.optim"
        # The gradients DDP hands over are its own bucket views: named, with the fix.
        assert "gradient_as_bucket_view=False" in results["bucket view"]
    assert not torch.equal(reference[0], mlp()[0].weight)  # it trained
