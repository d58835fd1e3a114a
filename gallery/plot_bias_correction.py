"""
Adam의 bias correction
==============================================================================

:ref:`Adam 절 <adam>`\\ (:ref:`Bias Correction <adam-bias-correction>`\\ 과
:ref:`Bias Correction의 동작 원리 <adam-bias-correction-at-work>`)의 내용을 그림으로
확인합니다. 그래디언트가 늘 1인 파라미터 하나를 :class:`~myoptim.MyAdam`\\ 으로 업데이트하면서,
옵티마이저의 상태에 저장된
first moment :math:`m_t`\\ 와 second moment :math:`v_t`\\ 를 스텝마다 읽습니다. 0에서 시작한 두
이동 평균은 처음에 0 쪽으로 치우쳐 있고, :math:`1 - \\beta^t`\\ 로 나누면 참값 1을 회복합니다."""

# %%
# .. _plot-bias-correction-run:
#
# 상수 그래디언트로 MyAdam 실행하기
# ---------------------------------
# 매 스텝 ``p.grad``\ 에 1을 넣고 ``step()``\ 을 부른 뒤, ``optimizer.state[p]``\ 에서
# ``m``, ``v``, ``t``\ 를 읽어 보정 전과 보정 후 값을 기록합니다.

import os

import matplotlib.pyplot as plt
import torch

from myoptim import MyAdam

# MYOPTIM_QUICK=1 shrinks every example to a few seconds (the test suite uses it).
STEPS = 200 if os.environ.get("MYOPTIM_QUICK") == "1" else 3000

p = torch.zeros(1, requires_grad=True)
optimizer = MyAdam([p], beta1=0.9, beta2=0.999)
history = {"m": [], "m_hat": [], "v": [], "v_hat": []}
for _ in range(STEPS):
    p.grad = torch.ones(1)
    optimizer.step()
    state = optimizer.state[p]
    t = state["t"]
    history["m"].append(state["m"].item())
    history["m_hat"].append(state["m"].item() / (1 - optimizer.beta1**t))
    history["v"].append(state["v"].item())
    history["v_hat"].append(state["v"].item() / (1 - optimizer.beta2**t))

# %%
# .. _plot-bias-correction-values:
#
# 몇 스텝의 값
# ------------
# :math:`t = 1`\ 에서 :math:`m_1 = (1-\beta_1) g = 0.1` 이고, :math:`1 - \beta_1 = 0.1`\ 로
# 나누면 :math:`\hat m_1 = 1` 입니다. 그래디언트가 늘 1이면 :math:`m_t`\ 가 곧
# :math:`1 - \beta_1^t` 이므로, 아래 ``m`` 열은
# :numref:`%s <adam-bias-correction-at-work>`\ 절의 0.1, 0.651, 0.99997과 같습니다.
# :math:`\beta_2 = 0.999` 인 second moment는 훨씬 천천히 1에 다가가므로, 보정이 수천 스텝
# 동안 중요합니다.

for t in (1, 10, 100, 1000):
    if t <= STEPS:
        m, m_hat = history["m"][t - 1], history["m_hat"][t - 1]
        v, v_hat = history["v"][t - 1], history["v_hat"][t - 1]
        print(f"t={t:5d}  m={m:.5f}  m_hat={m_hat:.5f}  v={v:.5f}  v_hat={v_hat:.5f}")

# %%
# .. _plot-bias-correction-plot:
#
# 보정 전과 보정 후
# -----------------
# 실선은 옵티마이저가 저장한 편향된 이동 평균, 점선은 bias correction을 적용한 값입니다.
# 가로축은 로그 눈금입니다.

steps = range(1, STEPS + 1)
fig, ax = plt.subplots(figsize=(8, 4.2))
ax.plot(steps, history["m"], color="C0", label=r"$m_t$ (first moment, $\beta_1 = 0.9$)")
ax.plot(steps, history["m_hat"], "--", color="C0", label=r"$\hat m_t = m_t / (1 - \beta_1^t)$")
ax.plot(steps, history["v"], color="C1", label=r"$v_t$ (second moment, $\beta_2 = 0.999$)")
ax.plot(steps, history["v_hat"], "--", color="C1", label=r"$\hat v_t = v_t / (1 - \beta_2^t)$")
ax.axhline(1.0, color="gray", linewidth=0.8)
ax.set(xscale="log", xlabel="step $t$", ylabel=r"estimate of $E[g] = E[g^2] = 1$")
ax.set_title("Adam's moment estimates under a constant gradient $g = 1$")
ax.legend(loc="lower right")
fig.tight_layout()
plt.show()
