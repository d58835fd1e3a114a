"""
학습률에 얼마나 민감한가
==============================================================================

:ref:`Adam의 원리 절 <adam-principle>`\\ 은 Adam이 적응적 학습률 덕분에 하이퍼파라미터 튜닝에 덜
민감하다고 말합니다. 이 예제는 그 주장을 직접 재 봅니다. 같은 신경망을 같은 초기 가중치에서 출발해,
다섯 옵티마이저 각각을 로그 눈금으로 고른 여러 학습률로 짧게 학습시키고, 학습이 끝난 뒤의 테스트
손실을 비교합니다.

책을 빌드하는 시간 안에 끝나도록 Fashion-MNIST의 일부(훈련 이미지 5,000장, 테스트 이미지
2,000장)로 2 에포크씩만 학습합니다. 그래서 이 결과는 "짧게 학습했을 때 어떤 학습률 범위에서
쓸 만한 결과가 나오는가"에 대한 측정이며, 오래 학습한 뒤의 최종 성능과는 다를 수 있습니다.
"""

# %%
# .. _plot-lr-sensitivity-data-and-model:
#
# 데이터와 모델
# -------------
# :doc:`plot_fashion_mnist`\ 와 같은 모델과 데이터 읽기 방식을 쓰되, 데이터는 시드로 고정한
# 일부만 씁니다.

import copy
import json
import math
import os
from pathlib import Path

import matplotlib.pyplot as plt
import torch
from torch import nn

from myoptim import CHAPTER, pick_device
from myoptim.datasets import load_fashion_mnist

# MYOPTIM_QUICK=1 shrinks every example to a few seconds (the test suite uses it).
QUICK = os.environ.get("MYOPTIM_QUICK") == "1"
TRAIN_SIZE, TEST_SIZE = (500, 500) if QUICK else (5_000, 2_000)
EPOCHS = 1 if QUICK else 2
BATCH_SIZE = 64
LEARNING_RATES = [1e-4, 1e-3, 1e-2, 1e-1, 1.0] if QUICK else [10 ** (k / 2) for k in range(-9, 1)]

torch.manual_seed(0)
x_train, y_train = load_fashion_mnist(train=True)
x_test, y_test = load_fashion_mnist(train=False)
train_subset = torch.randperm(len(x_train))[:TRAIN_SIZE]
test_subset = torch.randperm(len(x_test))[:TEST_SIZE]
x_train, y_train = x_train[train_subset], y_train[train_subset]
x_test, y_test = x_test[test_subset], y_test[test_subset]
device = pick_device()  # the accelerator when there is one; the book's build: the CPU
x_train, y_train, x_test, y_test = (t.to(device) for t in (x_train, y_train, x_test, y_test))

model = nn.Sequential(
    nn.Flatten(), nn.Linear(784, 512), nn.ReLU(), nn.Linear(512, 512), nn.ReLU(), nn.Linear(512, 10)
).to(device)
initial_weights = copy.deepcopy(model.state_dict())
loss_fn = nn.CrossEntropyLoss()

# %%
# .. _plot-lr-sensitivity-one-run:
#
# 한 번의 학습
# ------------
# 매번 같은 초기 가중치와 같은 데이터 순서로 학습하고, 테스트 손실을 돌려줍니다. 학습률이
# 너무 커서 손실이 발산하면(무한대나 NaN) 무한대를 돌려줍니다.


def test_loss_after_training(make_optimizer, lr):
    model.load_state_dict(initial_weights)
    optimizer = make_optimizer(model.parameters(), lr)
    generator = torch.Generator().manual_seed(1)
    for _ in range(EPOCHS):
        order = torch.randperm(TRAIN_SIZE, generator=generator)
        for start in range(0, TRAIN_SIZE, BATCH_SIZE):
            batch = order[start : start + BATCH_SIZE]
            loss = loss_fn(model(x_train[batch]), y_train[batch])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
    with torch.no_grad():
        loss = loss_fn(model(x_test), y_test).item()
    return loss if math.isfinite(loss) else math.inf


# Every optimizer of the chapter, in its order: myoptim.CHAPTER lists them, and each entry
# makes its optimizer for the parameters and learning rate it is given.
OPTIMIZERS = {rule.name: rule.make for rule in CHAPTER}
losses = {
    name: [test_loss_after_training(make, lr) for lr in LEARNING_RATES]
    for name, make in OPTIMIZERS.items()
}

# %%
# .. _plot-lr-sensitivity-tables:
#
# 결과 표
# -------
# 첫 표의 행은 옵티마이저, 열은 학습률입니다. ``inf``\ 는 학습이 발산했다는 뜻입니다. 둘째
# 표는 각 옵티마이저의 가장 낮은 손실과 그때의 학습률, 그리고 손실이 그 최솟값의 1.5배 이내로
# 머문 학습률 구간의 폭(몇 배에 걸쳐 있는지)입니다. 폭이 넓을수록 학습률을 대충 골라도
# 괜찮다는 뜻입니다. 다만 폭은 각자의 최솟값에 견준 것이므로, 최솟값 자체가 높은
# 옵티마이저는 폭이 넓어도 다른 옵티마이저보다 나쁜 손실에 머물 수 있습니다. 두 가지를 함께
# 봐야 합니다.

summary = {}
for name, row in losses.items():
    best = min(row)
    good = [lr for lr, loss in zip(LEARNING_RATES, row) if loss <= 1.5 * best]
    summary[name] = {
        "best_loss": best,
        "best_lr": LEARNING_RATES[row.index(best)],
        "width": max(good) / min(good),
    }

print(f"{'lr':>14s}" + "".join(f"{lr:>9.0e}" for lr in LEARNING_RATES))
for name, row in losses.items():
    print(f"{name:>14s}" + "".join(f"{loss:9.3f}" for loss in row))
print(f"\n{'':>14s} {'best loss':>9s} {'at lr':>8s} {'width':>6s}")
for name, best in summary.items():
    print(f"{name:>14s} {best['best_loss']:9.3f} {best['best_lr']:8.0e} {best['width']:5.0f}x")

# %%
# .. _plot-lr-sensitivity-plot:
#
# 학습률에 따른 테스트 손실
# -------------------------
# 가로축은 로그 눈금의 학습률, 세로축은 테스트 손실입니다. 발산한 점은 그리지 않았습니다.
# 곡선의 바닥이 넓고 평평할수록 학습률에 덜 민감한 옵티마이저입니다.

fig, ax = plt.subplots(figsize=(8, 4.5))
for name, row in losses.items():
    finite = [(lr, loss) for lr, loss in zip(LEARNING_RATES, row) if math.isfinite(loss)]
    ax.plot(*zip(*finite), marker="o", label=name)
ax.axhline(math.log(10), color="gray", linestyle=":", label="chance level, ln 10")
ax.set(xscale="log", xlabel="learning rate", ylabel="test loss (cross-entropy)")
ax.set_ylim(0, 2 * math.log(10))
ax.set_title(f"Fashion-MNIST subset, {EPOCHS} epochs per run")
ax.legend()
fig.tight_layout()
plt.show()

# %%
# .. _plot-lr-sensitivity-results:
#
# 결과 저장
# ---------
# 환경 변수 ``MYOPTIM_RESULTS``\ 가 폴더를 가리키면, 숫자를 그 폴더에 JSON 파일로 남깁니다.
# 다른 설정이나 다른 컴퓨터에서 잰 결과와 비교할 때 쓸 수 있습니다. 책의 빌드가 이 변수를
# 정하고, 본문의 문장들이 이 숫자와 맞는지 확인합니다.

results = {"learning_rates": LEARNING_RATES, "losses": losses, "summary": summary}
if results_dir := os.environ.get("MYOPTIM_RESULTS"):
    Path(results_dir, "lr_sensitivity.json").write_text(json.dumps(results, indent=1))
