"""The fast path: any optimizer of the chapter, on all parameters at once.

The chapter builds it in docs/chapter/fast-path.md.
"""

from __future__ import annotations

import functools
import types
import warnings
import weakref
from collections.abc import Iterable, Mapping
from typing import Any

import torch

from myoptim.base import MyOptimizer, _check_params, _check_rule
from myoptim.compiler import require_compiler


def _check_elementwise(rule: type[MyOptimizer], wrapper: str) -> None:
    """Refuse a rule that does not declare itself elementwise."""
    if not rule.elementwise:
        raise TypeError(
            f"{wrapper} runs {rule.__name__} on one long tensor, which gives the numbers of "
            "the separate parameters only for an elementwise rule: one whose update of each "
            "element reads only that element of p, grad and the state (no norm over the "
            f"tensor, no p.shape or p.dim()). If {rule.__name__} is one, declare it in the "
            "class: elementwise = True; if not, give it the parameters themselves"
        )


# Every parameter a Flattened has made a view of its buffer, by id: such parameters share
# the buffer's memory because they were wrapped, and may be wrapped again.
_WRAPPED: weakref.WeakValueDictionary[int, torch.Tensor] = weakref.WeakValueDictionary()


def _check_own_memory(params: list[torch.Tensor]) -> None:
    """Refuse parameters that share memory: in the buffer each gets a copy of its own."""
    seen: dict[tuple[Any, int], int] = {}
    for i, p in enumerate(params):
        storage = (p.device, p.untyped_storage().data_ptr())
        j = seen.setdefault(storage, i)
        wrapped = all(_WRAPPED.get(id(q)) is q for q in (p, params[j]))
        if j != i and not wrapped and p.untyped_storage().nbytes():
            raise ValueError(
                f"parameters {j} and {i} share memory (views of one tensor, such "
                "as base[:3] and base[1:]). The buffer would hold a copy of each, and an "
                "update of one would no longer reach the other: optimize the tensor they are "
                "views of instead"
            )


class Flattened:
    r"""Run a myoptim optimizer on one buffer that holds every parameter.

    The chapter's optimizers update one tensor at a time, and every tensor costs a few
    Python calls and a few kernel launches per step, whatever its size: a model of a
    thousand small tensors spends its step in overhead. Every update rule of the chapter
    is elementwise (``elementwise = True``: each element's update reads only that element),
    so it gives the same numbers on one long tensor as on the pieces; a rule that does not
    declare it is refused, since a norm over the tensor or ``p.shape`` would give other
    numbers on the buffer.
    ``Flattened`` copies the parameters into one contiguous buffer and makes each
    parameter a view of its slice; their gradients become views of one gradient buffer,
    into which ``backward()`` accumulates in place. The optimizer then sees a single
    tensor: a step is the same handful of operations, each one pass over all the memory.

    .. math::

        \Theta = [\theta^{(1)}; \theta^{(2)}; \ldots; \theta^{(k)}], \qquad
        G = [g^{(1)}; g^{(2)}; \ldots; g^{(k)}], \qquad
        \Theta \leftarrow \mathrm{update}(\Theta, G)

    Two things differ from giving the optimizer the parameters themselves:

    - ``zero_grad()`` zeroes the gradient buffer instead of setting gradients to None, so a
      parameter that took no part in a backward pass is updated with a zero gradient (as
      ``torch.optim`` does after ``zero_grad(set_to_none=False)``), not skipped. A
      ``step()`` with no backward pass since ``zero_grad()`` (or since the wrapping) does
      nothing, as ``torch.optim`` skips parameters without gradients.
    - The parameters must share one dtype and device, and their gradients must stay the
      views: ``model.zero_grad()`` or assigning ``p.grad`` breaks the link, and ``step()``
      then raises rather than silently training on stale gradients.

    Args:
        optimizer: the optimizer class, e.g. ``MyAdam``: an elementwise rule.
        params: the tensors to optimize, e.g. ``model.parameters()``, each with memory of
            its own (views of one tensor would stop sharing it once copied into the
            buffer, so they are refused). Tensors that do not
            require grad are left out (they would never get a gradient). Which tensors
            train is fixed here: ``step()`` refuses to run once one of them has been
            frozen or unfrozen (``requires_grad_()``), rather than move a frozen one on its
            momentum or never train an unfrozen one; make a new ``Flattened`` then.
        compile: compile the optimizer's update with ``torch.compile``, which fuses its
            operations into one loop over the buffer (see the chapter's section on compiling the
            step). The first steps compile, which takes seconds and, on the CPU, a C++ compiler
            (without one, the constructor raises an error that says what to install:
            :func:`~myoptim.compiler_missing`). The hyperparameters are compiled in as
            constants: a new value (``optimizer.lr = ...``) compiles the update again, 0.1 s to
            seconds, with a warning the first time. Default ``False``. For Adam, use
            :class:`~myoptim.MyCompiledAdam` without ``compile`` instead: compiled as
            written, ``MyAdam`` is slower than not compiled.
        **hyperparameters: passed to ``optimizer``, e.g. ``lr=1e-3``; the optimizer's
            defaults otherwise.

    Example:
        >>> import torch
        >>> from myoptim import Flattened, MyAdam
        >>> model = torch.nn.Linear(3, 2)
        >>> optimizer = Flattened(MyAdam, model.parameters(), lr=0.1)
        >>> optimizer.buffer.shape  # 6 weights and 2 biases
        torch.Size([8])
        >>> model(torch.ones(1, 3)).sum().backward()
        >>> optimizer.step()
        >>> optimizer.zero_grad()

    Reference:
        The same layout as PyTorch's ``DistributedDataParallel(gradient_as_bucket_view=True)``
        and NVIDIA Apex's flat-buffer optimizers.
    """

    def __init__(
        self,
        optimizer: type[MyOptimizer],
        params: Iterable[torch.Tensor],
        *,
        compile: bool = False,
        **hyperparameters: Any,
    ) -> None:
        _check_rule(
            optimizer,
            "Flattened wraps",
            "torch.optim's optimizers take foreach=True or fused=True for many tensors instead",
        )
        _check_elementwise(optimizer, type(self).__name__)
        params = _check_params(params)
        _check_own_memory(params)
        self.params = [p for p in params if p.requires_grad]
        self._frozen = [p for p in params if not p.requires_grad]
        if not self.params:
            raise ValueError("no parameter requires grad: there is nothing to optimize")
        kinds: dict[str, list[int]] = {}
        for index, p in enumerate(self.params):
            kinds.setdefault(f"{p.dtype} on {p.device}", []).append(index)
        if len(kinds) > 1:
            found = "; ".join(f"{kind}: parameters {where}" for kind, where in kinds.items())
            raise ValueError(
                f"one buffer holds one dtype on one device, but the parameters are {found}. "
                "Convert and move the model first, e.g. model.float().to(device)"
            )
        first = self.params[0]
        if compile:
            require_compiler(first.device.type)  # before the parameters move into the buffer
        size = self._buffer_size(sum(p.numel() for p in self.params))
        self.buffer = torch.zeros(size, dtype=first.dtype, device=first.device, requires_grad=True)
        self.buffer.grad = torch.zeros_like(self.buffer)
        with torch.no_grad():
            for p, data, grad in zip(
                self.params, self.views(self.buffer.detach()), self.views(self.buffer.grad),
                strict=True,
            ):  # fmt: skip
                data.copy_(p)
                if p.grad is not None:
                    grad.copy_(p.grad)
        # Before the parameters become views: if the optimizer refuses its arguments, the
        # model is as it was.
        self.optimizer = self._make_optimizer(optimizer, hyperparameters)
        self._compiled = compile
        self._warned = False  # about compiling again for a new hyperparameter value
        self._stepped = False  # the first update checks that the rule works in place
        self._link(received=any(p.grad is not None for p in self.params))

    def _buffer_size(self, numel: int) -> int:
        """The buffer's length for parameters of ``numel`` elements in all."""
        return numel

    def _make_optimizer(
        self, optimizer: type[MyOptimizer], hyperparameters: dict[str, Any]
    ) -> MyOptimizer:
        """The wrapped optimizer, made on the whole buffer."""
        return optimizer([self.buffer], **hyperparameters)

    def _link(self, received: bool) -> None:
        """Make the parameters and their gradients views of the buffers; set up the update."""
        assert self.buffer.grad is not None
        datas, grads = self.views(self.buffer.detach()), self.views(self.buffer.grad)
        for p, data, grad in zip(self.params, datas, grads, strict=True):
            p.data, p.grad = data, grad
            _WRAPPED[id(p)] = p
        self._views = list(zip(datas, grads, strict=True))  # (data, grad) per parameter
        # backward() accumulates into the gradient views in place, which bumps the buffer's
        # version counter: an unchanged counter means no gradient arrived since zero_grad().
        self._zeroed_version = -1 if received else self.buffer.grad._version
        if self._compiled:
            self._compile()
        else:
            self._update = functools.partial(type(self.optimizer)._update_param, self.optimizer)

    def _compile(self) -> None:
        """Compile the optimizer's update for this wrapper and its current hyperparameters."""
        function = type(self.optimizer)._update_param
        # torch.compile compiles the hyperparameters in as constants (the rule's code uses
        # them as Python numbers) and keeps at most 8 variants per code object. A code object
        # of this wrapper's own, made again when a hyperparameter changes, compiles anew
        # (from inductor's cache after the first time) instead of exhausting those 8.
        copy = types.FunctionType(
            function.__code__.replace(), function.__globals__, function.__name__,
            function.__defaults__, function.__closure__,
        )  # fmt: skip
        self._compiled_for = self.optimizer.hyperparameters()
        compiled = torch.compile(copy, fullgraph=True, dynamic=True)
        self._update = functools.partial(compiled, self.optimizer)

    def _recompile(self) -> None:
        """Compile again for new hyperparameter values; say so the first time."""
        now = self.optimizer.hyperparameters()
        if not self._warned:
            changed = {k: (v, now[k]) for k, v in self._compiled_for.items() if v != now[k]}
            warnings.warn(
                f"Flattened(compile=True): {changed} (old, new) compiles the update again, as "
                "every new value of a hyperparameter does (0.1 s to seconds each). For a "
                "schedule that changes it at every step, use compile=False, or MyCompiledAdam, "
                "whose numbers enter the compiled loop as tensors",
                stacklevel=4,  # the caller of step()
            )
            self._warned = True
        self._compile()

    def views(self, flat: torch.Tensor) -> list[torch.Tensor]:
        """Split a buffer-sized tensor (a state such as Adam's ``m``) into per-parameter views."""
        sizes = [p.numel() for p in self.params]
        pieces = torch.split(flat[: sum(sizes)], sizes)  # past the parameters: padding
        return [piece.view(p.shape) for piece, p in zip(pieces, self.params, strict=True)]

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Zero the gradient buffer (in place: the parameters' gradients are views of it).

        ``set_to_none`` is taken for torch's training loops and has no effect: the
        gradients stay views of the buffer, zeroed, as after torch's
        ``zero_grad(set_to_none=False)``."""
        assert self.buffer.grad is not None
        self.buffer.grad.zero_()
        self._zeroed_version = self.buffer.grad._version

    def step(self, closure: None = None) -> None:
        """Update every parameter with one call of the optimizer on the buffer.

        Does nothing if no backward pass has run since :meth:`zero_grad` or the wrapping.
        Takes no closure (call ``backward()`` before ``step()``).

        Raises:
            RuntimeError: if a parameter or its gradient is no longer a view of the
                buffers, or a parameter was frozen or unfrozen after the wrapping. The
                message names what replaced it and the fix.
        """
        self._refuse(closure)
        self._check_links()
        assert self.buffer.grad is not None
        if self.buffer.grad._version == self._zeroed_version:
            return
        self._apply_update(self.buffer, self.buffer.grad)

    def _refuse(self, closure: None) -> None:
        """Say what to use instead of a closure, which torch's LBFGS-style code passes."""
        if closure is not None:
            raise TypeError(
                f"{type(self).__name__}.step() takes no closure: call loss.backward() before "
                "step(). For training code that passes one (LBFGS style), use "
                f"TorchOptimizer({type(self.optimizer).__name__}, params, ...)"
            )

    def _apply_update(self, data: torch.Tensor, grad: torch.Tensor) -> None:
        """The optimizer's update of ``data``, compiled for its current hyperparameters."""
        if self._compiled and self.optimizer.hyperparameters() != self._compiled_for:
            self._recompile()
        version = data._version
        with torch.no_grad():
            self._update(data, grad)
        if not self._stepped:
            if data._version == version:
                raise RuntimeError(
                    f"{type(self.optimizer).__name__}._update_param did not change the buffer "
                    "in place. An assignment such as p = p - self.lr * grad makes a new "
                    "tensor and leaves the parameters as they were; update it in place: "
                    "p.add_(grad, alpha=-self.lr), or p -= self.lr * grad"
                )
            self._stepped = True

    def _check_links(self) -> None:
        for i, (p, (data, grad)) in enumerate(zip(self.params, self._views, strict=True)):
            where = f"parameter {i} {tuple(p.shape)}"
            if not p.requires_grad:
                raise RuntimeError(
                    f"{where} was frozen after the wrapping; its momentum would keep moving "
                    "it. Flattened fixes which parameters train when it is made: make a new "
                    "Flattened of the parameters that train now"
                )
            if p.data_ptr() != data.data_ptr():
                raise RuntimeError(
                    f"the data of {where} is no longer in the flat buffer: model.to(), "
                    ".double(), .half() or an assignment to .data replaced it; convert the "
                    "model first, then make the Flattened"
                )
            if p.grad is None:
                raise RuntimeError(
                    f"the gradient of {where} was set to None (model.zero_grad() or another "
                    "optimizer's zero_grad()); zero gradients with this optimizer's zero_grad()"
                )
            if p.grad is not grad:
                raise RuntimeError(
                    f"the gradient of {where} is no longer in the flat gradient buffer. It is "
                    "replaced by model.zero_grad() followed by backward() (zero gradients "
                    "with this optimizer's zero_grad()), by backward(create_graph=True) (use "
                    "create_graph=False with "
                    "Flattened), by DistributedDataParallel(gradient_as_bucket_view=True) "
                    "(pass gradient_as_bucket_view=False: the flat buffer is such a bucket "
                    "already), or by an assignment to .grad"
                )
        for p in self._frozen:
            if p.requires_grad:
                raise RuntimeError(
                    f"a parameter {tuple(p.shape)} that was frozen when Flattened was made now "
                    "requires grad: it is not in the buffer and would never be trained. Make a "
                    "new Flattened of the parameters that train now"
                )

    def state_dict(self) -> dict[str, Any]:
        """The wrapped optimizer's state dict, for :meth:`load_state_dict`."""
        return self.optimizer.state_dict()

    def load_state_dict(self, state_dict: Mapping[str, Any]) -> None:
        """Resume from a :meth:`state_dict`; the wrapped optimizer checks that it fits."""
        self._check_layout(state_dict)
        self.optimizer.load_state_dict(state_dict)

    def _check_layout(self, state_dict: Mapping[str, Any]) -> None:
        """Refuse a state dict saved by the optimizer on the separate parameters."""
        saved = state_dict.get("state") if isinstance(state_dict, Mapping) else None
        if isinstance(saved, list) and len(saved) != 1:
            rule = type(self.optimizer).__name__
            raise ValueError(
                f"the state dict holds state for {len(saved)} separate parameters: it was "
                f"saved by {rule} on the parameters themselves, and {type(self).__name__} "
                f"keeps one buffer for all of them. Resume that run with {rule}(params); "
                f"{type(self).__name__}.state_dict() saves what loads here"
            )

    def __repr__(self) -> str:
        compiled = ", compiled" if self._compiled else ""
        return f"Flattened({self.optimizer!r}, {len(self.params)} parameters{compiled})"

    # Copies (copy.deepcopy, pickle, torch.save) keep the buffers and relink the copied
    # parameters to them; the compiled update is made again.
    def __getstate__(self) -> dict[str, Any]:
        state = {
            k: v
            for k, v in self.__dict__.items()
            if k not in ("_views", "_update", "_compiled_for")
        }
        assert self.buffer.grad is not None
        state["grad"] = self.buffer.grad  # pickle keeps no .grad
        state["received"] = self.buffer.grad._version != self._zeroed_version
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        grad, received = state.pop("grad"), state.pop("received")
        self.__dict__.update(state)
        self.buffer.grad = grad
        self._link(received)

    # The wrapped optimizer's hyperparameters read and write through the wrapper, so that
    # `optimizer.lr = 0.01`, the chapter's way of changing the learning rate, reaches it.
    def __getattr__(self, name: str) -> Any:
        optimizer = self.__dict__.get("optimizer")  # absent while unpickling
        if optimizer is not None and name in optimizer.hyperparameters():
            return getattr(optimizer, name)
        if name == "param_groups":  # read by torch's schedulers and GradScaler
            raise AttributeError(
                f"{type(self).__name__} has no param_groups: it is not a torch.optim.Optimizer. "
                "Change the learning rate with optimizer.lr = ...; for lr schedulers or "
                "GradScaler, use TorchOptimizer(rule, params, ...), or torch.optim's own "
                "optimizers with foreach=True"
            )
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

    def __setattr__(self, name: str, value: Any) -> None:
        optimizer = self.__dict__.get("optimizer")
        if optimizer is not None and name in optimizer.hyperparameters():
            setattr(optimizer, name, value)
        else:
            super().__setattr__(name, value)
