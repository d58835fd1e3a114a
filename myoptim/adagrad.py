"""AdaGrad (named in docs/chapter/fashion-mnist.md)."""

from __future__ import annotations

from collections.abc import Iterable

import torch

from myoptim.base import MyOptimizer, check_hyperparameter


class MyAdaGrad(MyOptimizer):
    r"""AdaGrad: scale each element's step by the root of its summed squared gradients.

    .. math::

        r \leftarrow r + g \odot g, \qquad
        \theta \leftarrow \theta - \frac{\epsilon}{\delta + \sqrt{r}} \odot g

    As in Goodfellow et al.'s Algorithm 8.4 and ``torch.optim.Adagrad``, :math:`\delta`
    is added outside the square root. Because :math:`r` only grows, the effective
    learning rate only shrinks. The defaults are torch's; torch's ``lr_decay``,
    ``weight_decay`` and ``initial_accumulator_value`` are left out (``torch.optim.Adagrad``
    with their defaults is the same method).

    Args:
        params: the tensors to optimize, e.g. ``model.parameters()``.
        lr: the learning rate :math:`\epsilon`, ``>= 0``; default ``1e-2``.
        eps: :math:`\delta`, added to the denominator for numerical stability,
            ``>= 0``; default ``1e-10``.

    Example:
        >>> import torch
        >>> from myoptim import MyAdaGrad
        >>> w = torch.tensor([1.0, -2.0], requires_grad=True)
        >>> optimizer = MyAdaGrad([w], lr=0.1)
        >>> (w**2).sum().backward()
        >>> optimizer.step()  # first step: g / sqrt(g*g) = sign(g)
        >>> w
        tensor([ 0.9000, -1.9000], requires_grad=True)

    Reference:
        Duchi, Hazan & Singer, "Adaptive Subgradient Methods for Online Learning and
        Stochastic Optimization", JMLR 12 (2011); Goodfellow et al. (2016), Algorithm 8.4.
    """

    elementwise = True

    def __init__(
        self, params: Iterable[torch.Tensor], lr: float = 1e-2, eps: float = 1e-10
    ) -> None:
        super().__init__(params, lr)
        self.eps = check_hyperparameter("eps", eps)
        for p in self.params:
            self.state[p] = {"r": torch.zeros_like(p)}  # gradient accumulation, r = 0

    def _update_param(self, p: torch.Tensor, grad: torch.Tensor) -> None:
        r = self.state[p]["r"]
        r.addcmul_(grad, grad)  # r <- r + g * g
        p.addcdiv_(grad, r.sqrt().add_(self.eps), value=-self.lr)  # theta -= eps*g/(sqrt(r)+delta)
