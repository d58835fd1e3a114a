"""
Fashion-MNIST에서 다섯 옵티마이저 비교
==============================================================================

3.6절의 실험입니다. 같은 신경망(784-512-512-10, ReLU)을 같은 초기 가중치에서 출발해
:class:`~myoptim.MySGD`, :class:`~myoptim.MySGDMomentum`, :class:`~myoptim.MyAdam`,
:class:`~myoptim.MyAdaGrad`, :class:`~myoptim.MyRMSProp` 으로 각각 학습시키고, 에포크마다
훈련 손실과 테스트 정확도를 기록합니다. 설정은 장과 같습니다: 배치 크기 64, 학습률
:math:`10^{-3}`, 교차 엔트로피 손실, 10 에포크.

한 가지만 다릅니다. 장은 60,000장의 훈련 이미지를 모두 쓰지만, 이 예제는 시드로 고정한
20,000장을 씁니다. 이 컴퓨터(CPU 코어 2개)에서 다섯 옵티마이저를 전체 데이터로 10 에포크씩
학습하면 6분쯤 걸려서, 책을 빌드하는 시간 예산을 넘기 때문입니다. ``TRAIN_SIZE = 60_000`` 으로
바꾸면 장의 설정 그대로 실행됩니다.
"""

# %%
# 데이터: 한 번만 텐서로 읽기
# ----------------------------
# 장의 코드(3.6.2)는 ``DataLoader`` 와 ``ToTensor`` 로 데이터를 읽습니다.
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
# 이 방식은 매 에포크, 매 이미지마다 PIL 이미지를 만들고 ``ToTensor`` 로 변환한 뒤 64개씩
# 모아 배치를 만듭니다. 이 일은 모두 파이썬에서 이미지 한 장씩 일어나므로, 이 컴퓨터에서는
# 한 에포크에 약 19초가 걸립니다. 반면 Fashion-MNIST는 메모리에 통째로 들어갈 만큼 작으므로
# (이미지 60,000장 × 784 픽셀 × 4바이트 ≈ 188 MB), 한 번만 텐서로 읽어 두고 매 에포크
# 인덱스만 섞어서 잘라 쓰면 같은 학습이 약 6초에 끝납니다. 값도 같습니다: ``ToTensor`` 는
# 픽셀을 255로 나눈 float32로 바꾸는데, :func:`~myoptim.datasets.load_fashion_mnist` 가
# 돌려주는 텐서가 바로 그 값입니다. 이 예제는 빠른 방식을 씁니다.
#
# 데이터는 torchvision이 내려받거나, 인터넷이 없는 컴퓨터에서는 Debian의
# ``dataset-fashion-mnist`` 패키지나 ``FASHION_MNIST_DIR`` 환경 변수가 가리키는 폴더에서
# 찾습니다. 어느 경우든 파일의 체크섬을 확인한 뒤에 씁니다.

import copy
import os
import time

import matplotlib.pyplot as plt
import torch
from torch import nn

from myoptim import MyAdaGrad, MyAdam, MyRMSProp, MySGD, MySGDMomentum
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
print(f"train: {tuple(x_train.shape)}, test: {tuple(x_test.shape)}")

# %%
# 모델
# ----
# 장의 ``NeuralNetwork`` 입니다. 모델을 하나 만들어 그 가중치를 복사해 두고, 옵티마이저마다
# 같은 가중치에서 출발합니다.


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
# 학습과 평가
# -----------
# ``train_one_epoch`` 는 장의 학습 루프와 같은 일을 합니다. 매 에포크 훈련 데이터의 순서를
# 섞고, 64개씩 잘라 ``zero_grad()``, ``backward()``, ``step()`` 을 수행합니다. 섞는 순서는
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
# 다섯 옵티마이저로 학습하기
# --------------------------
# 모든 옵티마이저가 장과 같은 학습률 :math:`10^{-3}` 을 씁니다. ``MySGDMomentum`` 의
# momentum은 0.9, 나머지 하이퍼파라미터는 각 클래스의 기본값입니다.

OPTIMIZERS = {
    "MySGD": lambda params: MySGD(params, lr=LEARNING_RATE),
    "MySGDMomentum": lambda params: MySGDMomentum(params, lr=LEARNING_RATE, momentum=0.9),
    "MyAdam": lambda params: MyAdam(params, lr=LEARNING_RATE),
    "MyAdaGrad": lambda params: MyAdaGrad(params, lr=LEARNING_RATE),
    "MyRMSProp": lambda params: MyRMSProp(params, lr=LEARNING_RATE),
}

results = {}
for name, make_optimizer in OPTIMIZERS.items():
    model = NeuralNetwork()
    model.load_state_dict(initial_weights)
    optimizer = make_optimizer(model.parameters())
    generator = torch.Generator().manual_seed(1)
    losses, accuracies, seconds = [], [], 0.0
    for _ in range(EPOCHS):
        start = time.perf_counter()
        losses.append(train_one_epoch(model, optimizer, generator))
        seconds += time.perf_counter() - start
        accuracies.append(test_accuracy(model))
    results[name] = {"loss": losses, "accuracy": accuracies, "seconds": seconds / EPOCHS}
    print(f"{name:14s} test accuracy {accuracies[-1]:.4f}")

# %%
# 학습 곡선
# ---------
# 3.6.4절에 실린 그림입니다. 왼쪽은 에포크마다의 평균 훈련 손실, 오른쪽은 테스트 정확도입니다.

fig, (ax_loss, ax_accuracy) = plt.subplots(1, 2, figsize=(11, 4.2))
epochs = range(1, EPOCHS + 1)
for name, result in results.items():
    ax_loss.plot(epochs, result["loss"], marker="o", label=name)
    ax_accuracy.plot(epochs, result["accuracy"], marker="o", label=name)
ax_loss.set(title="Training loss", xlabel="epoch", ylabel="cross-entropy", yscale="log")
ax_accuracy.set(title="Test accuracy", xlabel="epoch", ylabel="accuracy")
ax_accuracy.legend()
fig.suptitle(f"Fashion-MNIST, MLP 784-512-512-10, batch {BATCH_SIZE}, lr {LEARNING_RATE:g}")
fig.tight_layout()
plt.show()

# %%
# 최종 정확도와 에포크당 시간
# ---------------------------
# 정확도는 시드가 같으면 빌드할 때마다 같고, 시간은 컴퓨터와 그때의 부하에 따라 달라집니다.
# 적응적 옵티마이저(Adam, AdaGrad, RMSProp)가 SGD보다 느린 것은 스텝마다 파라미터 하나에
# 텐서 연산을 여러 번 더 하기 때문입니다.

print(f"{'optimizer':14s} {'test accuracy':>13s} {'s / epoch':>10s}")
for name, result in results.items():
    print(f"{name:14s} {result['accuracy'][-1]:13.4f} {result['seconds']:10.2f}")
