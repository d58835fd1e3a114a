"""The device the examples train on: the machine's accelerator when it has one, else the CPU."""

from __future__ import annotations

import os

import torch

VARIABLE = "MYOPTIM_DEVICE"


def pick_device(announce: bool = True) -> torch.device:
    """The accelerator this machine has (CUDA, ROCm, MPS, XPU, ...), else the CPU.

    ``torch.accelerator`` finds it (torch 2.6 and later); before it, CUDA and then Apple's MPS
    are tried. ``$MYOPTIM_DEVICE`` (``cpu``, ``cuda``, ``cuda:1``, ``mps``, ...) chooses
    instead. The book's build sets it to ``cpu``, so that its figures are the same on every
    machine; on an accelerator, other kernels add in other orders, and the numbers may differ
    slightly from the book's.

    Args:
        announce: print the device chosen (default ``True``), so a notebook says where it ran.

    Example:
        >>> import torch
        >>> device = pick_device()  # doctest: +ELLIPSIS
        device: ...
        >>> model = torch.nn.Linear(3, 1).to(device)
    """
    chosen = os.environ.get(VARIABLE)
    device = _named(chosen) if chosen else _accelerator() or torch.device("cpu")
    if announce:
        name = torch.cuda.get_device_name(device) if device.type == "cuda" else ""
        print(f"device: {device}" + (f" ({name})" if name else ""))
    return device


def _accelerator() -> torch.device | None:
    accelerator = getattr(torch, "accelerator", None)
    if accelerator is not None:
        found = accelerator.current_accelerator() if accelerator.is_available() else None
        return torch.device(found) if found is not None else None
    if torch.cuda.is_available():
        return torch.device("cuda")
    mps = getattr(torch.backends, "mps", None)
    if mps is not None and mps.is_available():
        return torch.device("mps")
    return None


def _named(name: str) -> torch.device:
    try:
        device = torch.device(name)
        torch.empty(0, device=device)  # raises when this machine lacks it
    except (RuntimeError, AssertionError) as error:
        raise ValueError(
            f"{VARIABLE}={name!r} names no device this machine has "
            f"({str(error).splitlines()[0]}). Use cpu, or an "
            f"accelerator it has (cuda, cuda:1, mps, xpu), or unset {VARIABLE} to pick one."
        ) from None
    return device
