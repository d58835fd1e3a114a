"""Sharded optimizer state: bytes per rank and step time on 1, 2 and 4 processes.

    python benchmarks/sharded.py [--smoke] [--out DIR]

On the chapter's MLP (784-512-512-10: 0.67 M parameters), each world size starts that many
gloo processes on this machine (loopback) and trains with DistributedDataParallel, once with
``Sharded`` around each myoptim optimizer (docs/chapter/sharded.md) and once with the torch.optim
counterpart (``foreach=False``), which keeps the whole state on every rank. For each rank it
reports the bytes of the optimizer's state and the median time of ``optimizer.step()``
(after a barrier, so a rank does not time its wait for the others' backward pass). Each
process runs one torch thread: on a machine with fewer cores than processes, the processes
share the cores, and the step time says so.

Writes DIR/sharded.json and DIR/sharded.png (default benchmarks/results/). ``--smoke`` runs
a few steps on 1 and 2 processes (for CI: it checks that the benchmark runs).
"""

from __future__ import annotations

import argparse
import functools
import os
import platform
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import torch
import torch.distributed as dist
import torch.multiprocessing as mp
from report import RESULTS, save
from torch.nn.parallel import DistributedDataParallel

from myoptim import MyAdam, MyOptimizer, MySGD, MySGDMomentum, Sharded

# name: myoptim rule, torch class, and the hyperparameters both are given
OPTIMIZERS: dict[str, tuple[type[MyOptimizer], type[torch.optim.Optimizer], dict[str, Any]]] = {
    "SGD": (MySGD, torch.optim.SGD, {"lr": 1e-3}),
    "Momentum": (MySGDMomentum, torch.optim.SGD, {"lr": 1e-3, "momentum": 0.9}),
    "Adam": (MyAdam, torch.optim.Adam, {"lr": 1e-3}),
}


def make_model() -> torch.nn.Module:
    torch.manual_seed(0)
    return torch.nn.Sequential(
        torch.nn.Linear(784, 512),
        torch.nn.ReLU(),
        torch.nn.Linear(512, 512),
        torch.nn.ReLU(),
        torch.nn.Linear(512, 10),
    )


def state_bytes(optimizer: Any) -> int:
    return sum(
        value.nbytes
        for state in optimizer.state.values()
        for value in state.values()
        if isinstance(value, torch.Tensor)
    )


def time_steps(rank: int, make: Callable[[Any], Any], steps: int) -> tuple[int, float]:
    """Train with DDP; this rank's state bytes and median step() time in ms."""
    model = make_model()
    optimizer = make(model.parameters())  # before DDP: Sharded moves the parameters
    ddp = DistributedDataParallel(model)
    generator = torch.Generator().manual_seed(rank)
    times = []
    for _ in range(steps + 2):  # the first two warm up
        x = torch.randn(64, 784, generator=generator)
        y = torch.randint(0, 10, (64,), generator=generator)
        optimizer.zero_grad()
        torch.nn.functional.cross_entropy(ddp(x), y).backward()
        dist.barrier()
        start = time.perf_counter()
        optimizer.step()
        times.append(time.perf_counter() - start)
    inner = optimizer.optimizer if isinstance(optimizer, Sharded) else optimizer
    return state_bytes(inner), statistics.median(times[2:]) * 1e3


def worker(rank: int, world: int, folder: str, steps: int) -> None:
    torch.set_num_threads(1)
    dist.init_process_group(
        "gloo", init_method=f"file://{folder}/store", rank=rank, world_size=world
    )
    rows = []
    for name, (rule, torch_class, kwargs) in OPTIMIZERS.items():
        implementations = {
            f"Sharded({rule.__name__})": functools.partial(Sharded, rule, **kwargs),
            f"torch.optim ({name})": functools.partial(torch_class, foreach=False, **kwargs),
        }
        for implementation, make in implementations.items():
            size, ms = time_steps(rank, make, steps)
            rows.append({"optimizer": name, "implementation": implementation, "rank": rank})
            rows[-1].update(state_bytes=size, step_ms=ms)
    torch.save(rows, f"{folder}/rank{rank}.pt")
    dist.destroy_process_group()


def measure(worlds: tuple[int, ...], steps: int) -> list[dict[str, Any]]:
    rows = []
    for world in worlds:
        with tempfile.TemporaryDirectory() as folder:
            mp.start_processes(worker, args=(world, folder, steps), nprocs=world)
            for rank in range(world):
                for row in torch.load(f"{folder}/rank{rank}.pt"):
                    rows.append({"world": world, **row})
        print(f"{world} processes: done", flush=True)
    return rows


def plot(results: dict[str, Any], path: Path) -> None:
    import matplotlib.pyplot as plt

    rows = [r for r in results["rows"] if r["optimizer"] == "Adam"]
    worlds = sorted({r["world"] for r in rows})
    figure, (memory, speed) = plt.subplots(1, 2, figsize=(10, 4), layout="constrained")
    for implementation in sorted({r["implementation"] for r in rows}):
        mine = [r for r in rows if r["implementation"] == implementation]
        largest = [max(r["state_bytes"] for r in mine if r["world"] == w) / 2**20 for w in worlds]
        slowest = [max(r["step_ms"] for r in mine if r["world"] == w) for w in worlds]
        memory.plot(worlds, largest, marker="o", label=implementation)
        speed.plot(worlds, slowest, marker="o", label=implementation)
    memory.set(xlabel="processes", ylabel="optimizer state per rank (MiB)", xticks=worlds)
    speed.set(xlabel="processes", ylabel="step() time, slowest rank (ms)", xticks=worlds)
    memory.set_ylim(bottom=0)
    speed.set_ylim(bottom=0)
    memory.legend()
    figure.suptitle(f"Adam on the chapter's MLP, {results['machine']['cores']} CPU cores")
    figure.savefig(path, dpi=150)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--smoke", action="store_true", help="a few steps on 1 and 2 processes")
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args()
    worlds, steps = ((1, 2), 3) if args.smoke else ((1, 2, 4), 30)
    results = {
        "machine": {"cores": os.cpu_count(), "processor": platform.machine()},
        "torch": torch.__version__,
        "threads_per_process": 1,
        "rows": measure(worlds, steps),
    }
    for row in results["rows"]:
        print(
            f"{row['world']} processes, rank {row['rank']}, {row['implementation']:22}: "
            f"state {row['state_bytes']:>9} bytes, step {row['step_ms']:.2f} ms"
        )
    save(results, args.out, "sharded", plot)


if __name__ == "__main__":
    main()
