"""
Fashion-MNIST에서 학습률 스케줄과 시드
==============================================================================

:ref:`잡음과 스케줄 절 <noise-fashion-mnist>`\\ 의 예제입니다. 2차 함수에서 본 잡음 바닥이
신경망에서도 보이는지 확인합니다. 같은 신경망을 ``MySGDMomentum``\\ 으로, 학습률을 일정하게
두었을 때와 코사인 스케줄로 줄였을 때 각각 여러 시드로 학습하고, 시드마다의 결과가 얼마나
퍼지는지 봅니다. 시드는 초기 가중치와 미니배치의 순서를 정합니다.

책을 빌드하는 시간 안에 끝나도록 Fashion-MNIST의 일부(훈련 이미지 5,000장, 테스트 이미지
2,000장)로 4 에포크씩 학습합니다.
"""

# %%
# .. _plot-schedule-seeds-training:
#
# 학습
# ----
# ``TorchOptimizer``\ 로 감싼 ``MySGDMomentum``\ 에 ``CosineAnnealingLR``\ 을 붙이면, 학습률이
# 학습이 끝날 때 0이 되도록 코사인 곡선을 따라 줄어듭니다.

import json
import math
import os
from pathlib import Path

import matplotlib.pyplot as plt
import torch
from torch import nn
from torch.optim import lr_scheduler

from myoptim import MySGDMomentum, TorchOptimizer, pick_device
from myoptim.datasets import load_fashion_mnist

# MYOPTIM_QUICK=1 shrinks every example to a few seconds (the test suite uses it).
QUICK = os.environ.get("MYOPTIM_QUICK") == "1"
TRAIN_SIZE, TEST_SIZE = (500, 500) if QUICK else (5_000, 2_000)
EPOCHS, SEEDS = (2, 2) if QUICK else (4, 4)
BATCH_SIZE, LR, MOMENTUM = 64, 0.05, 0.9

subset = torch.Generator().manual_seed(0)
x_train, y_train = load_fashion_mnist(train=True)
x_test, y_test = load_fashion_mnist(train=False)
train_rows = torch.randperm(len(x_train), generator=subset)[:TRAIN_SIZE]
test_rows = torch.randperm(len(x_test), generator=subset)[:TEST_SIZE]
x_train, y_train = x_train[train_rows], y_train[train_rows]
x_test, y_test = x_test[test_rows], y_test[test_rows]
device = pick_device()  # the accelerator when there is one; the book's build: the CPU
x_train, y_train, x_test, y_test = (t.to(device) for t in (x_train, y_train, x_test, y_test))
loss_fn = nn.CrossEntropyLoss()


def train(seed, schedule):
    """Test loss and accuracy after every epoch, for one seed and one schedule."""
    torch.manual_seed(seed)
    model = nn.Sequential(
        nn.Flatten(),
        nn.Linear(784, 512),
        nn.ReLU(),
        nn.Linear(512, 512),
        nn.ReLU(),
        nn.Linear(512, 10),
    ).to(device)  # made on the CPU first: the same weights for a seed on every device
    optimizer = TorchOptimizer(MySGDMomentum, model.parameters(), lr=LR, momentum=MOMENTUM)
    steps = EPOCHS * math.ceil(TRAIN_SIZE / BATCH_SIZE)
    scheduler = (
        lr_scheduler.CosineAnnealingLR(optimizer, T_max=steps) if schedule == "cosine" else None
    )
    order = torch.Generator().manual_seed(seed)
    history = {"loss": [], "accuracy": []}
    for _ in range(EPOCHS):
        for batch in torch.randperm(TRAIN_SIZE, generator=order).split(BATCH_SIZE):
            loss = loss_fn(model(x_train[batch]), y_train[batch])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            if scheduler:
                scheduler.step()
        with torch.no_grad():
            logits = model(x_test)
        history["loss"].append(loss_fn(logits, y_test).item())
        history["accuracy"].append((logits.argmax(dim=1) == y_test).float().mean().item())
    return history


SCHEDULES = ("constant", "cosine")
runs = {schedule: [train(seed, schedule) for seed in range(SEEDS)] for schedule in SCHEDULES}

# %%
# .. _plot-schedule-seeds-spread:
#
# 시드에 따른 퍼짐
# ----------------
# 마지막 에포크의 테스트 손실을 시드마다 적고, 가장 큰 값과 가장 작은 값의 차이를 퍼짐으로
# 봅니다.

final = {schedule: [run["loss"][-1] for run in runs[schedule]] for schedule in SCHEDULES}
for schedule, losses in final.items():
    spread = max(losses) - min(losses)
    print(f"{schedule:8s} final test loss per seed: {', '.join(f'{x:.3f}' for x in losses)}")
    print(f"{'':8s} mean {sum(losses) / len(losses):.3f}, spread {spread:.3f}")

fig, (left, right) = plt.subplots(1, 2, figsize=(9, 4), sharex=True, layout="constrained")
epochs = range(1, EPOCHS + 1)
for schedule, color in zip(SCHEDULES, ("tab:blue", "tab:orange")):
    for seed, run in enumerate(runs[schedule]):
        label = f"{schedule} lr, {SEEDS} seeds" if seed == 0 else None
        left.plot(epochs, run["loss"], color=color, marker="o", alpha=0.7, label=label)
        right.plot(epochs, run["accuracy"], color=color, marker="o", alpha=0.7, label=label)
left.set(xlabel="epoch", ylabel="test loss", title="test loss, one line per seed")
right.set(xlabel="epoch", ylabel="test accuracy", title="test accuracy, one line per seed")
left.set_xticks(list(epochs))
left.legend()
right.legend()
plt.show()

# %%
# .. _plot-schedule-seeds-results:
#
# 결과 저장
# ---------
# 환경 변수 ``MYOPTIM_RESULTS``\ 가 폴더를 가리키면, 숫자를 그 폴더에 JSON 파일로 남깁니다.
# 본문의 문장들이 이 숫자와 맞는지 책의 빌드가 확인합니다.

results = {"epochs": EPOCHS, "seeds": SEEDS, "lr": LR, "runs": runs, "final_loss": final}
if results_dir := os.environ.get("MYOPTIM_RESULTS"):
    Path(results_dir, "schedule_seeds.json").write_text(json.dumps(results, indent=1))
