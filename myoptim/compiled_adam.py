"""Adam in one compiled pass over memory (docs/chapter/fast-path.md)."""

from __future__ import annotations

import functools
from collections.abc import Callable

import torch

from myoptim.adam import MyAdam
from myoptim.compiler import require_compiler


class MyCompiledAdam(MyAdam):
    r"""MyAdam whose update runs as one compiled loop over memory, as torch's fused Adam does.

    .. math::

        \alpha_t \leftarrow \frac{\alpha}{1 - \beta_1^t}, \qquad
        c_t \leftarrow \sqrt{1 - \beta_2^t}
        \qquad \text{(once per step, in Python)}

        m \leftarrow \beta_1 m + (1 - \beta_1) g, \quad
        v \leftarrow \beta_2 v + (1 - \beta_2) g^2, \quad
        \theta \leftarrow \theta - \alpha_t \, \frac{m}{\sqrt{v} / c_t + \epsilon}
        \qquad \text{(per element, one loop)}

    ``MyAdam`` makes seven passes over memory per step, one per tensor operation.
    ``torch.compile`` fuses them into one loop that reads :math:`\theta, g, m, v` once and
    writes :math:`\theta, m, v` once. Compiling ``MyAdam`` as it is written does not get
    there: :math:`t` changes every step, so the compiler makes it a variable of the
    generated code and evaluates :math:`\beta^t` inside the loop, once for every element,
    which is slower than not compiling. Here every number of the update is computed once
    per step in Python and enters the compiled function as a 0-d tensor, which the loop
    only reads; as a tensor, a new value (a new :math:`t`, a new learning rate) does not
    compile the loop again.

    The state, the hyperparameters and their validation are ``MyAdam``'s. The compiled
    loop rounds differently from ``torch.optim.Adam``'s operations (it keeps
    intermediate values in registers), so the two agree to rounding, not bit for bit.
    The first steps compile the loop, which takes seconds and, on the CPU, a C++ compiler
    (without one the first step raises an error that says what to install).
    Each dtype and memory layout of parameter gets a loop of its own, and torch.compile
    keeps at most 8 per function: wrap the model's parameters in
    :class:`~myoptim.Flattened`, which makes them one tensor and the step one loop.

    Args:
        params, lr, beta1, beta2, eps: as for :class:`~myoptim.MyAdam`, with its defaults
            (``lr=1e-3``, ``beta1=0.9``, ``beta2=0.999``, ``eps=1e-8``).

    Example:
        >>> import torch
        >>> from myoptim import MyCompiledAdam
        >>> w = torch.tensor([1.0, -2.0], requires_grad=True)
        >>> optimizer = MyCompiledAdam([w], lr=0.1)
        >>> (w**2).sum().backward()
        >>> optimizer.step()  # compiles the loop first (seconds), then steps as MyAdam does
        >>> w
        tensor([ 0.9000, -1.9000], requires_grad=True)

        For a model, ``Flattened(MyCompiledAdam, model.parameters(), lr=1e-3)``.

    Reference:
        Kingma & Ba, "Adam: A Method for Stochastic Optimization", ICLR 2015, Algorithm 1
        and the rearrangement at the end of its section 2; ``torch.optim.Adam(fused=True)``.
    """

    def _update_param(self, p: torch.Tensor, grad: torch.Tensor) -> None:
        adam_pass = _compiled(_adam_pass, p.device.type)  # compiled on first use
        state = self.state[p]
        state["t"] += 1
        t = state["t"]
        bias_correction1 = 1 - self.beta1**t
        bias_correction2 = 1 - self.beta2**t
        numbers = [
            1 - self.beta1,
            self.beta2,
            1 - self.beta2,
            self.eps,
            self.lr / bias_correction1,
            bias_correction2**0.5,
        ]
        tensors = [p, grad, state["m"], state["v"]]
        if all(x.is_contiguous() for x in tensors):
            # The update is elementwise, so 1-D views change nothing but let one compiled
            # loop serve parameters of every shape (torch.compile keeps 8 variants at most).
            tensors = [x.view(-1) for x in tensors]
        # As 0-d tensors the numbers are inputs that the loop reads. Python numbers may be
        # compiled into the loop as constants, and then each new value compiles it again.
        adam_pass(*tensors, *(torch.tensor(x, dtype=p.dtype, device=p.device) for x in numbers))


def _adam_pass(
    p: torch.Tensor,
    grad: torch.Tensor,
    m: torch.Tensor,
    v: torch.Tensor,
    one_minus_beta1: torch.Tensor,
    beta2: torch.Tensor,
    one_minus_beta2: torch.Tensor,
    eps: torch.Tensor,
    step_size: torch.Tensor,
    bias_correction2_sqrt: torch.Tensor,
) -> None:
    """The elementwise part of an Adam step; every number is a 0-d tensor."""
    # m + (1 - beta1)(g - m), lerp's formula for weights below 0.5: lerp_ with a tensor
    # weight would choose between its two formulas for every element.
    m.add_((grad - m) * one_minus_beta1)
    v.mul_(beta2).add_(one_minus_beta2 * grad * grad)
    p.sub_(step_size * m / v.sqrt().div_(bias_correction2_sqrt).add_(eps))


@functools.cache
def _compiled(function: Callable[..., None], device: str) -> Callable[..., None]:
    # On first use: importing torch.compile's machinery takes seconds. Without a compiler,
    # the error comes before the step changes anything.
    require_compiler(device)
    return torch.compile(function, fullgraph=True, dynamic=True)
