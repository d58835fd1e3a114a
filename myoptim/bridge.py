"""Any myoptim rule as a torch.optim.Optimizer, for schedulers and the rest.

The chapter builds it in docs/chapter/torch-optimizer.md.
"""

from __future__ import annotations

import difflib
import inspect
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import torch
from torch.optim.optimizer import required

from myoptim.base import (
    _TORCH_KEYWORDS,
    MyOptimizer,
    _check_keywords,
    _check_rule,
    _init_defaults,
    _plain,
)

# The keys torch's schedulers (OneCycleLR, CyclicLR, SWALR, ...) add to a group for themselves.
_SCHEDULER_KEYS = ("initial_lr", "max_lr", "min_lr", "base_momentum", "max_momentum", "swa_lr")


class TorchOptimizer(torch.optim.Optimizer):
    r"""Run a myoptim update rule as a ``torch.optim.Optimizer``.

    The chapter's :class:`~myoptim.MyOptimizer` is the lesson: a loop over parameters and
    one update rule. Training code built around ``torch.optim`` expects more of an
    optimizer: learning-rate schedulers (``torch.optim.lr_scheduler``), ``GradScaler``,
    ``DistributedDataParallel`` recipes and checkpoints read and write ``param_groups``
    and torch's state-dict layout. ``TorchOptimizer`` is a real ``torch.optim.Optimizer``
    that keeps torch's bookkeeping and hands every parameter to the rule's own
    ``_update_param``:

    .. math::

        \text{for each group } G, \text{ each } \theta \in G \text{ with a gradient } g:
        \quad \theta \leftarrow \mathrm{update}_{\,G}(\theta, g, \text{state}[\theta])

    where :math:`\mathrm{update}_{\,G}` is the rule with the hyperparameters of group
    :math:`G` as they are at that step (a scheduler changes ``group["lr"]`` between
    steps). A parameter's state is created at its first step, from the rule's
    ``__init__``, as ``torch.optim`` does: a model converted with ``model.double()`` or
    moved with ``model.to(device)`` before the first step gets its state in the new
    dtype and device.

    Each group holds the rule's hyperparameters under their own names, except that a
    rule with ``beta1`` and ``beta2`` (Adam) keeps them as torch's ``betas`` pair, which
    is what ``OneCycleLR`` and ``CyclicLR`` cycle; ``betas=(0.9, 0.999)`` may also be
    given instead of ``beta1=0.9, beta2=0.999``. A group key the rule would ignore is
    refused, when the group is added or at the next step: a ``torch.optim`` keyword the
    rule lacks (``weight_decay=0.01``; a value that turns it off, such as ``0.0``, is
    kept), a misspelt name (``Lr``), or ``beta1`` set in a group that keeps ``betas``.
    Keys of torch's schedulers and a group's own (``name``) are kept. A hyperparameter
    changed between steps (``group["lr"] = ...``) is checked as ``__init__`` checks it.
    With every group's hyperparameters
    equal, the numbers are those of ``rule(params, ...)`` and of its ``torch.optim``
    counterpart with ``foreach=False``, bit for bit.

    Args:
        rule: a myoptim optimizer class, e.g. ``MyAdam``, or a
            :class:`~myoptim.MyOptimizer` subclass of your own.
        params: the tensors to optimize, or parameter groups, as ``torch.optim`` takes
            them: ``model.parameters()``, or a list of dicts such as
            ``[{"params": body.parameters()}, {"params": head.parameters(), "lr": 0.1}]``.
        **hyperparameters: the rule's keyword arguments, the defaults of every group
            (the rule's own defaults where not given). A rule whose ``lr`` has no default
            (``MySGD``) needs ``lr`` here or in every group.

    Example:
        >>> import torch
        >>> from myoptim import MyAdam, TorchOptimizer
        >>> model = torch.nn.Linear(3, 1)
        >>> optimizer = TorchOptimizer(MyAdam, model.parameters(), lr=0.1)
        >>> scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=1, gamma=0.5)
        >>> for _ in range(2):
        ...     optimizer.zero_grad()
        ...     model(torch.ones(1, 3)).sum().backward()
        ...     optimizer.step()
        ...     scheduler.step()
        >>> optimizer.param_groups[0]["lr"]  # halved after each of the two steps
        0.025
        >>> optimizer.state[model.bias]["t"]
        2

    Reference:
        The ``torch.optim.Optimizer`` interface:
        https://docs.pytorch.org/docs/stable/optim.html
    """

    def __init__(
        self, rule: type[MyOptimizer], params: Iterable[Any], **hyperparameters: Any
    ) -> None:
        _check_rule(rule, "TorchOptimizer runs", "a torch.optim optimizer is one already: use it")
        self.rule = rule
        self._workers: dict[int, MyOptimizer] = {}
        self._made: set[int] = set()  # parameters whose state the rule's __init__ was asked for
        signature = {
            name: required if default is inspect.Parameter.empty else default
            for name, default in _init_defaults(rule).items()
        }
        self._names = list(signature)
        self._betas = {"beta1", "beta2"} <= signature.keys()
        # Group keys checked already and harmless: a scheduler's (initial_lr, max_lr, ...) or
        # the user's own (a group's name); step() checks only keys it has not seen.
        self._harmless: set[str] = set(_SCHEDULER_KEYS)
        defaults = self._torch_layout(signature, {})
        given = self._torch_layout(hyperparameters, defaults)
        _check_keywords(rule, {k: v for k, v in given.items() if k not in defaults})
        super().__init__(params, defaults | given)

    def _torch_layout(
        self, hyperparameters: Mapping[str, Any], fallback: Mapping[str, Any]
    ) -> dict[str, Any]:
        """Hyperparameters as a group holds them: Python numbers, and ``beta1``/``beta2`` as
        torch's ``betas`` pair if the rule has both (missing halves from ``fallback``)."""
        layout = {k: _plain(v) for k, v in hyperparameters.items()}
        if not self._betas:
            return layout
        if "betas" in layout:
            if "beta1" in layout or "beta2" in layout:
                raise TypeError("give betas=(beta1, beta2) or beta1= and beta2=, not both")
            betas = layout["betas"]
            if not (isinstance(betas, (tuple, list)) and len(betas) == 2):
                raise TypeError(
                    f"betas must be a pair (beta1, beta2), e.g. (0.9, 0.999), not {betas!r}"
                )
            layout["betas"] = tuple(_plain(b) for b in betas)
        elif "beta1" in layout or "beta2" in layout:
            beta1, beta2 = fallback.get("betas", (required, required))
            layout["betas"] = (layout.pop("beta1", beta1), layout.pop("beta2", beta2))
        return layout

    def add_param_group(self, param_group: dict[str, Any]) -> None:
        """Add a group as ``torch.optim`` does, its hyperparameters checked as the rule's
        ``__init__`` checks them (``Invalid learning rate: -0.1``)."""
        index = len(self.param_groups)
        if isinstance(param_group, Mapping):
            param_group = self._torch_layout(param_group, self.defaults)
            missing = [
                k for k, v in self.defaults.items() if v is required and k not in param_group
            ]
            if missing:
                raise TypeError(
                    f"{self.rule.__name__} needs {', '.join(missing)}: give it to TorchOptimizer "
                    f"(TorchOptimizer({self.rule.__name__}, params, {missing[0]}=...)) or to "
                    f"parameter group {index}"
                )
        super().add_param_group(param_group)
        self._check_keys(self.param_groups[-1], index)
        self._check_group(self.param_groups[-1], index)

    def _check_keys(self, group: Mapping[str, Any], index: int) -> None:
        """Refuse a group key that looks meant for the rule but that it would ignore: a torch
        keyword the rule lacks (``weight_decay``; a value that turns it off is fine), a
        misspelt hyperparameter (``Lr``), or ``beta1``/``beta2`` where the group keeps
        ``betas``. Other keys (a scheduler's ``initial_lr``, a group's name) are kept."""
        for key in group.keys() - self.defaults.keys() - self._harmless - {"params"}:
            value = group[key]
            if key in _TORCH_KEYWORDS and key != "betas":
                if value is None or (isinstance(value, (bool, int, float)) and not value):
                    continue  # weight_decay=0.0, nesterov=False, foreach=None: what the rule does
                raise TypeError(
                    f"parameter group {index} has {key}={value!r}, which {self.rule.__name__} "
                    f"would ignore: {_TORCH_KEYWORDS[key]}"
                )
            if self._betas and key in ("beta1", "beta2"):
                betas = list(group["betas"])
                betas[key == "beta2"] = value
                raise TypeError(
                    f"parameter group {index} has {key!r}, but a group keeps Adam's betas as "
                    f"torch does, in group['betas'] = (beta1, beta2): set "
                    f"group['betas'] = {tuple(betas)} instead"
                )
            names = [*self.defaults, *self._names]
            meant = difflib.get_close_matches(key.lower(), names, 1, 0.75)
            if meant:
                raise TypeError(
                    f"parameter group {index} has {key!r}, which {self.rule.__name__} does not "
                    f"take; did you mean {meant[0]!r}? Its hyperparameters are "
                    f"{', '.join(self._names)}"
                )
            self._harmless.add(key)

    def _hyperparameters(self, group: Mapping[str, Any]) -> dict[str, Any]:
        """The rule's keyword arguments held by ``group``, ``betas`` unpacked."""
        betas = dict(zip(("beta1", "beta2"), group["betas"], strict=True)) if self._betas else {}
        return {k: betas[k] if k in betas else group[k] for k in self._names}

    def _check_group(self, group: Mapping[str, Any], index: int) -> MyOptimizer:
        """The rule built with ``group``'s hyperparameters on a stand-in parameter: its checks."""
        try:
            return self.rule([torch.zeros(1, requires_grad=True)], **self._hyperparameters(group))
        except (TypeError, ValueError) as error:
            raise type(error)(f"parameter group {index}: {error}") from error

    def _worker(
        self, index: int, group: dict[str, Any], hyperparameters: dict[str, Any]
    ) -> MyOptimizer:
        """The rule object that updates ``group``, set to the group's current hyperparameters.

        One per group, kept between steps; it reads and writes ``self.state``, so
        ``state_dict()`` and ``load_state_dict()`` are torch's own.
        """
        worker = self._workers.get(index)
        if worker is None or worker.params is not group["params"]:
            worker = self._check_group(group, index)
            worker.params = group["params"]
            worker._warn_without_gradients = False  # a frozen group steps without any
            self._workers[index] = worker
        try:  # each value that changed (a scheduler's lr, group["lr"] = ...) is checked
            for name, value in hyperparameters.items():
                setattr(worker, name, value)
        except (TypeError, ValueError) as error:
            raise type(error)(f"parameter group {index}: {error}") from error
        worker.state = self.state  # load_state_dict replaces it
        return worker

    @torch.no_grad()
    def step(self, closure: Callable[[], float] | None = None) -> float | None:  # type: ignore[override]
        """Update every parameter that has a gradient, group by group.

        Args:
            closure: a function that zeroes the gradients, recomputes the loss, calls
                ``backward()`` and returns the loss; it runs before the update (LBFGS-style
                training code passes one). Optional.

        Returns:
            The closure's loss, or None without a closure.
        """
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()
        for index, group in enumerate(self.param_groups):
            if group.keys() - self.defaults.keys() - self._harmless - {"params"}:
                self._check_keys(group, index)  # a key added since: group["Lr"] = 0.1
            hyperparameters = self._hyperparameters(group)
            worker = self._worker(index, group, hyperparameters)
            for p in group["params"]:
                if p.grad is not None and p not in self.state and id(p) not in self._made:
                    # Created at the parameter's first step, in its dtype and device then;
                    # a rule that makes its state in _update_param (as torch.optim's do)
                    # makes it there.
                    made = self.rule([p], **hyperparameters).state.get(p)
                    if made is not None:
                        self.state[p] = made
                    self._made.add(id(p))
            worker.step()
        return loss

    def load_state_dict(self, state_dict: Mapping[str, Any]) -> None:
        """Resume from a ``state_dict()``. Before anything changes, the saved hyperparameters
        are checked as ``__init__`` checks them and the saved state against the names the rule
        keeps; torch then checks the groups' sizes and converts the tensors to each
        parameter's dtype and device."""
        keys = sorted(state_dict) if isinstance(state_dict, Mapping) else None
        if keys != ["param_groups", "state"]:
            hint = " (a MyOptimizer state dict?)" if keys and "hyperparameters" in keys else ""
            raise ValueError(
                "expected a state dict made by TorchOptimizer.state_dict(), with keys "
                f"['param_groups', 'state'], but got {keys}{hint}"
            )
        for index, group in enumerate(state_dict["param_groups"]):
            missing = sorted(set(self.defaults) - set(group) - {"differentiable"})
            if missing:
                raise ValueError(
                    f"parameter group {index} of the state dict lacks {missing}: it was not "
                    f"saved by a TorchOptimizer running {self.rule.__name__}"
                )
            try:
                stand_in = self._check_group(group, index)
            except (TypeError, ValueError) as error:
                raise ValueError(
                    f"the state dict's hyperparameters are invalid: {error}"
                ) from error
            names = sorted(next(iter(stand_in.state.values()), {}))
            for key in group["params"]:
                saved = state_dict["state"].get(key, {})
                # names is empty for a rule that makes its state at the first step
                if saved and names and sorted(saved) != names:
                    raise ValueError(
                        f"parameter {key}: the state dict holds state {sorted(saved)}, but "
                        f"{self.rule.__name__} keeps {names}"
                    )
                for name, value in saved.items():
                    if isinstance(value, int) and value < 0:
                        raise ValueError(
                            f"parameter {key}: saved state {name!r} is {value}, below 0"
                        )
        super().load_state_dict(state_dict)  # type: ignore[arg-type]

    def __getstate__(self) -> dict[str, Any]:
        # torch.optim keeps defaults, state and param_groups; the rule travels with them, so
        # pickle, copy.deepcopy and torch.save give an optimizer that still steps.
        return {
            **super().__getstate__(),
            **{k: self.__dict__[k] for k in ("rule", "_names", "_betas", "_harmless")},
        }

    def __setstate__(self, state: dict[str, Any]) -> None:
        super().__setstate__(state)
        self._workers = {}
        self._made = set()

    def __repr__(self) -> str:
        groups = "".join(
            f"\n    group {i}: "
            + ", ".join(f"{k}={_plain(v)!r}" for k, v in self._hyperparameters(group).items())
            for i, group in enumerate(self.param_groups)
        )
        return f"TorchOptimizer({self.rule.__name__}{groups}\n)"
