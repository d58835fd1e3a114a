"""Beyond one process: the optimizer's state split across torch.distributed ranks.

The chapter builds it in docs/chapter/sharded.md.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import torch
import torch.distributed as dist

from myoptim.base import MyOptimizer, _check_rule
from myoptim.flat import Flattened


def _all_gather(output: torch.Tensor, shard: torch.Tensor, group: Any) -> None:
    """Gather every rank's ``shard``, in rank order, into ``output``; collective."""
    # torch 2.14 deprecates all_gather_into_tensor for all_gather_single, which older torch lacks.
    gather = getattr(dist, "all_gather_single", None) or dist.all_gather_into_tensor
    gather(output, shard, group=group)


class Sharded(Flattened):
    r"""Run a myoptim optimizer with its state split across the ranks of a process group.

    With data parallelism (``DistributedDataParallel``) every rank holds the whole model
    and, with ``torch.optim``, the optimizer's whole state too: Adam's :math:`m` and
    :math:`v` are two more copies of every parameter on every rank. ``Sharded`` keeps
    the layout of :class:`Flattened` (all parameters in one buffer :math:`\Theta`, padded
    to a multiple of the world size :math:`N`) and gives rank :math:`r` the contiguous
    slice :math:`\Theta_r`, its *shard*. Each rank keeps the optimizer's state for its
    shard only and updates its shard with the gradient, which DDP has already averaged
    over the ranks; the ranks then gather the updated shards, so that every rank holds
    the same parameters after ``step()``. This is stage 1 of ZeRO.

    .. math::

        \Theta = [\Theta_0; \Theta_1; \ldots; \Theta_{N-1}], \qquad
        \Theta_r \leftarrow \mathrm{update}(\Theta_r, G_r) \text{ on rank } r, \qquad
        \Theta \leftarrow \mathrm{all\_gather}(\Theta_0, \ldots, \Theta_{N-1})

    Every update rule of the chapter is elementwise, so the numbers are those of the
    optimizer on the whole model: bit for bit those of DDP with the ``torch.optim``
    counterpart (``foreach=False``). A rule of your own must be elementwise too, and say
    so (``elementwise = True``); others are refused. The gradients must be averaged over
    the ranks (by ``DistributedDataParallel``) before ``step()``: the first step checks
    that every rank holds the same gradient, and raises on every rank if not.

    ``Sharded`` behaves as :class:`Flattened` does otherwise (``zero_grad()`` zeroes
    the gradient buffer; the parameters keep being views of the buffer). Its methods are
    collective: every rank calls them, in the same order. An error on one rank (say, a
    gradient set to None) is raised on every rank, instead of leaving the others waiting.

    Args:
        optimizer: the optimizer class, e.g. ``MyAdam``.
        params: the tensors to optimize, e.g. ``model.parameters()``: the same shapes in
            the same order on every rank, of one dtype on one device (a CPU tensor for the
            gloo backend, a CUDA one for NCCL). Tensors that do not require grad are left
            out, as in :class:`Flattened`.
        group: the process group whose ranks share the state. Default ``None``: the
            default group that ``torch.distributed.init_process_group()`` made.
        compile: compile the update of the shard, as :class:`Flattened` does. Default
            ``False``.
        **hyperparameters: passed to ``optimizer``, e.g. ``lr=1e-3``; the optimizer's
            defaults otherwise. The same on every rank.

    Attributes:
        shard: this rank's slice of the buffer (a view of it), the one tensor that the
            wrapped optimizer updates and keeps state for.

    Raises:
        RuntimeError: if no process group is initialised, or another rank failed.
        ValueError: if the ranks disagree on the parameters' shapes, dtype, the optimizer
            or its hyperparameters. Every rank raises, each with the same description.

    Example:
        A process group of one rank, for the example; under ``torchrun`` each process
        calls ``dist.init_process_group("gloo")`` and passes ``model.parameters()`` of a
        model wrapped in ``DistributedDataParallel``:

        >>> import torch
        >>> import torch.distributed as dist
        >>> from myoptim import MyAdam, Sharded
        >>> dist.init_process_group("gloo", store=dist.HashStore(), rank=0, world_size=1)
        >>> model = torch.nn.Linear(3, 2)
        >>> optimizer = Sharded(MyAdam, model.parameters(), lr=0.1)
        >>> optimizer.shard.shape  # all 8 elements, on a single rank
        torch.Size([8])
        >>> model(torch.ones(1, 3)).sum().backward()
        >>> optimizer.step()
        >>> optimizer.zero_grad()
        >>> dist.destroy_process_group()

    Reference:
        Rajbhandari et al., `ZeRO: Memory Optimizations Toward Training Trillion Parameter
        Models <https://arxiv.org/abs/1910.02054>`_, 2020 (stage 1, "optimizer state
        partitioning"). PyTorch's ``ZeroRedundancyOptimizer`` shards per parameter instead.
    """

    def __init__(
        self,
        optimizer: type[MyOptimizer],
        params: Iterable[torch.Tensor],
        *,
        group: dist.ProcessGroup | None = None,
        compile: bool = False,
        **hyperparameters: Any,
    ) -> None:
        _check_rule(
            optimizer,
            "Sharded shards the state of",
            "torch's ZeroRedundancyOptimizer shards torch.optim's optimizers",
        )
        if not (dist.is_available() and dist.is_initialized()):
            raise RuntimeError(
                "Sharded splits the state across the ranks of a process group, but none is "
                "initialised: call torch.distributed.init_process_group('gloo') (or 'nccl' "
                "on GPUs) first, in each process that torchrun starts"
            )
        self.group = group
        self.rank, self.world_size = dist.get_rank(group), dist.get_world_size(group)
        error = None
        try:
            super().__init__(optimizer, params, compile=compile, **hyperparameters)
        except Exception as caught:  # raised again below, on every rank
            error = caught
        self._agree(error)
        layout = [
            [tuple(p.shape) for p in self.params],
            str(self.buffer.dtype),
            repr(self.optimizer),
        ]
        layouts: list[Any] = [None] * self.world_size
        dist.all_gather_object(layouts, layout, group=group)
        for rank, other in enumerate(layouts):
            if other != layout:
                raise ValueError(
                    f"the ranks disagree on what to optimize: rank {self.rank} has "
                    f"{_describe(layout)}, rank {rank} has {_describe(other)}. Build the same "
                    "model and the same optimizer on every rank"
                )

    def _buffer_size(self, numel: int) -> int:
        """A multiple of the world size: every rank's shard has the same length."""
        return -(-numel // self.world_size) * self.world_size

    def _make_optimizer(
        self, optimizer: type[MyOptimizer], hyperparameters: dict[str, Any]
    ) -> MyOptimizer:
        """The wrapped optimizer, made on this rank's shard of the buffer only."""
        length = self.buffer.numel() // self.world_size
        mine = slice(self.rank * length, (self.rank + 1) * length)
        self.shard = self.buffer.detach()[mine]
        assert self.buffer.grad is not None
        self._grad_shard = self.buffer.grad[mine]
        return optimizer([self.shard], **hyperparameters)

    def step(self, closure: None = None) -> None:
        """Update this rank's shard, then gather every rank's shard into the buffer.

        Does nothing if no backward pass has run since :meth:`Flattened.zero_grad` or the
        wrapping, on any rank. Takes no closure, as :meth:`Flattened.step`.

        Raises:
            RuntimeError: on every rank, if a parameter or its gradient is no longer a
                view of the buffers on one of them (see :meth:`Flattened.step`), or if
                some ranks ran a backward pass and others did not.
        """
        self._refuse(closure)  # the same call on every rank: no rank is left waiting
        error = None
        try:
            self._check_links()
        except RuntimeError as caught:
            error = caught
        assert self.buffer.grad is not None
        received = self.buffer.grad._version != self._zeroed_version
        flags = torch.tensor(
            [error is not None, received], dtype=torch.int32, device=self.buffer.device
        )
        table = flags.new_zeros(self.world_size * 2)
        _all_gather(table, flags, group=self.group)
        table = table.view(self.world_size, 2)  # a row per rank: failed, received
        if table[:, 0].any():
            self._agree(error)
        if not table[:, 1].all():
            if table[:, 1].any():
                raise RuntimeError(
                    f"ranks {_ranks(table[:, 1] == 1)} ran a backward pass since zero_grad(), "
                    f"ranks {_ranks(table[:, 1] == 0)} did not: every rank steps together, "
                    "so each runs forward, backward() and step() on its own batch"
                )
            return
        if not self._stepped:
            self._check_synchronised()
        self._apply_update(self.shard, self._grad_shard)
        _all_gather(self.buffer.detach(), self.shard.clone(), group=self.group)

    def _check_synchronised(self) -> None:
        """At the first step, raise on every rank if the ranks' gradients differ.

        Each rank updates its shard with its own gradient, so the gradients must already be
        averaged over the ranks (by DDP); otherwise the ranks would train a mixture of their
        own gradients and stay identical, hiding it. Two sums per rank say whether they
        agree; later steps pay nothing.
        """
        assert self.buffer.grad is not None
        grad = self.buffer.grad.double()
        sums = torch.stack([grad.sum(), grad.abs().sum()])
        table = sums.new_zeros(self.world_size * 2)
        _all_gather(table, sums, group=self.group)
        table = table.view(self.world_size, 2)  # a row per rank: sum, sum of |g|
        if (table - table[0]).abs().max() > 1e-6 * table[:, 1].max():
            raise RuntimeError(
                "the ranks' gradients differ at the first step (sums "
                f"{[round(x, 6) for x in table[:, 0].tolist()]}): Sharded updates each "
                "rank's shard with that rank's gradient, so the gradients must be averaged "
                "over the ranks first. Wrap the model in DistributedDataParallel and call the "
                "wrapped model, ddp(x), not model(x)"
            )

    def state_dict(self) -> dict[str, Any]:
        """The wrapped optimizer's state for the whole buffer, gathered from every rank.

        The same on every rank, and the same as :class:`Flattened`'s for these parameters:
        it loads into a ``Sharded`` of any world size, or into a ``Flattened``. Save it
        from one rank (``if dist.get_rank() == 0: torch.save(...)``); gathering it needs
        the whole state's memory on every rank for a moment.
        """
        saved = self.optimizer.state_dict()
        numel = sum(p.numel() for p in self.params)
        state = {}
        for name, value in saved["state"][0].items():
            if isinstance(value, torch.Tensor) and value.shape == self.shard.shape:
                whole = value.new_empty(self.buffer.shape)
                _all_gather(whole, value, group=self.group)
                value = whole[:numel].clone()
            state[name] = value
        return {**saved, "state": [state]}

    def load_state_dict(self, state_dict: Mapping[str, Any]) -> None:
        """Resume from a :meth:`state_dict` (or :class:`Flattened`'s), on any world size.

        Each rank takes its shard of the saved state. Everything is checked first, on
        every rank: on error, every rank raises and keeps its state.

        Raises:
            ValueError: if the state dict was saved for parameters of another size, by
                another optimizer, or is not a myoptim state dict.
        """
        previous = self.optimizer.state_dict()
        error = None
        try:
            self._check_layout(state_dict)
            self.optimizer.load_state_dict(self._my_shard_of(state_dict))
        except Exception as caught:  # raised again below, on every rank
            error = caught
        try:
            self._agree(error)
        except RuntimeError:
            if error is None:  # another rank failed: this rank goes back to its state too
                self.optimizer.load_state_dict(previous)
            raise

    def _my_shard_of(self, state_dict: Mapping[str, Any]) -> Mapping[str, Any]:
        """``state_dict`` with each whole-buffer state tensor cut to this rank's shard."""
        saved = state_dict.get("state") if isinstance(state_dict, Mapping) else None
        if not (isinstance(saved, list) and len(saved) == 1 and isinstance(saved[0], Mapping)):
            return state_dict  # the wrapped optimizer's load_state_dict says what is wrong
        numel = sum(p.numel() for p in self.params)
        start = self.rank * self.shard.numel()
        state = {}
        for name, value in saved[0].items():
            if isinstance(value, torch.Tensor) and value.dim() == 1:
                if value.numel() != numel:
                    raise ValueError(
                        f"the state dict's {name!r} holds {value.numel()} elements, but these "
                        f"parameters have {numel}: load it into the model it was saved from"
                    )
                padded = value.new_zeros(self.buffer.numel())
                padded[:numel] = value
                value = padded[start : start + self.shard.numel()]
            state[name] = value
        return {**state_dict, "state": [state]}

    def _agree(self, error: BaseException | None) -> None:
        """Raise on every rank if ``error`` happened on any; collective."""
        messages: list[str | None] = [None] * self.world_size
        mine = None if error is None else f"{type(error).__name__}: {error}"
        dist.all_gather_object(messages, mine, group=self.group)
        if error is not None:
            raise error
        for rank, message in enumerate(messages):
            if message is not None:
                raise RuntimeError(f"rank {rank} failed, so every rank stops: {message}")

    def __repr__(self) -> str:
        return (
            f"Sharded({self.optimizer!r}, {len(self.params)} parameters, rank {self.rank} of "
            f"{self.world_size}: {self.shard.numel()} of {self.buffer.numel()} elements)"
        )

    # A process group cannot be pickled, and a copy could not take part in one.
    def __getstate__(self) -> dict[str, Any]:
        raise TypeError(
            "a Sharded optimizer belongs to its process group and cannot be copied or pickled; "
            "save its state_dict() instead"
        )


def _describe(layout: list[Any]) -> str:
    shapes, dtype, optimizer = layout
    return f"{len(shapes)} tensors {shapes} of {dtype} for {optimizer}"


def _ranks(mask: torch.Tensor) -> str:
    return ", ".join(str(i) for i in mask.nonzero().flatten().tolist())
