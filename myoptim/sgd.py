"""Stochastic gradient descent (docs/chapter/sgd.md)."""

from __future__ import annotations

import torch

from myoptim.base import MyOptimizer


class MySGD(MyOptimizer):
    r"""Stochastic gradient descent: step against the gradient, scaled by the learning rate.

    .. math::

        \theta \leftarrow \theta - \epsilon g

    The chapter writes ``p -= self.lr * grad``, which rounds twice (the product, then
    the difference). ``p.add_(grad, alpha=-self.lr)`` computes the same formula in one
    kernel (whether it rounds once depends on the device and on fused multiply-add), the
    kernel ``torch.optim.SGD`` calls, so the two agree bit for bit.

    Args:
        params: the tensors to optimize, e.g. ``model.parameters()``.
        lr: the learning rate :math:`\epsilon`, ``>= 0``. Required, as in the chapter
            (``torch.optim.SGD`` defaults to ``1e-3``).

    Example:
        >>> import torch
        >>> from myoptim import MySGD
        >>> w = torch.tensor([1.0, -2.0], requires_grad=True)
        >>> optimizer = MySGD([w], lr=0.1)
        >>> (w**2).sum().backward()  # g = 2w = [2, -4]
        >>> optimizer.step()
        >>> w
        tensor([ 0.8000, -1.6000], requires_grad=True)

    Reference:
        Goodfellow, Bengio & Courville, *Deep Learning* (2016), Algorithm 8.1.
    """

    elementwise = True

    def _update_param(self, p: torch.Tensor, grad: torch.Tensor) -> None:
        p.add_(grad, alpha=-self.lr)  # theta <- theta - eps * g
