"""
잡음 바닥과 학습률 스케줄
==============================================================================

:ref:`잡음과 스케줄 절 <noise>`\\ 은 그래디언트에 잡음이 섞이면 학습률이 일정한 SGD가 최솟점에
닿지 못하고 학습률에 비례하는 높이의 잡음 바닥(noise floor)에서 멈춘다고 설명합니다. 이
예제는 그 높이를 ``MySGD``\\ 로 재고, 학습률을 줄여 가는 스케줄이 바닥을 얼마나 낮추는지
``TorchOptimizer``\\ 와 ``torch.optim.lr_scheduler``\\ 로 비교합니다.
"""

# %%
# .. _plot-noise-floor-model:
#
# 잡음 섞인 그래디언트
# --------------------
# 곡률이 :math:`\lambda = 1`\ 인 1차원 2차 함수 :math:`f(x) = \frac{1}{2}\lambda x^2`\ 에서,
# 옵티마이저는 참 그래디언트 :math:`\lambda x`\ 에 표준편차 :math:`\sigma = 1`\ 인 잡음이 더해진
# 값만 봅니다. 원소 하나가 독립된 실행 하나인 텐서를 쓰므로, 옵티마이저 하나가 실행 20,000개를
# 한꺼번에 합니다. 손실은 그 평균입니다.

import json
import math
import os
import sys
from pathlib import Path

import matplotlib.pyplot as plt
import torch
from torch.optim import lr_scheduler

from myoptim import MySGD, TorchOptimizer

RUNS, STEPS, AVERAGE_OVER = 20_000, 2_000, 1_000
CURVATURE, NOISE = 1.0, 1.0
LRS = [0.01, 0.02, 0.05, 0.1, 0.2]


def train(make_optimizer, make_scheduler=None, seed=0):
    """Mean loss over RUNS independent runs, after every step."""
    generator = torch.Generator().manual_seed(seed)
    x = torch.ones(RUNS)
    optimizer = make_optimizer([x])
    scheduler = make_scheduler(optimizer) if make_scheduler else None
    losses = []
    for _ in range(STEPS):
        x.grad = CURVATURE * x + NOISE * torch.randn(RUNS, generator=generator)
        optimizer.step()
        if scheduler:
            scheduler.step()
        losses.append((0.5 * CURVATURE * x**2).mean().item())
    return losses


# %%
# .. _plot-noise-floor-constant:
#
# 학습률이 일정할 때의 바닥
# -------------------------
# 학습률마다 실행의 뒤쪽 절반에서 손실의 평균을 바닥의 높이로 잽니다. 식은
# :math:`\epsilon\sigma^2 / (2(2 - \epsilon\lambda))`\ 입니다.

curves = {lr: train(lambda params, lr=lr: MySGD(params, lr=lr)) for lr in LRS}
floors = {lr: sum(losses[-AVERAGE_OVER:]) / AVERAGE_OVER for lr, losses in curves.items()}
formula = {lr: lr * NOISE**2 / (2 * (2 - lr * CURVATURE)) for lr in LRS}
for lr in LRS:
    print(f"lr {lr:4g}: measured floor {floors[lr]:.5f}, formula {formula[lr]:.5f}")
slope = math.log(floors[LRS[-1]] / floors[LRS[0]]) / math.log(LRS[-1] / LRS[0])
print(f"slope of log(floor) against log(lr): {slope:.3f}")

# %%
# .. _plot-noise-floor-schedules:
#
# 학습률 스케줄
# -------------
# 같은 문제를 학습률 0.1에서 시작해 네 가지 방식으로 학습합니다. ``MySGD``\ 를
# ``TorchOptimizer``\ 로 감싸면 PyTorch의 스케줄러가 학습률을 바꿉니다.
#
# - **constant**: 0.1 그대로.
# - **StepLR**: 500스텝마다 3분의 1로.
# - **1/k**: :math:`\epsilon_k = \epsilon_0 / (1 + k/100)`\ (``LambdaLR``).
# - **cosine**: 코사인 곡선을 따라 0으로(``CosineAnnealingLR``).

START_LR = 0.1
SCHEDULES = {
    "constant": None,
    "StepLR": lambda optimizer: lr_scheduler.StepLR(optimizer, step_size=500, gamma=1 / 3),
    "1/k": lambda optimizer: lr_scheduler.LambdaLR(optimizer, lambda k: 1 / (1 + k / 100)),
    "cosine": lambda optimizer: lr_scheduler.CosineAnnealingLR(optimizer, T_max=STEPS),
}
scheduled = {
    name: train(lambda params: TorchOptimizer(MySGD, params, lr=START_LR), make_scheduler)
    for name, make_scheduler in SCHEDULES.items()
}
final = {name: sum(losses[-50:]) / 50 for name, losses in scheduled.items()}
for name, loss in final.items():
    print(f"{name:9s} mean loss over the last 50 steps: {loss:.2e}")

fig, (left, right) = plt.subplots(1, 2, figsize=(9, 4), layout="constrained")
for lr in LRS:
    (line,) = left.loglog(range(1, STEPS + 1), curves[lr], linewidth=1, label=f"lr {lr:g}")
    left.axhline(formula[lr], color=line.get_color(), linestyle=":", linewidth=1)
left.set(xlabel="step", ylabel="mean loss", title="constant learning rates (dotted: formula)")
left.legend()
for name, losses in scheduled.items():
    right.semilogy(range(1, STEPS + 1), losses, linewidth=1, label=name)
right.set(xlabel="step", title=f"schedules starting at lr {START_LR:g}")
right.legend()
plt.show()

# %%
# .. _plot-noise-floor-movable:
#
# 학습률과 스케줄의 조합
# ----------------------
# 책의 웹 페이지에서는 시작 학습률과 스케줄을 바꿔 볼 수 있습니다. 그 그림이 그리는 학습률
# 다섯 개와 스케줄 네 개의 조합을 모두 학습해, 평균 손실을 로그 간격의 스텝에서 모아 둡니다.
# ``show(lr, schedule)``\ 는 한 조합의 평균 손실을 그리고, 노트북(Colab, Jupyter)에서는
# ``explore()``\ 가 두 값을 고르는 위젯을 만듭니다.

CURVE_STEPS = sorted({round(10 ** (k / 16)) for k in range(int(16 * math.log10(STEPS)))} | {STEPS})
runs = {(lr, "constant"): curves[lr] for lr in LRS} | {
    (START_LR, name): losses for name, losses in scheduled.items()
}
for lr in LRS:
    for name, make_scheduler in SCHEDULES.items():
        if (lr, name) not in runs:
            runs[lr, name] = train(
                lambda params, lr=lr: TorchOptimizer(MySGD, params, lr=lr), make_scheduler
            )


def show(lr=0.1, schedule="cosine"):
    """The mean loss for one starting learning rate (one of LRS) and one schedule."""
    _, ax = plt.subplots(figsize=(6, 4), layout="constrained")
    ax.loglog(range(1, STEPS + 1), runs[lr, schedule])
    ax.axhline(formula[lr], color="gray", linestyle=":")
    ax.set(xlabel="step", ylabel="mean loss", title=f"{schedule}, starting at lr {lr:g}")
    plt.show()


def explore():
    """Widgets for show() in a notebook (Colab has ipywidgets)."""
    try:
        from ipywidgets import interact
    except ImportError:
        print("For widgets: pip install ipywidgets. Or call show(lr=..., schedule=...).")
        return
    interact(show, lr=LRS, schedule=list(SCHEDULES))


if "ipykernel" in sys.modules:  # run as a notebook
    explore()


def frame(lr, name):
    """What the movable figure draws and says for one starting lr and schedule."""
    losses = runs[lr, name]
    last = sum(losses[-50:]) / 50
    return {
        "curve": [round(100 * math.log10(losses[step - 1])) for step in CURVE_STEPS],
        "line": round(100 * math.log10(formula[lr])),
        "say": "constant" if name == "constant" else "scheduled",
        "text": {
            "floor": f"{floors[lr]:.2e}",
            "formula": f"{formula[lr]:.2e}",
            "last": f"{last:.2e}",
            "ratio": f"{last / formula[lr]:.2g}",
        },
    }


movable = {
    "controls": [
        {"name": "lr", "values": LRS, "text": [f"{lr:g}" for lr in LRS]},
        {"name": "schedule", "values": list(SCHEDULES), "text": list(SCHEDULES), "choice": True},
    ],
    "start": [LRS.index(START_LR), 0],
    "common": {
        "x": CURVE_STEPS,
        "xlog": True,
        "ylim": [-500, 0],
        "labels": {"curve": "mean loss", "x": "step"},
    },
    "frames": [frame(lr, name) for lr in LRS for name in SCHEDULES],
}

# %%
# .. _plot-noise-floor-results:
#
# 결과 저장
# ---------
# 환경 변수 ``MYOPTIM_RESULTS``\ 가 폴더를 가리키면, 숫자를 그 폴더에 JSON 파일로 남깁니다.
# 본문의 문장들이 이 숫자와 맞는지 책의 빌드가 확인합니다.

results = {
    "curvature": CURVATURE,
    "noise": NOISE,
    "floors": [{"lr": lr, "measured": floors[lr], "formula": formula[lr]} for lr in LRS],
    "slope": slope,
    "start_lr": START_LR,
    "final": final,
    "movable": movable,
}
if results_dir := os.environ.get("MYOPTIM_RESULTS"):
    Path(results_dir, "noise_floor.json").write_text(json.dumps(results, indent=1))
