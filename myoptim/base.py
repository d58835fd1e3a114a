"""The base class every optimizer of the chapter builds on (docs/chapter/base-class.md)."""

from __future__ import annotations

import copy
import functools
import inspect
import math
import numbers
import warnings
from abc import ABC, ABCMeta, abstractmethod
from collections.abc import Iterable, Mapping
from typing import Any, ClassVar

import torch

# torch.optim's wording for each hyperparameter, so that messages read the same.
_TORCH_WORDING = {
    "lr": "learning rate",
    "momentum": "momentum value",
    "beta1": "beta parameter at index 0",
    "beta2": "beta parameter at index 1",
    "eps": "epsilon value",
    "alpha": "alpha value",
}
# torch.optim's keywords that the chapter's optimizers do not have, and what to do instead.
_TORCH_KEYWORDS = {
    "betas": "use beta1= and beta2= instead: betas=(0.9, 0.999) is beta1=0.9, beta2=0.999",
    **dict.fromkeys(
        ("weight_decay", "nesterov", "dampening", "amsgrad", "maximize", "foreach", "fused",
         "capturable", "differentiable", "centered", "lr_decay", "initial_accumulator_value",
         "decoupled_weight_decay"),
        "the chapter's optimizers implement the textbook rule only; use torch.optim for it",
    ),
}  # fmt: skip


def check_hyperparameter(name: str, value: float, high: float = math.inf) -> float:
    """Return ``value`` if ``0 <= value < high``; raise torch's error otherwise.

    ``high`` is exclusive and defaults to no upper bound. NaN and infinity always fail. A
    NumPy number comes back as the Python number it holds (state dicts then load with
    ``torch.load(..., weights_only=True)``), any other real number (``Fraction(1, 10)``)
    as a float, which torch's operations take.
    """
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        hint = f"; pass a Python number: {name}=value.item()" if torch.is_tensor(value) else ""
        raise TypeError(
            f"{name} must be a real number, but got {type(value).__name__}: {value!r}{hint}"
        )
    if not (0.0 <= value < high and math.isfinite(value)):
        finite = "finite " if math.isinf(value) else ""
        allowed = f"in [0, {high:g})" if high < math.inf else ">= 0"
        wording = _TORCH_WORDING.get(name, f"{name} value")
        raise ValueError(f"Invalid {wording}: {value} ({name} must be a {finite}number {allowed})")
    value = _plain(value)
    return value if isinstance(value, (int, float)) else float(value)


def _plain(value: Any) -> Any:
    """A NumPy scalar as the Python number it holds; anything else as it is."""
    return value.item() if isinstance(value, numbers.Number) and hasattr(value, "item") else value


def _check_keywords(cls: type, keywords: Mapping[str, Any]) -> None:
    """Refuse a keyword ``cls`` does not take, saying which to use (torch's own included)."""
    parameters = inspect.signature(cls.__init__).parameters.values()  # type: ignore[misc]
    if any(p.kind is p.VAR_KEYWORD for p in parameters):
        return
    taken = [p.name for p in parameters if p.name not in ("self", "params")]
    for name in keywords:
        if name not in taken and name != "params":
            why = _TORCH_KEYWORDS.get(name)
            what = f"torch.optim's keyword {name!r} ({why})" if why else f"no keyword {name!r}"
            raise TypeError(f"{cls.__name__} has {what}; its keywords are {', '.join(taken)}")


def _check_rule(rule: object, wrapper: str, instead: str) -> None:
    """Refuse a ``rule`` that is not a MyOptimizer subclass (``torch.optim.Adam``, an instance)."""
    if not (isinstance(rule, type) and issubclass(rule, MyOptimizer)):
        raise TypeError(
            f"{wrapper} a myoptim optimizer class (MyAdam, MySGD, ..., or a MyOptimizer "
            f"subclass of your own), but got {rule!r}; {instead}"
        )


def _init_defaults(cls: type) -> dict[str, Any]:
    """The keyword arguments of ``cls.__init__`` other than ``params``, in order, with their
    defaults (``inspect.Parameter.empty`` where there is none). ``lr`` is always among them:
    a subclass whose ``__init__`` takes ``**kwargs`` passes it on to the base class."""
    return dict(_signature_defaults(cls))


@functools.cache
def _signature_defaults(cls: type) -> dict[str, Any]:
    # Cached: repr, state_dict and every checked assignment read it, and a class's
    # signature does not change.
    defaults = {
        name: p.default
        for name, p in inspect.signature(cls.__init__).parameters.items()  # type: ignore[misc]
        if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY) and name not in ("self", "params")
    }
    return defaults if "lr" in defaults else {"lr": inspect.Parameter.empty, **defaults}


def _typename(value: object) -> str:
    """``float``, ``numpy.ndarray``: the type's name with its module, as users import it."""
    cls = type(value)
    return (
        cls.__qualname__ if cls.__module__ == "builtins" else f"{cls.__module__}.{cls.__qualname__}"
    )


def _check_params(params: Iterable[torch.Tensor]) -> list[torch.Tensor]:
    """Turn ``params`` into a list, or say what is wrong with it and how to fix it."""
    if isinstance(params, torch.Tensor):
        raise TypeError(
            "params argument given to the optimizer should be an iterable of Tensors, "
            f"but got {torch.typename(params)}; wrap a single tensor in a list: [tensor]"
        )
    if isinstance(params, (set, frozenset)):
        raise TypeError(
            "optimizer parameters need to be organized in ordered collections, but the "
            "ordering of tensors in sets will change between runs. Please use a list instead."
        )
    try:
        params = list(params)
    except TypeError:
        raise TypeError(
            "params argument given to the optimizer should be an iterable of Tensors, "
            f"but got {_typename(params)}"
        ) from None
    if not params:
        raise ValueError(
            "optimizer got an empty parameter list (note that a generator such as "
            "model.parameters() is used up after one pass: call it again)"
        )
    seen: set[int] = set()
    for p in params:
        if isinstance(p, Mapping):
            raise TypeError(
                "myoptim optimizers take no parameter groups (dicts); pass a flat iterable "
                "of tensors such as model.parameters()"
            )
        if not isinstance(p, torch.Tensor):
            raise TypeError(
                f"optimizer can only optimize Tensors, but one of the params is "
                f"{_typename(p)}; pass torch tensors such as model.parameters()"
            )
        if not p.is_floating_point():
            raise TypeError(
                "optimizer can only optimize real floating-point Tensors, but one of the "
                f"params has dtype {p.dtype}"
            )
        if not p.is_leaf:
            raise ValueError(
                "can't optimize a non-leaf Tensor; optimize the tensor it was computed "
                "from, or make a leaf with .detach().requires_grad_()"
            )
        if id(p) in seen:
            raise ValueError(
                "some parameters appear more than once in the parameter list; pass each tensor once"
            )
        seen.add(id(p))
    return params


class _Constructed(ABCMeta):
    """Checks an optimizer once its ``__init__`` has run, and marks it constructed: from then
    on, assigning a hyperparameter (``optimizer.lr = -0.1``) is checked as ``__init__``
    checks it."""

    def __call__(cls, *args: Any, **kwargs: Any) -> Any:
        optimizer = super().__call__(*args, **kwargs)
        _check_constructed(optimizer)
        object.__setattr__(optimizer, "_constructed", True)
        return optimizer


def _check_constructed(optimizer: MyOptimizer) -> None:
    """Say what a subclass's ``__init__`` left out, before a step fails without saying why."""
    name = type(optimizer).__name__
    if not (hasattr(optimizer, "params") and hasattr(optimizer, "state")):
        raise TypeError(
            f"{name}.__init__ did not call super().__init__(params, lr), which keeps the "
            "parameters and makes self.state; call it first in __init__"
        )
    held = {id(p) for p in optimizer.params}
    for key in optimizer.state:
        if not isinstance(key, torch.Tensor) or id(key) not in held:
            raise TypeError(
                f"{name}.state is keyed by {key!r} ({_typename(key)}); key it by the "
                "parameter tensor itself, as _update_param receives it: "
                "for p in self.params: self.state[p] = {...}"
            )


class MyOptimizer(ABC, metaclass=_Constructed):
    r"""The loop every optimizer shares; a subclass supplies one parameter's update.

    :meth:`step` visits each parameter that has a gradient and hands it to
    :meth:`_update_param`. A subclass validates its hyperparameters and creates its
    per-parameter state in ``__init__`` (stored in :attr:`state`, keyed by the
    parameter), and implements :meth:`_update_param`; saving, loading and printing
    come from this class.

    Args:
        params: the tensors to optimize, e.g. ``model.parameters()``: distinct
            floating-point leaf tensors, in an ordered iterable. A tensor that never
            receives a gradient (say, a frozen layer) is allowed and left untouched.
        lr: the learning rate, ``>= 0``.

    Two rules for ``_update_param``, which the chapter teaches with the base class:

    - it changes ``p`` in place (``p.add_(...)``, ``p -= ...``). ``p = p - self.lr * grad``
      makes a new tensor and leaves the parameter as it was; the first ``step()`` checks
      that every parameter it updated changed in place, and says so if one did not.
    - a rule whose update of each element reads only that element of ``p``, ``grad`` and
      the state (no norm over the tensor, no ``p.shape``) is *elementwise*, and declares it
      with ``elementwise = True``. :class:`~myoptim.Flattened` and
      :class:`~myoptim.Sharded` run only such rules: they hand the rule one long tensor
      (or a slice of it) instead of each parameter, which changes the numbers of any other
      rule.

    Attributes:
        params: the parameters, as a list.
        lr: the learning rate; it may be changed between steps. Each hyperparameter
            assigned after construction is checked as ``__init__`` checks it.
        state: per-parameter state, ``{parameter: {name: tensor or int}}``.
        elementwise: whether the rule is elementwise (class attribute, default False).

    Example:
        A new optimizer is one method away, here signSGD (step by the gradient's sign):

        >>> import torch
        >>> from myoptim import MyOptimizer
        >>> class MySignSGD(MyOptimizer):
        ...     elementwise = True  # each element's step reads only its own gradient
        ...
        ...     def _update_param(self, p, grad):
        ...         p.add_(grad.sign(), alpha=-self.lr)
        >>> w = torch.tensor([1.0, -2.0], requires_grad=True)
        >>> optimizer = MySignSGD([w], lr=0.5)
        >>> optimizer
        MySignSGD(lr=0.5)
        >>> (w**3).sum().backward()
        >>> optimizer.step()
        >>> w
        tensor([ 0.5000, -2.5000], requires_grad=True)
    """

    elementwise: ClassVar[bool] = False
    # Read as attributes, never through self.__dict__: touching __dict__ makes CPython keep
    # the instance's attributes in a plain dict, which slows every self.lr in _update_param.
    _constructed = False  # set once __init__ has run: assignments are checked from then on
    _stepped = False  # set once a step updated a parameter: the in-place check is done
    _warn_without_gradients = True  # a step without any gradient warns, once

    def __new__(cls, *args: Any, **kwargs: Any) -> MyOptimizer:
        _check_keywords(cls, kwargs)  # before Python's bare "unexpected keyword argument"
        return super().__new__(cls)

    def __init__(self, params: Iterable[torch.Tensor], lr: float) -> None:
        self.params = _check_params(params)
        self.lr = check_hyperparameter("lr", lr)
        self.state: dict[torch.Tensor, dict[str, Any]] = {}

    def __setattr__(self, name: str, value: Any) -> None:
        if self._constructed and name in _signature_defaults(type(self)):
            current = getattr(self, name, None)
            if type(value) is not type(current) or value != current:
                value = self._checked(name, value)
        object.__setattr__(self, name, value)

    def _checked(self, name: str, value: Any) -> Any:
        """``value`` for hyperparameter ``name``, checked by ``__init__`` on a stand-in."""
        hyperparameters = {**self.hyperparameters(), name: value}
        stand_in = type(self)([torch.zeros(1, requires_grad=True)], **hyperparameters)
        return getattr(stand_in, name)

    @property
    def param_groups(self) -> list[dict[str, Any]]:
        # torch's tools (GradScaler, schedulers) read param_groups; say what to use instead
        # of Python's bare "has no attribute".
        raise AttributeError(
            f"{type(self).__name__} has no param_groups: it is the chapter's minimal "
            "optimizer, not a torch.optim.Optimizer. For code that needs one (lr schedulers, "
            f"GradScaler, closures), use TorchOptimizer({type(self).__name__}, params, ...)"
        )

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Clear every parameter's ``.grad`` before the next backward pass: set it to None
        (default), or fill it with zeros with ``set_to_none=False``, as ``torch.optim``
        does."""
        for p in self.params:
            if set_to_none or p.grad is None:
                p.grad = None
                continue
            if p.grad.grad_fn is not None:  # backward(create_graph=True) made it
                p.grad.detach_()
            p.grad.zero_()

    @torch.no_grad()
    def step(self, closure: None = None) -> None:
        """Update every parameter that has a gradient; skip those whose ``.grad`` is None.

        Args:
            closure: not taken (the chapter's loop calls ``backward()`` before
                ``step()``); training code that passes one needs
                :class:`~myoptim.TorchOptimizer`.

        Raises:
            RuntimeError: if a gradient is sparse. All gradients are checked before
                any parameter changes, so the model is never left half-updated. At the
                first step, also if ``_update_param`` did not change a parameter in place.
        """
        if closure is not None:
            raise TypeError(
                f"{type(self).__name__}.step() takes no closure: call loss.backward() "
                "before step(). For training code that passes one (LBFGS style), use "
                f"TorchOptimizer({type(self).__name__}, params, ...)"
            )
        for i, p in enumerate(self.params):
            if p.grad is not None and p.grad.layout != torch.strided:
                raise RuntimeError(
                    f"{type(self).__name__} does not support sparse gradients "
                    f"(parameter {i} has a {p.grad.layout} gradient); use dense "
                    "gradients, e.g. nn.Embedding(..., sparse=False)"
                )
        self._follow_params()
        if not self._stepped:
            self._first_step()
            return
        for p in self.params:
            if p.grad is None:
                continue
            self._update_param(p, p.grad)

    def _first_step(self) -> None:
        """The loop of :meth:`step`, checking that each update changed its parameter in
        place. Run until a step finds a gradient, so it costs the steps after nothing."""
        updated = 0
        for i, p in enumerate(self.params):
            if p.grad is None:
                continue
            version = p._version
            self._update_param(p, p.grad)
            if p._version == version:
                raise RuntimeError(
                    f"{type(self).__name__}._update_param did not change parameter {i} in "
                    "place. An assignment such as p = p - self.lr * grad makes a new tensor "
                    "and leaves the parameter as it was; update it in place: "
                    "p.add_(grad, alpha=-self.lr), or p -= self.lr * grad"
                )
            updated += 1
        if updated:
            object.__setattr__(self, "_stepped", True)
        elif self._warn_without_gradients:
            object.__setattr__(self, "_warn_without_gradients", False)  # once
            warnings.warn(
                f"{type(self).__name__}.step() found no gradient on any of its "
                f"{len(self.params)} parameters, so nothing changed. Call loss.backward() "
                "before step(). If the model's parameters were replaced after the optimizer "
                "was made (model.load_state_dict(..., assign=True), a new layer), they are "
                "not the tensors it holds: make the optimizer after replacing them",
                stacklevel=3,
            )

    def _follow_params(self) -> None:
        """Move each parameter's state to the parameter's dtype and device, if they changed.

        ``model.double()``, ``.half()`` or ``.to(device)`` after the optimizer was made
        replace the parameters' data; ``torch.optim`` makes its state at the first step,
        so its state follows. Here the state was made in ``__init__``, so it is converted
        (floating-point tensors to the parameter's dtype, every tensor to its device), as
        ``torch.optim``'s ``load_state_dict`` converts loaded state.
        """
        for p, state in self.state.items():
            for name, value in state.items():
                if isinstance(value, torch.Tensor) and (
                    value.device != p.device
                    or (value.is_floating_point() and value.dtype != p.dtype)
                ):
                    dtype = p.dtype if value.is_floating_point() else value.dtype
                    state[name] = value.to(device=p.device, dtype=dtype)

    @abstractmethod
    def _update_param(self, p: torch.Tensor, grad: torch.Tensor) -> None:
        """Update ``p`` in place from its gradient ``grad`` (called under no_grad)."""

    def hyperparameters(self) -> dict[str, float]:
        """The constructor's arguments other than ``params``, with their current values.

        Each is read from the attribute of its name (``lr`` from ``self.lr``); ``lr`` is
        always among them, also for a subclass whose ``__init__`` takes ``**kwargs``.
        """
        names = list(_init_defaults(type(self)))
        missing = [name for name in names if not hasattr(self, name)]
        if missing:
            raise AttributeError(
                f"{type(self).__name__}.__init__ takes {missing} but keeps no attribute of "
                f"that name: store each hyperparameter as self.<name> (repr and state_dict "
                "read it from there)"
            )
        return {name: _plain(getattr(self, name)) for name in names}

    def __repr__(self) -> str:
        arguments = ", ".join(f"{k}={v!r}" for k, v in self.hyperparameters().items())
        return f"{type(self).__name__}({arguments})"

    def state_dict(self) -> dict[str, Any]:
        """A snapshot of the hyperparameters and per-parameter state.

        The state is a list in parameter order; tensors are copies, so later steps do
        not change a saved snapshot. The result can be written with ``torch.save`` and
        read back with ``torch.load(..., weights_only=True)``.
        """
        return {
            "optimizer": type(self).__name__,
            "hyperparameters": self.hyperparameters(),  # Python numbers, for weights_only
            "state": [
                {
                    name: value.clone() if isinstance(value, torch.Tensor) else copy.deepcopy(value)
                    for name, value in self.state.get(p, {}).items()
                }
                for p in self.params
            ],
        }

    def load_state_dict(self, state_dict: Mapping[str, Any]) -> None:
        """Restore hyperparameters and state saved by :meth:`state_dict`.

        The optimizer must be of the same class and hold parameters of the same
        shapes in the same order. Everything is checked before anything is changed:
        on error the optimizer is left as it was. Saved tensors are copied into this
        optimizer's state, converted to its device and dtype.

        Raises:
            ValueError: if ``state_dict`` comes from another optimizer class, another
                parameter layout, or is not a myoptim state dict.
        """
        name = type(self).__name__
        expected_keys = ["hyperparameters", "optimizer", "state"]
        keys = sorted(state_dict) if isinstance(state_dict, Mapping) else None
        if keys != expected_keys:
            hint = " (a torch.optim state dict?)" if keys and "param_groups" in keys else ""
            raise ValueError(
                f"expected a state dict made by {name}.state_dict(), with keys "
                f"{expected_keys}, but got {keys}{hint}"
            )
        if state_dict["optimizer"] != name:
            raise ValueError(
                f"cannot load a state dict saved by {state_dict['optimizer']} into {name}; "
                f"create a {state_dict['optimizer']} to resume that run"
            )
        hyperparameters = state_dict["hyperparameters"]
        if sorted(hyperparameters) != sorted(self.hyperparameters()):
            raise ValueError(
                f"the state dict's hyperparameters {sorted(hyperparameters)} are not "
                f"{name}'s {sorted(self.hyperparameters())}"
            )
        saved_states = state_dict["state"]
        if len(saved_states) != len(self.params):
            fix = "pass the same parameters in the same order as when it was saved"
            if len(saved_states) == 1:
                fix = (
                    f"a state dict of Flattened or Sharded (one buffer for all parameters) "
                    f"loads into Flattened({name}, params); otherwise, {fix}"
                )
            raise ValueError(
                f"the state dict holds state for {len(saved_states)} parameters, but this "
                f"optimizer has {len(self.params)}: {fix}"
            )
        try:  # __init__'s own checks, on a stand-in parameter
            type(self)([torch.zeros(1, requires_grad=True)], **hyperparameters)
        except (TypeError, ValueError) as error:
            raise ValueError(f"the state dict's hyperparameters are invalid: {error}") from error
        staged = [
            _stage_saved_state(i, p, self.state.get(p, {}), saved)
            for i, (p, saved) in enumerate(zip(self.params, saved_states, strict=True))
        ]

        for key, value in hyperparameters.items():
            setattr(self, key, _plain(value))
        for p, saved in zip(self.params, staged, strict=True):
            current = self.state.get(p)
            if not current:  # a rule that makes its state at the first step, as torch's do
                if saved:
                    self.state[p] = saved
                continue
            for key, value in saved.items():
                if isinstance(current[key], torch.Tensor):
                    current[key].copy_(value)  # same device, dtype and shape: cannot fail
                else:
                    current[key] = value


def _stage_saved_state(
    index: int, p: torch.Tensor, current: dict[str, Any], saved: Mapping[str, Any]
) -> dict[str, Any]:
    """``saved`` checked against ``current``, its tensors converted to their device and dtype.

    Where ``current`` is empty (the rule makes its state at the first step), the saved state
    is taken as it is, converted to the parameter's device (and dtype, if floating point).
    Raises ValueError for anything that could fail while applying it, before anything changes.
    """
    if current:
        _check_saved_state(index, current, saved)
    staged = {}
    for key, value in saved.items():
        if isinstance(value, torch.Tensor):
            target = current.get(key, p)
            dtype = target.dtype if value.is_floating_point() or key in current else value.dtype
            try:
                value = value.to(device=target.device, dtype=dtype, copy=True)
            except (RuntimeError, NotImplementedError) as error:  # a meta tensor holds no data
                raise ValueError(
                    f"parameter {index}: saved state {key!r} ({value.device}) cannot be "
                    f"copied to {target.device}: {error}"
                ) from error
        elif isinstance(value, int) and value < 0:
            raise ValueError(f"parameter {index}: saved state {key!r} is {value}, below 0")
        else:
            value = copy.deepcopy(value)  # a list kept in the state: not shared with the dict
        staged[key] = value
    return staged


def _check_saved_state(index: int, current: dict[str, Any], saved: Mapping[str, Any]) -> None:
    """Raise ValueError unless ``saved`` has the names, types and shapes of ``current``."""
    if sorted(saved) != sorted(current):
        raise ValueError(
            f"parameter {index}: the state dict holds state {sorted(saved)}, "
            f"but this optimizer keeps {sorted(current)}"
        )
    for key, value in current.items():
        if isinstance(value, torch.Tensor):
            other = saved[key]
            if not isinstance(other, torch.Tensor) or other.shape != value.shape:
                shape = tuple(other.shape) if isinstance(other, torch.Tensor) else other
                raise ValueError(
                    f"parameter {index}: saved state {key!r} has shape {shape}, but the "
                    f"parameter has shape {tuple(value.shape)}; pass the same parameters "
                    "in the same order as when it was saved"
                )
        elif type(saved[key]) is not type(value):
            raise ValueError(
                f"parameter {index}: saved state {key!r} is a {type(saved[key]).__name__}, "
                f"expected a {type(value).__name__}"
            )
