"""
학습률 스케줄: TorchOptimizer와 torch.optim.lr_scheduler
==============================================================================

:ref:`TorchOptimizer 절 <torch-optimizer>`\\ 의 예제입니다. 이 장의
:class:`~myoptim.MySGDMomentum`\\ 을 :class:`~myoptim.TorchOptimizer`\\ 로 감싸면
``torch.optim.lr_scheduler``\\ 의 스케줄러를 그대로 붙일 수 있습니다. 작은 신경망을 네 가지
학습률 스케줄로 학습하면서 스텝마다 학습률과 손실을 기록하고, 같은 학습을
``torch.optim.SGD``\\ 로도 해서 결과가 비트 단위까지 같은지 확인합니다.
"""

# %%
# .. _plot-lr-schedules-data-and-model:
#
# 데이터와 모델
# -------------
# 두 갈래 나선(spiral) 위의 점 512개를 두 클래스로 나누는 문제입니다. 선형 분리가 되지 않으므로
# 은닉층이 있는 작은 신경망을 씁니다. 모델은 같은 시드로 만들어, 모든 스케줄이 같은
# 초깃값에서 출발합니다.

import os

import matplotlib.pyplot as plt
import torch
from torch import nn
from torch.optim import lr_scheduler

from myoptim import MySGDMomentum, TorchOptimizer, pick_device

# MYOPTIM_QUICK=1 shrinks every example to a few seconds (the test suite uses it).
STEPS = 60 if os.environ.get("MYOPTIM_QUICK") == "1" else 600
LEARNING_RATE = 0.3

generator = torch.Generator().manual_seed(0)
angle = torch.rand(512, generator=generator) * 3 * torch.pi
label = torch.randint(0, 2, (512,), generator=generator)
radius = angle / (3 * torch.pi)
# The second arm is the first one turned half a circle.
x = torch.stack(
    [radius * torch.cos(angle + torch.pi * label), radius * torch.sin(angle + torch.pi * label)], 1
)
x += 0.02 * torch.randn(x.shape, generator=generator)
device = pick_device()  # the accelerator when there is one; the book's build: the CPU
x, label = x.to(device), label.to(device)


def make_model():
    torch.manual_seed(0)
    return nn.Sequential(
        nn.Linear(2, 64), nn.ReLU(), nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 2)
    ).to(device)


# %%
# .. _plot-lr-schedules-schedules:
#
# 네 가지 스케줄
# --------------
# 스케줄러는 옵티마이저를 받아 만들고, ``optimizer.step()``\ 다음에 ``scheduler.step()``\ 을
# 부르면 각 파라미터 그룹의 ``group["lr"]``\ 을 다음 스텝의 값으로 바꿉니다.
#
# - **constant**: 스케줄러 없이 학습률을 그대로 둡니다.
# - **StepLR**: 전체의 3분의 1마다 학습률을 절반으로 줄입니다.
# - **warmup + cosine**: 처음 10% 동안 학습률을 10분의 1에서 기본값까지 올린 뒤, 코사인
#   곡선을 따라 0으로 줄입니다.
# - **OneCycleLR**: 학습률을 최댓값까지 올렸다가 아주 작게 내리고, momentum은 그 반대로
#   움직입니다.

SCHEDULES = {
    "constant": lambda optimizer: None,
    "StepLR": lambda optimizer: lr_scheduler.StepLR(optimizer, step_size=STEPS // 3, gamma=0.5),
    "warmup + cosine": lambda optimizer: lr_scheduler.SequentialLR(
        optimizer,
        [
            lr_scheduler.LinearLR(optimizer, start_factor=0.1, total_iters=STEPS // 10),
            lr_scheduler.CosineAnnealingLR(optimizer, T_max=STEPS - STEPS // 10),
        ],
        milestones=[STEPS // 10],
    ),
    "OneCycleLR": lambda optimizer: lr_scheduler.OneCycleLR(
        optimizer, max_lr=2 * LEARNING_RATE, total_steps=STEPS
    ),
}


def train(optimizer_factory, schedule):
    """Full-batch training; the learning rate and the loss of every step."""
    model = make_model()
    optimizer = optimizer_factory(model.parameters())
    scheduler = SCHEDULES[schedule](optimizer)
    lrs, losses = [], []
    for _ in range(STEPS):
        lrs.append(optimizer.param_groups[0]["lr"])
        optimizer.zero_grad()
        loss = nn.functional.cross_entropy(model(x), label)
        loss.backward()
        optimizer.step()
        if scheduler is not None:
            scheduler.step()
        losses.append(loss.item())
    return lrs, losses


# %%
# .. _plot-lr-schedules-train-and-compare:
#
# 학습하고 torch.optim과 비교하기
# -------------------------------
# 스케줄마다 ``TorchOptimizer(MySGDMomentum, ...)``\ 과
# ``torch.optim.SGD(..., foreach=False)``\ 로 한 번씩 학습합니다. 두 옵티마이저는 같은 연산을
# 같은 순서로 하므로, 스케줄러가 학습률과 momentum을 바꾸어도 손실이 매 스텝 같아야 합니다.


def ours(params):
    return TorchOptimizer(MySGDMomentum, params, lr=LEARNING_RATE, momentum=0.9)


def theirs(params):
    return torch.optim.SGD(params, lr=LEARNING_RATE, momentum=0.9, foreach=False)


results = {}
for schedule in SCHEDULES:
    results[schedule] = train(ours, schedule)
    same = results[schedule][1] == train(theirs, schedule)[1]
    print(f"{schedule:16s} final loss {results[schedule][1][-1]:.4f}   "
          f"== torch.optim.SGD, bit for bit: {same}")  # fmt: skip
    assert same, f"{schedule}: TorchOptimizer(MySGDMomentum) differs from torch.optim.SGD"

# %%
# .. _plot-lr-schedules-plot:
#
# 학습률과 손실
# -------------
# 왼쪽은 스텝마다의 학습률, 오른쪽은 그 스텝의 손실입니다(로그 눈금).

fig, (ax_lr, ax_loss) = plt.subplots(1, 2, figsize=(10, 4), layout="constrained")
for schedule, (lrs, losses) in results.items():
    ax_lr.plot(lrs, label=schedule)
    ax_loss.plot(losses, label=schedule)
ax_lr.set(xlabel="step", ylabel="learning rate", title="Learning rate per step")
ax_loss.set(xlabel="step", ylabel="cross-entropy loss", yscale="log", title="Training loss")
ax_lr.legend()
ax_loss.legend()
plt.show()
