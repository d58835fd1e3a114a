"""
적응적 옵티마이저와 대각 전처리: 회전한 골짜기와 가중치 감쇠
==============================================================================

:ref:`전처리 절 <preconditioning>`\\ 은 AdaGrad, RMSProp, Adam이 좌표마다 스텝을 나누는 것을
대각 전처리(diagonal preconditioning)로 봅니다. 이 예제는 그 관점의 두 가지 결과를 잽니다.
골짜기가 좌표축과 나란하면 대각 전처리가 조건수를 없애지만, 골짜기가 회전하면 그러지
못합니다. 또 Adam 안에서 L2 항은 그래디언트와 함께 나뉘므로, 가중치마다 감쇠의 세기가
달라집니다.
"""

# %%
# .. _plot-preconditioning-rotated-quadratics:
#
# 회전한 2차 함수들
# -----------------
# 고윳값이 1과 :math:`\kappa = 100`\ 인 2차 함수를 0도부터 45도까지 회전시킵니다. 회전 각도마다
# 행 하나를 두어, 옵티마이저 하나가 모든 각도를 한꺼번에 풉니다. 출발점도 함께 회전시키므로,
# 회전과 상관없는 방법이라면 모든 각도에서 같은 경로를 지납니다. 손실이 처음의
# ``TOLERANCE``\ 배 아래로 내려간 뒤 실행이 끝날 때까지 그 아래에 머무는 스텝을 잽니다. 한 번
# 내려갔다가 다시 올라오면 수렴한 것으로 치지 않습니다.

import json
import math
import os
import sys
from pathlib import Path

import matplotlib.pyplot as plt
import torch

from myoptim import MyAdaGrad, MyAdam, MyRMSProp, MySGD

F64 = torch.float64
KAPPA, STEPS, TOLERANCE = 100, 1000, 1e-6
ANGLES = torch.linspace(0, 45, 10, dtype=F64)
LRS = [10 ** (k / 4) for k in range(-12, 5)]  # 0.001 to 10, four per decade

phi = torch.deg2rad(ANGLES)
rotations = torch.stack(
    [torch.stack([phi.cos(), -phi.sin()], -1), torch.stack([phi.sin(), phi.cos()], -1)], -2
)
A = rotations @ torch.diag(torch.tensor([1.0, KAPPA], dtype=F64)) @ rotations.mT
start = rotations @ torch.tensor([1.0, 0.5], dtype=F64)


def loss(theta):
    """One quadratic 0.5 * theta^T A theta per row (per rotation angle)."""
    return 0.5 * torch.einsum("...ri,rij,...rj->...r", theta, A, theta)


def trajectory(optimizer_class, lr):
    """The parameters of every row before and after each step: (STEPS + 1, angles, 2)."""
    theta = start.clone()
    optimizer = optimizer_class([theta], lr=lr)
    points = [start]
    for _ in range(STEPS):
        # The gradient of 0.5 * theta^T A theta is A theta: set it without autograd (faster).
        theta.grad = torch.einsum("rij,rj->ri", A, theta)
        optimizer.step()
        points.append(theta.clone())
    return torch.stack(points)


def steps_to_converge(points):
    """Per angle: the step after which the loss stays below TOLERANCE times its start until
    the end of the run (STEPS + 1 if it is above at the end)."""
    losses = loss(points)
    above = ~(losses < TOLERANCE * losses[0])  # NaN counts as above
    steps = torch.arange(STEPS + 1)[:, None]
    return torch.where(above, steps, 0).amax(dim=0) + 1


# %%
# .. _plot-preconditioning-steps:
#
# 각도에 따른 스텝 수
# -------------------
# 옵티마이저마다 학습률 17개를 시도해, 각도마다 가장 적은 스텝 수를 고릅니다.

OPTIMIZERS = (MySGD, MyAdaGrad, MyRMSProp, MyAdam)
steps, best_paths = {}, {}
for optimizer_class in OPTIMIZERS:
    runs = [trajectory(optimizer_class, lr) for lr in LRS]
    fewest = torch.stack([steps_to_converge(points) for points in runs]).min(dim=0)
    name = optimizer_class.__name__
    steps[name] = fewest.values.tolist()
    # For each angle, the run at its best learning rate (the figures below draw it).
    best_paths[name] = [(LRS[k], runs[k]) for k in fewest.indices.tolist()]
    print(f"{name:10s}", steps[name])

# %%
# 대각 전처리가 줄 수 있는 가장 좋은 조건수도 계산합니다. 2×2 행렬에서는 대각 성분이 1이
# 되도록 나누는 것(야코비 전처리, Jacobi preconditioning)이 가장 좋은 대각 전처리이고,
# :math:`\gamma = a_{12} / \sqrt{a_{11} a_{22}}`\ 라 하면 그때의 조건수는
# :math:`(1 + |\gamma|)/(1 - |\gamma|)`\ 입니다.

gamma = (A[:, 0, 1] / (A[:, 0, 0] * A[:, 1, 1]).sqrt()).abs()
best_diagonal_kappa = ((1 + gamma) / (1 - gamma)).tolist()

fig, (left, right) = plt.subplots(1, 2, figsize=(9, 4), layout="constrained")
for name, counts in steps.items():
    right.plot(ANGLES, counts, marker="o", label=name)
right.set(xlabel="rotation angle (degrees)", ylabel=f"steps to stay below loss x {TOLERANCE:g}")
right.set_title("best learning rate per angle")
right.legend()
left.plot(ANGLES, best_diagonal_kappa, marker="o", color="black")
left.axhline(KAPPA, color="gray", linestyle=":", label=f"kappa of A = {KAPPA}")
left.set(xlabel="rotation angle (degrees)", ylabel="condition number", yscale="log")
left.set_title("after the best diagonal preconditioner")
left.legend()
plt.show()

# %%
# .. _plot-preconditioning-paths:
#
# 경로
# ----
# 0도와 45도에서 옵티마이저마다 가장 좋은 학습률로 처음 ``DRAWN_STEPS``\ 스텝 동안 지나간
# 길입니다. 책의 웹 페이지에서는 각도와 옵티마이저를 바꿔 볼 수 있습니다.

DRAWN_STEPS, EXTENT = 60, 1.5


def contours(ax, angle):
    """Level sets of the quadratic rotated by `angle` (an index into ANGLES)."""
    x, y = torch.meshgrid(*[torch.linspace(-EXTENT, EXTENT, 200, dtype=F64)] * 2, indexing="xy")
    grid = torch.stack([x, y], dim=-1)
    values = 0.5 * torch.einsum("...i,ij,...j->...", grid, A[angle], grid)
    ax.contour(x, y, values, levels=torch.logspace(-2, 1, 8), cmap="Greys", linewidths=0.7)


fig, axes = plt.subplots(1, 2, figsize=(9, 4.4), sharey=True, layout="constrained")
for ax, angle in zip(axes, (0, len(ANGLES) - 1)):
    contours(ax, angle)
    for name, runs in best_paths.items():
        lr, run = runs[angle]
        ax.plot(
            *run[: DRAWN_STEPS + 1, angle].T, marker=".", linewidth=1, label=f"{name}, lr {lr:.3g}"
        )
    ax.set(xlim=(-EXTENT, EXTENT), ylim=(-EXTENT, EXTENT), aspect="equal")
    ax.set_title(f"rotated by {ANGLES[angle]:g} degrees: first {DRAWN_STEPS} steps")
    ax.legend(loc="lower right", fontsize=9)
plt.show()

# %%
# ``show(angle, optimizer)``\ 는 한 각도에서 한 옵티마이저의 경로와 손실을 그립니다.
# 노트북(Colab, Jupyter)에서는 ``explore()``\ 가 두 값을 고르는 위젯을 만듭니다.


def show(angle=45, optimizer="MyAdaGrad"):
    """One optimizer at one angle (degrees): its path at its best learning rate, and its loss."""
    k = int((ANGLES - angle).abs().argmin())
    lr, run = best_paths[optimizer][k]
    _, (left, right) = plt.subplots(1, 2, figsize=(9, 4), layout="constrained")
    contours(left, k)
    left.plot(*run[: DRAWN_STEPS + 1, k].T, marker=".", linewidth=1)
    left.set(xlim=(-EXTENT, EXTENT), ylim=(-EXTENT, EXTENT), aspect="equal")
    left.set_title(f"{optimizer}, lr {lr:.3g}, {ANGLES[k]:g} degrees")
    right.semilogy(loss(run)[:, k] / loss(start)[k])
    right.axhline(TOLERANCE, color="gray", linestyle=":")
    right.set(xlabel="step", title="loss / first loss")
    plt.show()


def explore():
    """Widgets for show() in a notebook (Colab has ipywidgets)."""
    try:
        from ipywidgets import interact
    except ImportError:
        print("For widgets: pip install ipywidgets. Or call show(angle=..., optimizer=...).")
        return
    interact(show, angle=(0, 45, 5), optimizer=list(best_paths))


if "ipykernel" in sys.modules:  # run as a notebook
    explore()

# %%
# 움직이는 그림은 각도 10개와 옵티마이저 네 개의 조합마다 경로와 손실을 그립니다. 그 숫자를
# 여기서 모아 둡니다.

CURVE_STEPS = range(0, STEPS + 1, 25)


def log_scale(values, low=-8.0, high=3.0):
    """log10 of each value x 100 as integers, within [low, high], up to the first that reaches
    either (the figure's edges); None where it overflowed."""
    logs = values.log10().clamp(low, high).mul(100).round().tolist()
    edge = next((k for k, v in enumerate(logs) if v in (100 * low, 100 * high)), len(logs) - 1)
    return [int(v) if math.isfinite(v) else None for v in logs[: edge + 1]]


def frame(name, angle):
    """What the movable figure draws and says for one optimizer at one angle."""
    lr, run = best_paths[name][angle]
    drawn = run[: DRAWN_STEPS + 1, angle]
    drawn = drawn[: int((drawn.abs() <= 100).all(dim=-1).cumprod(0).sum())]  # NaN, inf
    converged = steps[name][angle] <= STEPS
    return {
        "path": drawn.mul(100).round().int().flatten().tolist(),
        "curve": log_scale(loss(run[list(CURVE_STEPS)])[:, angle] / loss(start)[angle]),
        "angle": ANGLES[angle].item(),
        "lr": lr,
        "say": "converges" if converged else "never",
        "text": {"lr": f"{lr:.3g}", "steps": str(steps[name][angle])},
    }


movable = {
    "controls": [
        {"name": "angle", "values": ANGLES.tolist(), "text": [f"{a:.0f}" for a in ANGLES]},
        {"name": "optimizer", "values": list(steps), "text": list(steps), "choice": True},
    ],
    "start": [0, list(steps).index("MyAdaGrad")],
    "common": {
        "extent": EXTENT,
        "ellipses": [[(2 * c) ** 0.5, (2 * c / KAPPA) ** 0.5] for c in (0.02, 0.2, 2, 13)],
        "x": list(CURVE_STEPS),
        "ylim": [-800, 100],
        "line": round(100 * math.log10(TOLERANCE)),
        "labels": {"path": f"first {DRAWN_STEPS} steps", "curve": "loss / first loss", "x": "step"},
    },
    "frames": [frame(name, angle) for angle in range(len(ANGLES)) for name in steps],
}

# %%
# .. _plot-preconditioning-weight-decay:
#
# L2 항과 분리된 가중치 감쇠
# ---------------------------
# 손실의 그래디언트가 순수한 잡음인 두 가중치를 생각합니다. 잡음의 표준편차는 한쪽이 0.01,
# 다른 쪽이 1입니다. 가중치 감쇠가 없다면 두 가중치는 평균적으로 제자리에 머물고, 감쇠가 두
# 가중치를 0 쪽으로 당기는 세기를 볼 수 있습니다. 감쇠를 L2 항으로 손실에 더하는 방법과,
# AdamW처럼 Adam의 업데이트 밖에서 :math:`\theta \leftarrow \theta(1 - \alpha\lambda)`\ 로 곱하는
# 방법을 비교합니다. 행 하나가 독립된 실행 하나입니다.

NOISE = torch.tensor([0.01, 1.0], dtype=F64)
RUNS, DECAY_STEPS, LR, WEIGHT_DECAY = 1000, 2000, 1e-3, 0.1


def decay_run(decoupled):
    """Mean weights over RUNS independent runs, after every step."""
    generator = torch.Generator().manual_seed(0)
    theta = torch.ones(RUNS, 2, dtype=F64, requires_grad=True)
    optimizer = MyAdam([theta], lr=LR)
    means = [theta.detach().mean(dim=0)]
    for _ in range(DECAY_STEPS):
        optimizer.zero_grad()
        noise = torch.randn(RUNS, 2, dtype=F64, generator=generator) * NOISE
        objective = (noise * theta).sum()  # its gradient is the noise itself
        if decoupled:
            with torch.no_grad():
                theta.mul_(1 - LR * WEIGHT_DECAY)
        else:
            objective = objective + 0.5 * WEIGHT_DECAY * (theta**2).sum()
        objective.backward()
        optimizer.step()
        means.append(theta.detach().mean(dim=0))
    return torch.stack(means)


decay = {"L2 inside Adam": decay_run(decoupled=False), "decoupled (AdamW)": decay_run(True)}
per_step = {
    name: (-means[-1].log() / DECAY_STEPS).tolist() for name, means in decay.items()
}  # the average fraction a weight loses per step
for name, rates in per_step.items():
    print(f"{name:18s} decay per step: noise 0.01 {rates[0]:.2e}, noise 1 {rates[1]:.2e}")
print(f"lr * weight_decay = {LR * WEIGHT_DECAY:.2e}")

fig, ax = plt.subplots(figsize=(7, 4), layout="constrained")
for (name, means), style in zip(decay.items(), ("-", "--")):
    for column, noise in enumerate(NOISE.tolist()):
        ax.plot(means[:, column], style, label=f"{name}, gradient noise {noise:g}")
ax.set(xlabel="step", ylabel="mean weight", yscale="log", title="weight decay 0.1, lr 1e-3")
ax.legend()
plt.show()

# %%
# .. _plot-preconditioning-results:
#
# 결과 저장
# ---------
# 환경 변수 ``MYOPTIM_RESULTS``\ 가 폴더를 가리키면, 숫자를 그 폴더에 JSON 파일로 남깁니다.
# 본문의 문장들이 이 숫자와 맞는지 책의 빌드가 확인합니다.

results = {
    "kappa": KAPPA,
    "angles": ANGLES.tolist(),
    "steps": steps,
    "never": STEPS + 1,
    "tolerance": TOLERANCE,
    "best_diagonal_kappa": best_diagonal_kappa,
    "weight_decay": {
        "lr_times_decay": LR * WEIGHT_DECAY,
        "noise": NOISE.tolist(),
        "per_step": per_step,
    },
    "movable": movable,
}
if results_dir := os.environ.get("MYOPTIM_RESULTS"):
    Path(results_dir, "preconditioning.json").write_text(json.dumps(results, indent=1))
