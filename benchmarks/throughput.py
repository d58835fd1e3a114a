"""Fashion-MNIST training throughput: the chapter's DataLoader loop against tensors loaded once.

    python benchmarks/throughput.py [--smoke] [--epochs N] [--out DIR]

The Fashion-MNIST page (docs/chapter/fashion-mnist.md) trains the MLP (784-512-512-10, MyAdam,
lr 1e-3, batch 64) with torchvision's
``DataLoader`` and ``ToTensor``, which turn every image from a PIL image into a tensor in
Python, every epoch. The gallery loads the data once as two tensors and slices shuffled
batches out of them. This measures both on the same model from the same initial weights:
training samples per second, and the test accuracy each reaches (it should be the same up to
the order of the batches).

Writes DIR/throughput.json and DIR/throughput.png (default benchmarks/results/). ``--smoke``
trains on 2,000 images for one epoch (for CI).
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import torch
from report import RESULTS, save
from torch import nn

from myoptim import MyAdam
from myoptim.datasets import fashion_mnist_root, load_fashion_mnist

BATCH = 64
Batches = Iterable[tuple[torch.Tensor, torch.Tensor]]


def make_model() -> nn.Module:
    torch.manual_seed(0)
    return nn.Sequential(
        nn.Flatten(),
        nn.Linear(784, 512),
        nn.ReLU(),
        nn.Linear(512, 512),
        nn.ReLU(),
        nn.Linear(512, 10),
    )


def dataloader(size: int) -> Batches:
    """The chapter's loop: torchvision's dataset, ToTensor, DataLoader(shuffle=True)."""
    from torch.utils.data import DataLoader, Subset
    from torchvision import datasets
    from torchvision.transforms import ToTensor

    data = datasets.FashionMNIST(fashion_mnist_root(), train=True, transform=ToTensor())
    return DataLoader(Subset(data, range(size)), batch_size=BATCH, shuffle=True)


def tensor_batches(images: torch.Tensor, labels: torch.Tensor) -> Batches:
    """The gallery's loop: shuffle indices, slice batches out of tensors loaded once."""
    order = torch.randperm(len(images))
    for start in range(0, len(images), BATCH):
        index = order[start : start + BATCH]
        yield images[index], labels[index]


def train(batches: Callable[[], Batches], epochs: int) -> tuple[float, int, nn.Module]:
    """Seconds spent training, the number of samples seen, and the trained model."""
    model = make_model()
    optimizer = MyAdam(model.parameters(), lr=1e-3)
    torch.manual_seed(1)
    samples, start = 0, time.perf_counter()
    for _ in range(epochs):
        for x, y in batches():
            loss = nn.functional.cross_entropy(model(x), y)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            samples += len(y)
    return time.perf_counter() - start, samples, model


@torch.no_grad()
def accuracy(model: nn.Module, images: torch.Tensor, labels: torch.Tensor) -> float:
    return (model(images).argmax(1) == labels).float().mean().item()


def measure(smoke: bool, epochs: int) -> dict[str, Any]:
    images, labels = load_fashion_mnist(train=True)
    size = 2_000 if smoke else len(images)
    images, labels = images[:size], labels[:size]
    test_images, test_labels = load_fashion_mnist(train=False)
    loader = dataloader(size)
    loops = {  # each gives one epoch's batches
        "DataLoader + ToTensor": lambda: loader,
        "tensors loaded once": lambda: tensor_batches(images, labels),
    }
    rows = []
    for name, batches in loops.items():
        seconds, samples, model = train(batches, epochs)
        row = {
            "loop": name,
            "samples_per_second": samples / seconds,
            "seconds_per_epoch": seconds / epochs,
            "test_accuracy": accuracy(model, test_images, test_labels),
        }
        rows.append(row)
        print(
            f"{name:22s} {row['samples_per_second']:8.0f} samples/s  "
            f"{row['seconds_per_epoch']:6.1f} s/epoch  test accuracy {row['test_accuracy']:.4f}"
        )
    return {
        "smoke": smoke,
        "train_size": size,
        "epochs": epochs,
        "threads": torch.get_num_threads(),
        "rows": rows,
    }


def plot(results: dict[str, Any], path: Path) -> None:
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 2.5), layout="constrained")
    rows = results["rows"]
    ax.barh([r["loop"] for r in rows], [r["samples_per_second"] for r in rows])
    for i, r in enumerate(rows):
        ax.annotate(
            f"{r['samples_per_second']:,.0f}/s, accuracy {r['test_accuracy']:.3f}",
            (r["samples_per_second"], i),
            xytext=(4, 0),
            textcoords="offset points",
            va="center",
        )
    ax.set_xlabel("training samples per second")
    ax.set_title(f"Fashion-MNIST, MLP + MyAdam, {results['train_size']:,} images")
    ax.margins(x=0.6)
    fig.savefig(path, dpi=120)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--smoke", action="store_true", help="2,000 images, one epoch")
    parser.add_argument("--epochs", type=int, default=1)
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args()
    results = measure(args.smoke, args.epochs)
    save(results, args.out, "throughput", plot)


if __name__ == "__main__":
    main()
