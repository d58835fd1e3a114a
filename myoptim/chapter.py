"""The chapter's optimizers, in the order the chapter builds them: one entry each.

The book, the gallery and the tests read this table instead of naming the optimizers: the
API page lists each one, the gallery's comparisons train each one, and the tests check each
one against its ``torch.optim`` twin. A new optimizer is a module, its entry here, its export
in ``myoptim/__init__.py``, and its page (CONTRIBUTING.md says how).

Example:
    >>> from myoptim import CHAPTER
    >>> [rule.name for rule in CHAPTER]
    ['MySGD', 'MySGDMomentum', 'MyAdam', 'MyAdaGrad', 'MyRMSProp']
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import torch

from myoptim.adagrad import MyAdaGrad
from myoptim.adam import MyAdam
from myoptim.base import MyOptimizer, _init_defaults
from myoptim.momentum import MySGDMomentum
from myoptim.rmsprop import MyRMSProp
from myoptim.sgd import MySGD


@dataclass(frozen=True, repr=False)
class Rule:
    """One optimizer of the chapter and what the book, the gallery and the tests need of it.

    Args:
        optimizer: the class.
        page: the chapter's page that builds it and lists its code, e.g. ``"chapter/sgd"``.
        box: the label of its algorithm box on that page.
        twin: its ``torch.optim`` counterpart, which the tests hold it equal to.
        to_twin: its hyperparameters (every one, defaults filled in) as the twin's keywords.
        state_names: the names of its state, and of the twin's state that holds the same.
        settings: hyperparameters the tests try against the twin; the first is also the
            gallery's (an empty dict: the defaults, with the gallery's learning rate).
        best_lr: the learning rate with the lowest loss in the gallery's sweep on
            Fashion-MNIST (``plot_lr_sensitivity.py``); the build checks it.

    Example:
        >>> from myoptim import CHAPTER
        >>> adam = CHAPTER[2]
        >>> adam.name, adam.page
        ('MyAdam', 'chapter/adam')
        >>> adam.twin_kwargs(lr=0.01)
        {'lr': 0.01, 'betas': (0.9, 0.999), 'eps': 1e-08}
    """

    optimizer: type[MyOptimizer]
    page: str
    box: str
    twin: type[torch.optim.Optimizer]
    to_twin: Callable[[dict[str, Any]], dict[str, Any]]
    state_names: Mapping[str, str]
    settings: tuple[dict[str, Any], ...]
    best_lr: float

    @property
    def name(self) -> str:
        return self.optimizer.__name__

    def __repr__(self) -> str:
        return f"Rule({self.name})"

    def make(self, params: Iterable[torch.Tensor], lr: float) -> MyOptimizer:
        """The optimizer as the gallery trains it: its first setting at learning rate ``lr``."""
        return self.optimizer(params, **{**self.settings[0], "lr": lr})

    def twin_kwargs(self, **hyperparameters: Any) -> dict[str, Any]:
        """The twin's keywords for these hyperparameters (the others at their defaults)."""
        defaults = _init_defaults(self.optimizer)
        full = {**defaults, **hyperparameters}
        missing = [name for name, value in full.items() if value is inspect.Parameter.empty]
        if missing:
            raise TypeError(f"{self.name} needs {missing}: it has no default for them")
        return self.to_twin(full)


def _same(hyperparameters: dict[str, Any]) -> dict[str, Any]:
    return dict(hyperparameters)


#: The chapter's optimizers, in the order of its pages (the order of the API page and the
#: gallery's comparisons).
CHAPTER: tuple[Rule, ...] = (
    Rule(
        MySGD, "chapter/sgd", "alg-sgd", torch.optim.SGD, _same, {},
        settings=({"lr": 1e-3}, {"lr": 0.1}), best_lr=10**-1.5,
    ),
    Rule(
        MySGDMomentum, "chapter/momentum", "alg-momentum", torch.optim.SGD, _same,
        {"velocity": "momentum_buffer"},
        settings=({"lr": 1e-3, "momentum": 0.9}, {"lr": 0.05, "momentum": 0.5}),
        best_lr=10**-1.5,
    ),
    Rule(
        MyAdam, "chapter/adam", "alg-adam", torch.optim.Adam,
        lambda h: {"lr": h["lr"], "betas": (h["beta1"], h["beta2"]), "eps": h["eps"]},
        {"m": "exp_avg", "v": "exp_avg_sq", "t": "step"},
        settings=({}, {"lr": 0.02, "beta1": 0.8, "beta2": 0.99, "eps": 1e-6}),
        best_lr=10**-2.5,
    ),
    Rule(
        MyAdaGrad, "chapter/fashion-mnist", "alg-adagrad", torch.optim.Adagrad, _same,
        {"r": "sum"}, settings=({}, {"lr": 0.1, "eps": 1e-6}), best_lr=10**-1.5,
    ),
    Rule(
        MyRMSProp, "chapter/fashion-mnist", "alg-rmsprop", torch.optim.RMSprop, _same,
        {"r": "square_avg"}, settings=({}, {"lr": 1e-3, "alpha": 0.9, "eps": 1e-6}),
        best_lr=10**-4.0,
    ),
)  # fmt: skip
