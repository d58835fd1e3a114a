"""Stochastic gradient descent with momentum (docs/chapter/momentum.md)."""

from __future__ import annotations

from collections.abc import Iterable

import torch

from myoptim.base import MyOptimizer, check_hyperparameter


class MySGDMomentum(MyOptimizer):
    r"""SGD with momentum: step along a velocity that accumulates past gradients.

    .. math::

        v \leftarrow \alpha v + g, \qquad \theta \leftarrow \theta - \epsilon v

    This is the chapter's code and PyTorch's form (``torch.optim.SGD(momentum=...)``).
    Goodfellow et al.'s Algorithm 8.2 writes :math:`v \leftarrow \alpha v - \epsilon g`,
    :math:`\theta \leftarrow \theta + v`: its velocity is :math:`-\epsilon` times this
    one, so both forms take the same steps while :math:`\epsilon` stays constant. When
    the learning rate changes mid-run, this form applies the new :math:`\epsilon` to
    the whole accumulated velocity, Algorithm 8.2 only to new gradients. PyTorch
    starts the velocity at the first gradient; starting it at zero gives the same
    first step, :math:`v = \alpha \cdot 0 + g = g`, exactly.

    Args:
        params: the tensors to optimize, e.g. ``model.parameters()``.
        lr: the learning rate :math:`\epsilon`, ``>= 0``. Required, as in the chapter.
        momentum: the momentum :math:`\alpha`, ``>= 0``; default ``0.9``.

    Example:
        >>> import torch
        >>> from myoptim import MySGDMomentum
        >>> w = torch.tensor([1.0, -2.0], requires_grad=True)
        >>> optimizer = MySGDMomentum([w], lr=0.1, momentum=0.9)
        >>> for _ in range(2):
        ...     optimizer.zero_grad()
        ...     (w**2).sum().backward()
        ...     optimizer.step()
        >>> optimizer.state[w]["velocity"]  # 0.9 * [2, -4] + [1.6, -3.2]
        tensor([ 3.4000, -6.8000])

    Reference:
        Goodfellow, Bengio & Courville, *Deep Learning* (2016), Algorithm 8.2.
    """

    elementwise = True

    def __init__(self, params: Iterable[torch.Tensor], lr: float, momentum: float = 0.9) -> None:
        super().__init__(params, lr)
        self.momentum = check_hyperparameter("momentum", momentum)
        for p in self.params:
            self.state[p] = {"velocity": torch.zeros_like(p)}

    def _update_param(self, p: torch.Tensor, grad: torch.Tensor) -> None:
        v = self.state[p]["velocity"]
        v.mul_(self.momentum).add_(grad)  # v <- alpha * v + g
        p.add_(v, alpha=-self.lr)  # theta <- theta - eps * v
