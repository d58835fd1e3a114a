"""RMSProp (named in docs/chapter/fashion-mnist.md)."""

from __future__ import annotations

from collections.abc import Iterable

import torch

from myoptim.base import MyOptimizer, check_hyperparameter


class MyRMSProp(MyOptimizer):
    r"""RMSProp: scale each element's step by the root of a running mean of squared gradients.

    .. math::

        r \leftarrow \rho r + (1 - \rho)\, g \odot g, \qquad
        \theta \leftarrow \theta - \frac{\epsilon}{\sqrt{r} + \delta} \odot g

    The exponential moving average forgets old gradients, so unlike AdaGrad the
    effective learning rate can grow again. Goodfellow et al.'s Algorithm 8.5 puts
    :math:`\delta` inside the square root, :math:`\sqrt{\delta + r}`; this class, like
    ``torch.optim.RMSprop``, adds it outside. The decay rate :math:`\rho` is named
    ``alpha`` as in torch; torch's ``momentum``, ``centered`` and ``weight_decay`` are
    left out (``torch.optim.RMSprop`` with their defaults is the same method).

    Args:
        params: the tensors to optimize, e.g. ``model.parameters()``.
        lr: the learning rate :math:`\epsilon`, ``>= 0``; default ``1e-2``.
        alpha: the decay rate :math:`\rho`, in ``[0, 1)``; default ``0.99``.
        eps: :math:`\delta`, added to the denominator for numerical stability,
            ``>= 0``; default ``1e-8``.

    Example:
        >>> import torch
        >>> from myoptim import MyRMSProp
        >>> w = torch.tensor([1.0, -2.0], requires_grad=True)
        >>> optimizer = MyRMSProp([w], lr=0.01)
        >>> (w**2).sum().backward()
        >>> optimizer.step()  # first step: sqrt(r) = 0.1*|g|, a step of 10*lr
        >>> w
        tensor([ 0.9000, -1.9000], requires_grad=True)

    Reference:
        Tieleman & Hinton, Lecture 6.5 "rmsprop", COURSERA: Neural Networks for Machine
        Learning (2012); Goodfellow et al. (2016), Algorithm 8.5.
    """

    elementwise = True

    def __init__(
        self,
        params: Iterable[torch.Tensor],
        lr: float = 1e-2,
        alpha: float = 0.99,
        eps: float = 1e-8,
    ) -> None:
        super().__init__(params, lr)
        self.alpha = check_hyperparameter("alpha", alpha, high=1.0)
        self.eps = check_hyperparameter("eps", eps)
        for p in self.params:
            self.state[p] = {"r": torch.zeros_like(p)}  # accumulation variable, r = 0

    def _update_param(self, p: torch.Tensor, grad: torch.Tensor) -> None:
        r = self.state[p]["r"]
        r.mul_(self.alpha).addcmul_(grad, grad, value=1 - self.alpha)  # r <- rho*r + (1-rho)*g*g
        p.addcdiv_(grad, r.sqrt().add_(self.eps), value=-self.lr)  # theta -= eps*g/(sqrt(r)+delta)
