"""Adam (docs/chapter/adam.md)."""

from __future__ import annotations

from collections.abc import Iterable

import torch

from myoptim.base import MyOptimizer, check_hyperparameter


class MyAdam(MyOptimizer):
    r"""Adam: momentum on the gradient, scaled per element by its running RMS.

    .. math::

        m_t &\leftarrow \beta_1 m_{t-1} + (1 - \beta_1) g_t \\
        v_t &\leftarrow \beta_2 v_{t-1} + (1 - \beta_2) g_t^2 \\
        \hat m_t &\leftarrow m_t / (1 - \beta_1^t), \qquad
        \hat v_t \leftarrow v_t / (1 - \beta_2^t) \\
        \theta_t &\leftarrow \theta_{t-1} - \alpha \, \hat m_t / (\sqrt{\hat v_t} + \epsilon)

    The code computes the same formulas in ``torch.optim.Adam``'s order of operations,
    which makes the two agree bit for bit. It departs from the lines above in two
    places: :math:`m_t` is computed as :math:`m + (1 - \beta_1)(g - m)` (``lerp_``),
    and the bias corrections are applied to scalars rather than to whole tensors,

    .. math::

        \theta_t \leftarrow \theta_{t-1} - \frac{\alpha}{1 - \beta_1^t} \cdot
        \frac{m_t}{\sqrt{v_t} / \sqrt{1 - \beta_2^t} + \epsilon},

    which is the update above rearranged, without the two temporary tensors
    :math:`\hat m_t` and :math:`\hat v_t`. Each parameter counts its own steps
    :math:`t`, so a parameter that skips a step is not bias-corrected for it.

    Args:
        params: the tensors to optimize, e.g. ``model.parameters()``.
        lr: the step size :math:`\alpha`, ``>= 0``; default ``1e-3``.
        beta1: decay rate :math:`\beta_1` of the first moment, in ``[0, 1)``;
            default ``0.9``.
        beta2: decay rate :math:`\beta_2` of the second moment, in ``[0, 1)``;
            default ``0.999``.
        eps: :math:`\epsilon`, added to the denominator for numerical stability,
            ``>= 0``; default ``1e-8``.

    Example:
        >>> import torch
        >>> from myoptim import MyAdam
        >>> w = torch.tensor([1.0, -2.0], requires_grad=True)
        >>> optimizer = MyAdam([w], lr=0.1)
        >>> (w**2).sum().backward()
        >>> optimizer.step()  # the first step moves every element by about lr
        >>> w
        tensor([ 0.9000, -1.9000], requires_grad=True)

    Reference:
        Kingma & Ba, "Adam: A Method for Stochastic Optimization", ICLR 2015, Algorithm 1.
    """

    elementwise = True

    def __init__(
        self,
        params: Iterable[torch.Tensor],
        lr: float = 1e-3,
        beta1: float = 0.9,
        beta2: float = 0.999,
        eps: float = 1e-8,
    ) -> None:
        super().__init__(params, lr)
        self.beta1 = check_hyperparameter("beta1", beta1, high=1.0)
        self.beta2 = check_hyperparameter("beta2", beta2, high=1.0)
        self.eps = check_hyperparameter("eps", eps)
        for p in self.params:
            self.state[p] = {
                "m": torch.zeros_like(p),  # 1st moment vector, m_0 = 0
                "v": torch.zeros_like(p),  # 2nd moment vector, v_0 = 0
                "t": 0,  # timestep
            }

    def _update_param(self, p: torch.Tensor, grad: torch.Tensor) -> None:
        state = self.state[p]
        m, v = state["m"], state["v"]
        state["t"] += 1
        t = state["t"]
        m.lerp_(grad, 1 - self.beta1)  # m <- beta1 * m + (1 - beta1) * g
        v.mul_(self.beta2).addcmul_(grad, grad, value=1 - self.beta2)  # v <- b2*v + (1-b2)*g*g
        bias_correction1 = 1 - self.beta1**t
        bias_correction2 = 1 - self.beta2**t
        # theta <- theta - alpha * m_hat / (sqrt(v_hat) + eps), with m_hat and v_hat unrolled
        denom = v.sqrt().div_(bias_correction2**0.5).add_(self.eps)
        p.addcdiv_(m, denom, value=-self.lr / bias_correction1)
