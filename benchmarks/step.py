"""Optimizer step cost: each myoptim optimizer against torch.optim's three implementations.

    python benchmarks/step.py [--smoke] [--threads N] [--device cpu|cuda] [--out DIR]

For every optimizer of the chapter, on two sets of parameters of the same total size —
the chapter's MLP (784-512-512-10: 0.67 M parameters in 6 tensors) and 1000 tensors of 670
— it times ``step()`` of myoptim's class, of myoptim's class behind ``Flattened`` (the fast
path, docs/chapter/fast-path.md), compiled into one loop over the buffer
(``compile=True``; for Adam, ``MyCompiledAdam``; Adam compiled as written is timed too), and of its
torch.optim counterpart with ``foreach=False`` (the for-loop myoptim follows),
``foreach=True`` and, where torch has one, ``fused=True``. It reports the median time per
step, the ratio to torch's for-loop, and the memory one step allocates
(temporaries; the state is allocated before). It also measures this machine's memory
bandwidth, which bounds an Adam step from below: the step must read θ, g, m, v and write θ,
m, v, 28 bytes per float32 parameter.

On a GPU (``--device cuda``) the parameters live in its memory, every timing waits for the
GPU to finish (``torch.cuda.synchronize``), a third set of parameters is added, 101 M
parameters in six 4096 x 4096 tensors (where an Adam step is bound by HBM bandwidth), and each
Adam row says which fraction of that bound it reaches (``of_bound``: the bound's time over
the row's). The fair reference there is torch's fused Adam. Such rows are written to
DIR/step-cuda.json.

Writes DIR/step.json and DIR/step.png (default benchmarks/results/). ``--smoke`` runs a few
steps of everything, with 100 small tensors instead of 1000 (for CI: it checks that the
benchmark runs, not what it measures).
"""

from __future__ import annotations

import argparse
import inspect
import platform
import statistics
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import torch
from report import RESULTS, save
from torch.profiler import ProfilerActivity, profile

import myoptim
from myoptim import (
    Flattened,
    MyAdaGrad,
    MyAdam,
    MyCompiledAdam,
    MyOptimizer,
    MyRMSProp,
    MySGD,
    MySGDMomentum,
)

SHAPES = {
    "mlp": [(512, 784), (512,), (512, 512), (512,), (10, 512), (10,)],
    "small": [(670,)] * 1000,
}
LARGE = {"large": [(4096, 4096)] * 6}  # on a GPU only: 101 M parameters
TITLES = {
    "mlp": "MLP 784-512-512-10 (6 tensors)",
    "small": "1000 tensors x 670",
    "large": "6 tensors x 4096 x 4096 (101 M)",
}
# name: myoptim class, torch class, and the hyperparameters both are given
OPTIMIZERS: dict[str, tuple[type[MyOptimizer], type[torch.optim.Optimizer], dict[str, Any]]] = {
    "SGD": (MySGD, torch.optim.SGD, {"lr": 1e-3}),
    "Momentum": (MySGDMomentum, torch.optim.SGD, {"lr": 1e-3, "momentum": 0.9}),
    "Adam": (MyAdam, torch.optim.Adam, {"lr": 1e-3}),
    "AdaGrad": (MyAdaGrad, torch.optim.Adagrad, {"lr": 1e-2}),
    "RMSProp": (MyRMSProp, torch.optim.RMSprop, {"lr": 1e-2}),
}
TORCH_OPTIONS = {
    "torch for-loop": {"foreach": False},
    "torch foreach": {"foreach": True},
    "torch fused": {"fused": True},
}
IMPLEMENTATIONS = [
    "myoptim",
    "myoptim flat",
    "myoptim compiled",
    "Adam compiled as written",
    *TORCH_OPTIONS,
]
ADAM_BYTES_PER_PARAMETER = 7 * 4  # read θ, g, m, v; write θ, m, v (float32)


DEVICE = torch.device("cpu")  # --device


def make_params(shapes: list[tuple[int, ...]]) -> list[torch.Tensor]:
    generator = torch.Generator().manual_seed(0)
    params = [torch.randn(s, generator=generator).to(DEVICE).requires_grad_() for s in shapes]
    for p in params:
        p.grad = (torch.randn(p.shape, generator=generator) * 1e-2).to(DEVICE)
    return params


def synchronize() -> None:
    """Wait for the GPU: its kernels run after the call that launched them has returned."""
    if DEVICE.type == "cuda":
        torch.cuda.synchronize(DEVICE)


def available(name: str, implementation: str) -> bool:
    """Whether this implementation exists (RMSprop has no fused one in torch)."""
    if implementation == "Adam compiled as written":
        return name == "Adam"
    options = TORCH_OPTIONS.get(implementation, {})
    return options.keys() <= inspect.signature(OPTIMIZERS[name][1]).parameters.keys()


def make_step(name: str, implementation: str, shapes: list[tuple[int, ...]]) -> Callable[[], None]:
    """A ready-to-time ``step``, its state already allocated."""
    ours, theirs, hyperparameters = OPTIMIZERS[name]
    params = make_params(shapes)
    optimizer: MyOptimizer | Flattened | torch.optim.Optimizer
    if implementation == "myoptim":
        optimizer = ours(params, **hyperparameters)
    elif implementation == "myoptim flat":
        optimizer = Flattened(ours, params, **hyperparameters)
    elif implementation == "myoptim compiled" and ours is MyAdam:
        optimizer = Flattened(MyCompiledAdam, params, **hyperparameters)
    elif implementation in ("myoptim compiled", "Adam compiled as written"):
        optimizer = Flattened(ours, params, compile=True, **hyperparameters)
    else:
        optimizer = theirs(params, **hyperparameters, **TORCH_OPTIONS[implementation])
    for _ in range(2):  # torch allocates its state on the first step, compiling takes two
        optimizer.step()
    return optimizer.step


def median_time(step: Callable[[], None], budget: float, rounds: int) -> float:
    """Median seconds per call, over ``rounds`` timed runs of about ``budget / rounds`` each."""
    synchronize()
    start = time.perf_counter()
    step()
    synchronize()
    calls = max(1, int(budget / rounds / max(time.perf_counter() - start, 1e-6)))
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        for _ in range(calls):
            step()
        synchronize()
        times.append((time.perf_counter() - start) / calls)
    return statistics.median(times)


def allocated(step: Callable[[], None]) -> int:
    """Bytes that one call allocates (freed or not), as torch's profiler (on a GPU, its
    caching allocator) counts them."""
    if DEVICE.type == "cuda":
        key = "allocated_bytes.all.allocated"
        before = torch.cuda.memory_stats(DEVICE)[key]
        step()
        synchronize()
        return int(torch.cuda.memory_stats(DEVICE)[key] - before)
    with profile(activities=[ProfilerActivity.CPU], profile_memory=True) as prof:
        step()
    return sum(e.cpu_memory_usage for e in prof.events() if e.cpu_memory_usage > 0)


def bandwidth(numel: int, budget: float, rounds: int) -> float:
    """Bytes per second of ``dst.copy_(src)`` on float32 tensors of ``numel`` elements."""
    src, dst = torch.randn(numel, device=DEVICE), torch.empty(numel, device=DEVICE)
    return 2 * src.nbytes / median_time(lambda: dst.copy_(src), budget, rounds)


def measure(smoke: bool) -> dict[str, Any]:
    budget, rounds = (0.01, 3) if smoke else (1.5, 15)  # seconds of timing per measurement
    problems = {**SHAPES, "small": SHAPES["small"][:100]} if smoke else dict(SHAPES)
    if DEVICE.type == "cuda":
        problems |= {"large": LARGE["large"][:1]} if smoke else LARGE
    rows: list[dict[str, Any]] = []
    for problem, shapes in problems.items():
        numel = sum(torch.Size(s).numel() for s in shapes)
        for name in OPTIMIZERS:
            for implementation in IMPLEMENTATIONS:
                if not available(name, implementation):
                    continue
                step = make_step(name, implementation, shapes)
                seconds = median_time(step, budget, rounds)
                row = {
                    "problem": problem,
                    "optimizer": name,
                    "implementation": implementation,
                    "ms": seconds * 1e3,
                    "allocated_bytes": allocated(step),
                    "parameter_bytes": numel * 4,
                }
                if name == "Adam":  # how close to the memory bound: bytes it must move per second
                    row["adam_GBps"] = ADAM_BYTES_PER_PARAMETER * numel / seconds / 1e9
                rows.append(row)
                print(f"{problem:5s} {name:8s} {implementation:15s} {row['ms']:8.3f} ms")
                del step  # the parameters and state of a large problem take GBs
    loops = {
        (r["problem"], r["optimizer"]): r["ms"]
        for r in rows
        if r["implementation"] == "torch for-loop"
    }
    for row in rows:
        row["vs_torch_for_loop"] = row["ms"] / loops[row["problem"], row["optimizer"]]
    # An Adam step streams through θ, g, m and v: copy a buffer that large (2N floats to
    # 2N others) to get the bandwidth at that working-set size.
    numel = sum(torch.Size(s).numel() for s in SHAPES["mlp"])
    streaming = bandwidth(2 * numel, budget, rounds)
    in_ram = bandwidth(64 * 2**20, budget, rounds)
    for row in rows:
        if row["optimizer"] == "Adam":  # the bound at the row's own working-set size
            size = row["parameter_bytes"] // 4
            bound = ADAM_BYTES_PER_PARAMETER * size / (streaming if size <= numel else in_ram)
            row["of_bound"] = bound * 1e3 / row["ms"]
    print(
        f"copy bandwidth {streaming / 1e9:.1f} GB/s at an Adam step's working set, "
        f"{in_ram / 1e9:.1f} GB/s at 2 x 256 MB; Adam bound for the MLP "
        f"{ADAM_BYTES_PER_PARAMETER * numel / streaming * 1e3:.3f} ms"
    )
    return {
        "machine": {
            "platform": platform.platform(),
            "processor": platform.processor(),
            "device": str(DEVICE)
            + (f" ({torch.cuda.get_device_name(DEVICE)})" if DEVICE.type == "cuda" else ""),
            "torch": torch.__version__,
            "myoptim": myoptim.__version__,
            "threads": torch.get_num_threads(),
        },
        "smoke": smoke,
        "bandwidth": {
            "copy_adam_working_set_GBps": streaming / 1e9,
            "copy_64M_floats_GBps": in_ram / 1e9,
            "adam_bytes_per_parameter": ADAM_BYTES_PER_PARAMETER,
            "adam_bound_mlp_ms": ADAM_BYTES_PER_PARAMETER * numel / streaming * 1e3,
        },
        "rows": rows,
    }


def plot(results: dict[str, Any], path: Path) -> None:
    import matplotlib.pyplot as plt

    problems = list(dict.fromkeys(r["problem"] for r in results["rows"]))
    size = (6 * len(problems), 4.5)
    fig, axes = plt.subplots(1, len(problems), figsize=size, layout="constrained")
    for ax, problem in zip(axes, problems, strict=True):
        rows = [r for r in results["rows"] if r["problem"] == problem]
        width = 0.8 / len(IMPLEMENTATIONS)
        for k, implementation in enumerate(IMPLEMENTATIONS):
            xs, ys = zip(
                *[
                    (i, r["ms"])
                    for i, name in enumerate(OPTIMIZERS)
                    for r in rows
                    if (r["optimizer"], r["implementation"]) == (name, implementation)
                ],
                strict=True,
            )
            ax.bar([x + k * width for x in xs], ys, width, label=implementation)
        if problem == "mlp":
            ax.axhline(
                results["bandwidth"]["adam_bound_mlp_ms"],
                color="k",
                ls=":",
                lw=1,
                label="Adam memory bound",
            )
        ax.set_xticks([i + 0.4 - width / 2 for i in range(len(OPTIMIZERS))], list(OPTIMIZERS))
        ax.set_yscale("log")
        ax.set_ylabel("ms per step (median)")
        ax.set_title(TITLES[problem])
    axes[0].legend(fontsize=8)
    fig.savefig(path, dpi=120)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--smoke", action="store_true", help="a few steps of everything")
    parser.add_argument("--threads", type=int, default=1, help="torch threads (default 1)")
    parser.add_argument("--device", default="cpu", help="cpu (default), or cuda: the GPU rows")
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args()
    global DEVICE
    DEVICE = torch.device(args.device)
    if DEVICE.type == "cuda" and not torch.cuda.is_available():
        parser.error("--device cuda: this machine has no CUDA GPU that torch can use")
    torch.set_num_threads(args.threads)
    results = measure(args.smoke)
    save(results, args.out, "step" if DEVICE.type == "cpu" else f"step-{DEVICE.type}", plot)


if __name__ == "__main__":
    main()
