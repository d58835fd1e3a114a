"""
다항식 회귀: 손으로 쓴 업데이트, MySGD, torch.optim.SGD
==============================================================================

:ref:`옵티마이저 없는 코드와 사용 코드 비교 <overview-with-and-without>`\\ 의 예제입니다.
:math:`y = \\sin(x)`\\ 를 :math:`[-\\pi,
\\pi]` 구간에서 3차 다항식 :math:`\\hat y = a + bx + cx^2 + dx^3`\\ 으로 근사하면서, 같은 경사
하강법을 세 가지 방법으로 씁니다.

1. 장의 첫 코드처럼 파라미터마다 업데이트를 손으로 쓰는 루프,
2. 이 장에서 만든 :class:`~myoptim.MySGD`,
3. PyTorch의 ``torch.optim.SGD``.

세 방법이 매 스텝 같은 파라미터를 내는지 확인하고, 적합 결과와 손실 곡선을 그립니다.
"""

# %%
# .. _plot-polynomial-regression-data-and-model:
#
# 데이터와 모델
# -------------
# 2000개의 점에서 :math:`\sin(x)`\ 를 계산하고, 네 계수를 같은 시드로 초기화하는 함수를 만듭니다.
# 세 방법은 모두 같은 초깃값에서 출발합니다.

import math
import os

import matplotlib.pyplot as plt
import torch

from myoptim import MySGD

# MYOPTIM_QUICK=1 shrinks every example to a few seconds (the test suite uses it).
STEPS = 200 if os.environ.get("MYOPTIM_QUICK") == "1" else 4000
LEARNING_RATE = 1e-3

x = torch.linspace(-math.pi, math.pi, 2000)
y = torch.sin(x)


def init_params():
    """The coefficients a, b, c, d: the same random start every time."""
    generator = torch.Generator().manual_seed(0)
    return [torch.randn((), generator=generator).requires_grad_() for _ in range(4)]


def compute_loss(params):
    a, b, c, d = params
    y_pred = a + b * x + c * x**2 + d * x**3
    return (y_pred - y).pow(2).mean()


# %%
# .. _plot-polynomial-regression-three-loops:
#
# 세 가지 학습 루프
# -----------------
# 손으로 쓴 루프는 ``torch.no_grad()`` 안에서 각 계수를 직접 빼고 그래디언트를 지웁니다.
# 옵티마이저를 쓰는 두 루프는 그 일을 ``step()``\ 과 ``zero_grad()``\ 에 맡깁니다.
# 세 루프 모두 매 스텝의 계수와 손실을 기록합니다.


def train_by_hand():
    params = init_params()
    history, losses = [], []
    for _ in range(STEPS):
        loss = compute_loss(params)
        loss.backward()
        with torch.no_grad():
            for p in params:
                p -= LEARNING_RATE * p.grad
                p.grad = None
        history.append(torch.stack(params).detach())
        losses.append(loss.item())
    return torch.stack(history), losses


def train_with(make_optimizer):
    params = init_params()
    optimizer = make_optimizer(params)
    history, losses = [], []
    for _ in range(STEPS):
        loss = compute_loss(params)
        loss.backward()
        optimizer.step()
        optimizer.zero_grad()
        history.append(torch.stack(params).detach())
        losses.append(loss.item())
    return torch.stack(history), losses


by_hand, by_hand_loss = train_by_hand()
mine, mine_loss = train_with(lambda params: MySGD(params, lr=LEARNING_RATE))
theirs, theirs_loss = train_with(lambda params: torch.optim.SGD(params, lr=LEARNING_RATE))

# %%
# .. _plot-polynomial-regression-same-computation:
#
# 세 방법은 같은 계산을 하는가
# ----------------------------
# 모든 스텝의 계수를 비교합니다. ``MySGD``\ 와 ``torch.optim.SGD``\ 는 같은 연산
# (``p.add_(grad, alpha=-lr)``)을 쓰므로 비트 단위로 같아야 하고, 손으로 쓴 ``p -= lr * grad``
# 는 반올림을 한 번 더 하므로 float32의 반올림 오차만큼 다를 수 있습니다.

print(f"steps compared: {STEPS}")
print(f"MySGD vs torch.optim.SGD, bit for bit: {torch.equal(mine, theirs)}")
print(f"by hand vs torch.optim.SGD, largest difference: {(by_hand - theirs).abs().max():.2e}")
print("final a, b, c, d:", [round(v, 4) for v in theirs[-1].tolist()])

# %%
# .. _plot-polynomial-regression-plot:
#
# 적합 결과와 손실 곡선
# ---------------------
# 세 곡선이 겹쳐 하나로 보이는 것이 이 예제의 요점입니다.

fig, (ax_fit, ax_loss) = plt.subplots(1, 2, figsize=(10, 4))
ax_fit.plot(x, y, color="black", linewidth=3, label="sin(x)")
for (name, history), style in zip(
    [("by hand", by_hand), ("MySGD", mine), ("torch.optim.SGD", theirs)], ["-", "--", ":"]
):
    a, b, c, d = history[-1]
    ax_fit.plot(x, a + b * x + c * x**2 + d * x**3, style, linewidth=2, label=name)
ax_fit.set(title=f"Fit after {STEPS} steps", xlabel="x", ylabel="y")
ax_fit.legend()

for losses, name, style in [
    (by_hand_loss, "by hand", "-"),
    (mine_loss, "MySGD", "--"),
    (theirs_loss, "torch.optim.SGD", ":"),
]:
    ax_loss.plot(range(1, STEPS + 1), losses, style, linewidth=2, label=name)
ax_loss.set(title="Training loss", xlabel="step", ylabel="mean squared error", yscale="log")
ax_loss.legend()
fig.tight_layout()
plt.show()
