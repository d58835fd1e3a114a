"""
Fashion-MNIST에서 다섯 옵티마이저 비교
==============================================================================

:ref:`Fashion-MNIST 절 <fashion-mnist>`\\ 의 실험입니다. 같은 신경망(784-512-512-10, ReLU)을 같은
초기 가중치에서 출발해 :class:`~myoptim.MySGD`, :class:`~myoptim.MySGDMomentum`,
:class:`~myoptim.MyAdam`, :class:`~myoptim.MyAdaGrad`, :class:`~myoptim.MyRMSProp`\\ 으로 각각
학습시키고, 에포크마다 훈련 손실과 테스트 정확도를 기록합니다. 설정은 장과 같습니다: 배치 크기 64,
학습률 :math:`10^{-3}`, 교차 엔트로피 손실, 10 에포크.

한 가지만 다릅니다. 장은 60,000장의 훈련 이미지를 모두 쓰지만, 이 예제는 시드로 고정한
20,000장을 씁니다. 책을 빌드할 때마다 이 학습을 열 번 하므로, 빌드 시간을 줄이기 위해서입니다.
``TRAIN_SIZE = 60_000``\\ 으로 바꾸면 장의 설정 그대로 실행됩니다(세 배쯤 오래 걸립니다).

학습률 :math:`10^{-3}` 하나로 비교하면 그 학습률이 잘 맞는 옵티마이저가 유리합니다. 그래서
:doc:`plot_lr_sensitivity`\\ 의 학습률 탐색에서 각 옵티마이저가 가장 좋았던 학습률로도 한 번씩
학습해, 두 비교를 나란히 봅니다.
"""

# %%
# .. _plot-fashion-mnist-data:
#
# 데이터: 한 번만 텐서로 읽기
# ----------------------------
# 장의 코드(:numref:`%s <fashion-mnist-training-code>`)는
# ``DataLoader``\ 와 ``ToTensor``\ 로 데이터를 읽습니다.
#
# .. code-block:: python
#
#    training_data = datasets.FashionMNIST(
#        root="data", train=True, download=True, transform=ToTensor()
#    )
#    train_dataloader = DataLoader(training_data, batch_size=64, shuffle=True)
#    for X, y in train_dataloader:
#        ...
#
# 이 방식은 매 에포크, 매 이미지마다 PIL 이미지를 만들고 ``ToTensor``\ 로 변환한 뒤 64개씩
# 모아 배치를 만듭니다. 이 일은 모두 파이썬에서 이미지 한 장씩 일어나므로, CPU에서는 모델을
# 학습하는 것보다 오래 걸립니다. 반면 Fashion-MNIST는 메모리에 통째로 들어갈 만큼 작으므로
# (이미지 60,000장 × 784 픽셀 × 4바이트 ≈ 188 MB), 한 번만 텐서로 읽어 두고 매 에포크
# 인덱스만 섞어서 잘라 쓰면 같은 학습이 몇 배 빨리 끝납니다. 저장소의
# ``benchmarks/throughput.py``\ 가 두 방식의 속도를 잽니다. 값도 같습니다: ``ToTensor``\ 는
# 픽셀을 255로 나눈 float32로 바꾸는데, :func:`~myoptim.datasets.load_fashion_mnist`\ 가
# 돌려주는 텐서가 바로 그 값입니다. 이 예제는 빠른 방식을 씁니다.
#
# 데이터는 torchvision이 내려받거나, 인터넷이 없는 컴퓨터에서는 Debian의
# ``dataset-fashion-mnist`` 패키지나 ``FASHION_MNIST_DIR`` 환경 변수가 가리키는 폴더에서
# 찾습니다. 어느 경우든 파일의 체크섬을 확인한 뒤에 씁니다.

import copy
import json
import os
import time
from pathlib import Path

import matplotlib.pyplot as plt
import torch
from torch import nn

from myoptim import CHAPTER, pick_device
from myoptim.datasets import load_fashion_mnist

# MYOPTIM_QUICK=1 shrinks every example to a few seconds (the test suite uses it).
QUICK = os.environ.get("MYOPTIM_QUICK") == "1"
TRAIN_SIZE = 1_000 if QUICK else 20_000  # the chapter uses all 60_000
EPOCHS = 2 if QUICK else 10
BATCH_SIZE = 64
LEARNING_RATE = 1e-3

torch.manual_seed(0)
x_train, y_train = load_fashion_mnist(train=True)
x_test, y_test = load_fashion_mnist(train=False)
subset = torch.randperm(len(x_train))[:TRAIN_SIZE]
x_train, y_train = x_train[subset], y_train[subset]
device = pick_device()  # the accelerator when there is one; the book's build: the CPU
x_train, y_train, x_test, y_test = (t.to(device) for t in (x_train, y_train, x_test, y_test))
print(f"train: {tuple(x_train.shape)}, test: {tuple(x_test.shape)}")

# %%
# .. _plot-fashion-mnist-model:
#
# 모델
# ----
# 장의 ``NeuralNetwork`` (:numref:`%s <fashion-mnist-training-code>`)입니다.
# 모델을 하나 만들어 그 가중치를 복사해 두고,
# 옵티마이저마다 같은 가중치에서 출발합니다.


class NeuralNetwork(nn.Module):
    def __init__(self):
        super().__init__()
        self.flatten = nn.Flatten()
        self.linear_relu_stack = nn.Sequential(
            nn.Linear(28 * 28, 512),
            nn.ReLU(),
            nn.Linear(512, 512),
            nn.ReLU(),
            nn.Linear(512, 10),
        )

    def forward(self, x):
        return self.linear_relu_stack(self.flatten(x))


initial_weights = copy.deepcopy(NeuralNetwork().state_dict())
loss_fn = nn.CrossEntropyLoss()

# %%
# .. _plot-fashion-mnist-train-and-evaluate:
#
# 학습과 평가
# -----------
# ``train_one_epoch``\ 는 장의 학습 루프와 같은 일을 합니다. 매 에포크 훈련 데이터의 순서를
# 섞고, 64개씩 잘라 ``zero_grad()``, ``backward()``, ``step()``\ 을 수행합니다. 섞는 순서는
# 옵티마이저마다 같도록 시드를 정한 생성기로 만듭니다.


def train_one_epoch(model, optimizer, generator):
    model.train()
    order = torch.randperm(len(x_train), generator=generator)
    total_loss = 0.0
    for start in range(0, len(order), BATCH_SIZE):
        batch = order[start : start + BATCH_SIZE]
        loss = loss_fn(model(x_train[batch]), y_train[batch])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        total_loss += loss.item() * len(batch)
    return total_loss / len(order)


@torch.no_grad()
def test_accuracy(model):
    model.eval()
    return (model(x_test).argmax(dim=1) == y_test).float().mean().item()


# %%
# .. _plot-fashion-mnist-five-optimizers:
#
# 다섯 옵티마이저로 학습하기
# --------------------------
# ``train``\ 은 같은 초기 가중치와 같은 데이터 순서로 ``EPOCHS`` 에포크를 학습하며, 에포크마다
# 훈련 손실과 테스트 정확도, 학습에 걸린 시간을 기록합니다. 옵티마이저가 파라미터마다 저장하는
# 상태(모멘텀의 velocity, Adam의 :math:`m, v` 등)의 크기도 잽니다.


def train(make_optimizer, lr):
    model = NeuralNetwork().to(device)
    model.load_state_dict(initial_weights)
    optimizer = make_optimizer(model.parameters(), lr)
    generator = torch.Generator().manual_seed(1)
    losses, accuracies, seconds = [], [], []
    for _ in range(EPOCHS):
        start = time.perf_counter()
        losses.append(train_one_epoch(model, optimizer, generator))
        seconds.append(time.perf_counter() - start)
        accuracies.append(test_accuracy(model))
    state_bytes = sum(
        value.nbytes
        for state in optimizer.state.values()
        for value in state.values()
        if isinstance(value, torch.Tensor)
    )
    return {
        "lr": lr,
        "loss": losses,
        "accuracy": accuracies,
        # the fastest epoch: other programs on the machine can only make an epoch slower
        "seconds_per_epoch": min(seconds),
        "state_mb": state_bytes / 2**20,
    }


# Every optimizer of the chapter, in its order: myoptim.CHAPTER lists them, and each entry
# makes its optimizer for the parameters and learning rate it is given.
OPTIMIZERS = {rule.name: rule.make for rule in CHAPTER}

# %%
# 먼저 장의 설정대로, 모든 옵티마이저가 같은 학습률 :math:`10^{-3}`\ 을 씁니다.
# ``MySGDMomentum``\ 의 momentum은 0.9, 나머지 하이퍼파라미터는 각 클래스의 기본값입니다.

started = time.perf_counter()
same_lr = {name: train(make, LEARNING_RATE) for name, make in OPTIMIZERS.items()}
for name, result in same_lr.items():
    print(f"{name:14s} test accuracy {result['accuracy'][-1]:.4f}")

# %%
# .. _plot-fashion-mnist-learning-curves:
#
# 학습 곡선
# ---------
# :numref:`%s <fashion-mnist-comparison>`\ 절에 실린 그림입니다.
# 왼쪽은 에포크마다의 평균 훈련 손실, 오른쪽은 테스트 정확도입니다.

fig, (ax_loss, ax_accuracy) = plt.subplots(1, 2, figsize=(10, 4))
epochs = range(1, EPOCHS + 1)
for name, result in same_lr.items():
    ax_loss.plot(epochs, result["loss"], marker="o", label=name)
    ax_accuracy.plot(epochs, result["accuracy"], marker="o", label=name)
ax_loss.set(title="Training loss", xlabel="epoch", ylabel="cross-entropy", yscale="log")
ax_accuracy.set(title="Test accuracy", xlabel="epoch", ylabel="accuracy")
ax_loss.legend()
ax_accuracy.legend()
fig.suptitle(f"Fashion-MNIST, MLP 784-512-512-10, batch {BATCH_SIZE}, lr {LEARNING_RATE:g}")
fig.tight_layout()
plt.show()

# %%
# .. _plot-fashion-mnist-best-learning-rates:
#
# 각자 가장 좋은 학습률로
# -----------------------
# 같은 학습률은 공정해 보이지만, 옵티마이저마다 잘 맞는 학습률의 크기가 다릅니다.
# :doc:`plot_lr_sensitivity`\ 의 학습률 탐색(데이터 일부, 2 에포크)에서 테스트 손실이 가장
# 낮았던 학습률이 아래 ``BEST_LR`` 입니다. 책의 빌드는 이 값이 탐색 결과와 같은지 확인합니다.
# 학습률이 :math:`10^{-3}` 인 옵티마이저는 위의 결과를 그대로 씁니다.

BEST_LR = {rule.name: rule.best_lr for rule in CHAPTER}
best_lr = {
    name: same_lr[name] if lr == LEARNING_RATE else train(OPTIMIZERS[name], lr)
    for name, lr in BEST_LR.items()
}
print(f"{'optimizer':14s} {'lr':>8s} {'test accuracy':>13s}")
for name, result in best_lr.items():
    print(f"{name:14s} {result['lr']:8.0e} {result['accuracy'][-1]:13.4f}")

# %%
# .. _plot-fashion-mnist-choosing:
#
# 무엇을 고를까: 정확도, 시간, 메모리
# -----------------------------------
# :numref:`%s <fashion-mnist-choosing>`\ 절에 실린 그림입니다.
# 왼쪽은 마지막 에포크의 테스트 정확도를 두 설정으로, 가운데는
# 학습률 :math:`10^{-3}`\ 에서 열 에포크 중 가장 빠른 에포크의 학습 시간, 오른쪽은 옵티마이저가
# 파라미터 0.67 M개에 대해 저장하는 상태의 크기입니다. 다른 프로그램이 컴퓨터를 함께 쓰면
# 에포크가 느려질 뿐이므로, 가장 빠른 에포크가 학습 자체의 비용에 가장 가깝습니다. 그래도
# 시간은 컴퓨터에 따라 달라집니다. 정확도와 메모리는 시드가 같으면 빌드할 때마다 같습니다.

names = list(OPTIMIZERS)
short = [name.removeprefix("My") for name in names]
fig, (ax_acc, ax_time, ax_mem) = plt.subplots(1, 3, figsize=(10, 3.6), layout="constrained")
x = torch.arange(len(names)).tolist()
ax_acc.bar(
    [i - 0.2 for i in x],
    [same_lr[n]["accuracy"][-1] for n in names],
    0.4,
    label=f"lr {LEARNING_RATE:g}",
)
ax_acc.bar(
    [i + 0.2 for i in x],
    [best_lr[n]["accuracy"][-1] for n in names],
    0.4,
    label="best lr of the sweep",
)
ax_acc.set(title="Test accuracy", ylim=(0.5, 1.05))
ax_acc.legend(loc="upper left", ncols=2, fontsize=9.5)
ax_time.bar(x, [same_lr[n]["seconds_per_epoch"] for n in names], color="C2", label="lr 0.001")
ax_time.set(title="Seconds per epoch (fastest)")
ax_time.set_ylim(0, 1.3 * max(same_lr[n]["seconds_per_epoch"] for n in names))
ax_time.legend(loc="upper left")
ax_mem.bar(x, [same_lr[n]["state_mb"] for n in names], color="C3", label="state tensors")
ax_mem.set(title="Optimizer state (MB)")
ax_mem.legend(loc="upper left")
for ax in (ax_acc, ax_time, ax_mem):
    ax.set_xticks(x, short, rotation=30, ha="right")
plt.show()

# %%
# .. _plot-fashion-mnist-numbers:
#
# 숫자로 보기
# -----------
# 그림의 숫자입니다. 정확도는 마지막 에포크의 테스트 정확도입니다.

print(
    f"{'optimizer':14s} {'acc @1e-3':>9s} {'best lr':>8s} {'acc @best':>9s} "
    f"{'s/epoch':>8s} {'state MB':>8s}"
)
for name in names:
    a, b = same_lr[name], best_lr[name]
    print(
        f"{name:14s} {a['accuracy'][-1]:9.4f} {b['lr']:8.0e} {b['accuracy'][-1]:9.4f} "
        f"{a['seconds_per_epoch']:8.2f} {a['state_mb']:8.2f}"
    )
print(f"\ntraining took {time.perf_counter() - started:.0f} s in all")

# %%
# .. _plot-fashion-mnist-results:
#
# 결과 저장
# ---------
# 환경 변수 ``MYOPTIM_RESULTS``\ 가 폴더를 가리키면, 숫자를 그 폴더에 JSON 파일로 남깁니다.
# 다른 설정이나 다른 컴퓨터에서 잰 결과와 비교할 때 쓸 수 있습니다. 책의 빌드가 이 변수를
# 정하고, 본문의 문장들이 이 숫자와 맞는지 확인합니다.

results = {"same_lr": same_lr, "best_lr": best_lr, "train_size": TRAIN_SIZE, "epochs": EPOCHS}
if results_dir := os.environ.get("MYOPTIM_RESULTS"):
    Path(results_dir, "fashion_mnist.json").write_text(json.dumps(results, indent=1))
