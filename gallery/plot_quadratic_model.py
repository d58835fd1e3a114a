"""
2차 함수 위의 수렴률: 이론과 측정
==============================================================================

:ref:`2차 함수로 보는 수렴률 절 <quadratic>`\\ 은 경사 하강법과 momentum이 2차 함수
:math:`f(\\theta) = \\frac{1}{2}\\theta^\\top A \\theta` 위에서 한 스텝에 오차를 몇 배로 줄이는지,
어떤 학습률에서 발산하는지를 식으로 구합니다. 이 예제는 그 식들을 ``MySGD``\\ 와
``MySGDMomentum``\\ 으로 직접 재 봅니다. 고윳값(eigenvalue)이 :math:`\\mu = 1`\\ 과
:math:`L = \\kappa`\\ 인 대각 행렬 :math:`A`\\ 를 쓰므로, 두 좌표가 곧 두 고유 방향입니다.
"""

# %%
# .. _plot-quadratic-model-measuring:
#
# 수렴률을 재는 방법
# -------------------
# 스텝마다 최솟점(원점)까지의 거리 :math:`\|\theta_k\|`\ 를 기록합니다. 처음 몇 스텝은 가장
# 느린 방향이 아직 드러나지 않은 과도 구간(transient)이므로, 실행의 뒤쪽 절반에서 거리가 한
# 스텝에 평균 몇 배가 되는지를 잽니다. momentum의 좌표는 부호를 바꾸며 진동해 거리가
# 오르내리므로, 두 시점의 거리를 그대로 나누지 않고 각 시점까지의 마지막 ``WINDOW``\ 스텝 중
# 가장 큰 거리끼리 나눕니다. 두 근이 같은 임계 감쇠에서는 거리가 :math:`k\,r^k`\ 꼴이어서,
# 잰 값이 식보다 조금(1% 안쪽) 큽니다.
#
# 행 하나가 2차 함수 하나인 텐서를 쓰면, 여러 문제를 옵티마이저 하나로 한꺼번에 풀 수 있습니다.

import json
import math
import os
import sys
from pathlib import Path

import matplotlib.pyplot as plt
import torch

from myoptim import MySGD, MySGDMomentum

F64 = torch.float64  # 600 steps at rate 0.5 reach 1e-181: beyond float32's range
STEPS, WINDOW = 600, 100
KAPPAS = (10, 100)


def path(curvatures, lr, momentum=0.0, steps=STEPS):
    """The parameters before and after each step, for every row of `curvatures` (one quadratic
    0.5 * sum(curvatures * theta**2) per row), all rows starting from (1, 1)."""
    theta = torch.ones_like(curvatures, requires_grad=True)
    if momentum:
        optimizer = MySGDMomentum([theta], lr=lr, momentum=momentum)
    else:
        optimizer = MySGD([theta], lr=lr)
    points = [theta.detach().clone()]
    for _ in range(steps):
        optimizer.zero_grad()
        (0.5 * curvatures * theta**2).sum().backward()
        optimizer.step()
        points.append(theta.detach().clone())
    return torch.stack(points)


def distances(curvatures, lr, momentum=0.0, steps=STEPS):
    """Distance to the minimum (the origin) after each step, for every row."""
    return path(curvatures, lr, momentum, steps).norm(dim=-1)


def rate(trace):
    """Contraction per step over the second half of the run (largest distance of each window)."""
    n = len(trace) - 1
    late = trace[n - WINDOW + 1 :].amax(dim=0)
    early = trace[n // 2 - WINDOW + 1 : n // 2 + 1].amax(dim=0)
    return (late / early) ** (1 / (n - n // 2))


def theory_rate(h, momentum=0.0):
    """Spectral radius of one direction's step matrix at h = lr * curvature (the text's roots)."""
    h = torch.as_tensor(h)
    step = torch.stack(
        [
            torch.stack([1 + momentum - h, torch.full_like(h, -momentum)], dim=-1),
            torch.stack([torch.ones_like(h), torch.zeros_like(h)], dim=-1),
        ],
        dim=-2,
    )
    return torch.linalg.eigvals(step).abs().amax(dim=-1)


# %%
# .. _plot-quadratic-model-best-settings:
#
# 가장 좋은 설정에서의 수렴률
# ----------------------------
# 경사 하강법은 :math:`\epsilon^* = 2/(\mu + L)`\ 에서, momentum은
# :math:`\epsilon^* = 4/(\sqrt{L} + \sqrt{\mu})^2`,
# :math:`\alpha^* = ((\sqrt\kappa - 1)/(\sqrt\kappa + 1))^2`\ 에서 가장 빠릅니다. 잰 값과 식의
# 값을 나란히 적습니다.

best = {}
for kappa in KAPPAS:
    mu, L = 1.0, float(kappa)
    curvatures = torch.tensor([mu, L], dtype=F64)
    gd_lr = 2 / (mu + L)
    hb_lr, hb_momentum = 4 / (L**0.5 + mu**0.5) ** 2, ((kappa**0.5 - 1) / (kappa**0.5 + 1)) ** 2
    best[kappa] = {
        "gd": {"lr": gd_lr, "rate": rate(distances(curvatures, gd_lr)).item()},
        "momentum": {
            "lr": hb_lr,
            "momentum": hb_momentum,
            "rate": rate(distances(curvatures, hb_lr, hb_momentum)).item(),
        },
    }
    print(f"kappa = {kappa}")
    print(f"  gradient descent  measured {best[kappa]['gd']['rate']:.4f}", end="  ")
    print(f"(kappa-1)/(kappa+1) = {(kappa - 1) / (kappa + 1):.4f}")
    print(f"  momentum          measured {best[kappa]['momentum']['rate']:.4f}", end="  ")
    print(f"(sqrt(kappa)-1)/(sqrt(kappa)+1) = {(kappa**0.5 - 1) / (kappa**0.5 + 1):.4f}")

# %%
# .. _plot-quadratic-model-rate-and-lr:
#
# 학습률에 따른 수렴률
# ---------------------
# :math:`\kappa = 10`\ 에서 학습률을 바꿔 가며 잰 수렴률(점)과 식(선)입니다. 학습률
# :math:`\epsilon`\ 과 곡률 :math:`\lambda`\ 는 업데이트에 곱 :math:`\epsilon\lambda`\ 로만
# 들어가므로, 학습률 :math:`\epsilon`\ 의 문제는 학습률 1에 곡률 :math:`\epsilon\mu,
# \epsilon L`\ 인 문제와 같습니다. 그래서 학습률마다 행 하나를 두고 옵티마이저 하나로 모든
# 학습률을 한 번에 잽니다. 1보다 크면 발산입니다.

KAPPA = KAPPAS[0]
CURVATURES = torch.tensor([1.0, float(KAPPA)], dtype=F64)
LRS = torch.linspace(0.004, 0.4, 100, dtype=F64)
MOMENTA = torch.linspace(0.0, 0.95, 20, dtype=F64)
grid = torch.stack([rate(distances(LRS[:, None] * CURVATURES, 1.0, a.item())) for a in MOMENTA])

fig, axes = plt.subplots(1, 2, figsize=(9, 4), sharey=True, layout="constrained")
for ax, row, title in ((axes[0], 0, "gradient descent"), (axes[1], 10, "momentum")):
    alpha = MOMENTA[row].item()
    theory = theory_rate(LRS[:, None] * CURVATURES, alpha)  # a column per direction
    for column, style in enumerate(("--", ":")):
        label = f"theory, direction lambda = {CURVATURES[column]:g}"
        ax.plot(LRS, theory[:, column], style, color="gray", label=label)
    ax.plot(LRS, theory.amax(dim=-1), color="black", linewidth=1, label="theory, slower direction")
    ax.plot(LRS, grid[row], "o", markersize=3, label="measured (myoptim)")
    bound = 2 * (1 + alpha) / KAPPA
    ax.axvline(bound, color="tab:red", linewidth=1, label="stability bound 2(1+alpha)/L")
    ax.set(title=f"{title}, alpha = {alpha:g}, kappa = {KAPPA}", xlabel="learning rate")
    ax.set_ylim(0, 1.5)
axes[0].set_ylabel("contraction per step")
for ax in axes:
    ax.legend(loc="lower right", fontsize=8.5)
plt.show()

# %%
# .. _plot-quadratic-model-grid:
#
# 학습률과 momentum의 격자
# ------------------------
# 같은 측정을 momentum 0부터 0.95까지 펼친 격자입니다. 빨간 선 오른쪽은 발산하고, 두 흰 선
# :math:`\alpha = (1 - \sqrt{\epsilon\lambda})^2`\ 위쪽에서는 그 좌표가 부호를 바꾸며
# 감쇠 진동하고 수렴률이 :math:`\sqrt\alpha`\ 로 정해집니다. 별표가 가장 좋은 설정입니다.

fig, ax = plt.subplots(figsize=(7, 4.5), layout="constrained")
clipped = grid.clamp(max=1.2).numpy()
mesh = ax.pcolormesh(LRS.numpy(), MOMENTA.numpy(), clipped, cmap="viridis", shading="nearest")
fig.colorbar(mesh, label="contraction per step (clipped at 1.2)")
ax.plot(2 * (1 + MOMENTA) / KAPPA, MOMENTA, color="tab:red", label="stability bound")
for curvature, style in zip(CURVATURES, (":", "--")):
    critical = (1 - (LRS * curvature).sqrt()) ** 2
    ax.plot(LRS, critical, style, color="white", label=f"critical damping, lambda = {curvature:g}")
star = best[KAPPA]["momentum"]
ax.plot(star["lr"], star["momentum"], "w*", markersize=14, label="best lr and momentum")
ax.set(xlabel="learning rate", ylabel="momentum alpha", title=f"kappa = {KAPPA}")
ax.set_xlim(0, LRS[-1].item())
ax.set_ylim(0, MOMENTA[-1].item())
ax.legend(loc="upper right", fontsize=8.5)
plt.show()

# %%
# .. _plot-quadratic-model-paths:
#
# 경로와 거리
# -----------
# 경사 하강법과 momentum 0.9(둘 다 학습률 :math:`2/(\mu + L)`), 그리고 가장 좋은 momentum
# 설정을 비교합니다. momentum 0.9는 골짜기를 따라 곧게 가지 않고 최솟점 주위를 빙빙 돌며,
# 거리는 한 스텝에 :math:`\sqrt{0.9}`\ 배씩만 줄어듭니다.

SETTINGS = {
    "gradient descent": (best[KAPPA]["gd"]["lr"], 0.0),
    "momentum 0.9, same lr": (best[KAPPA]["gd"]["lr"], 0.9),
    "momentum, best lr and alpha": (star["lr"], star["momentum"]),
}
HEAVY = 0.9
heavy_rates = rate(distances(LRS[:, None] * CURVATURES, 1.0, HEAVY))
print(f"momentum {HEAVY}, every lr with both directions circling:", end=" ")
circling = ((1 + HEAVY - LRS[:, None] * CURVATURES) ** 2 < 4 * HEAVY).all(dim=-1)
print(f"{heavy_rates[circling].min():.4f} to {heavy_rates[circling].max():.4f}", end="  ")
print(f"sqrt({HEAVY}) = {HEAVY**0.5:.4f}")

fig, (left, right) = plt.subplots(1, 2, figsize=(9, 4.2), layout="constrained")
x, y = torch.meshgrid(torch.linspace(-1.3, 1.3, 200), torch.linspace(-1.3, 1.3, 200), indexing="xy")
left.contour(x, y, 0.5 * (x**2 + KAPPA * y**2), levels=torch.logspace(-2, 1, 10), cmap="Greys")
for name, (lr, alpha) in SETTINGS.items():
    points = path(CURVATURES, lr, alpha, steps=25)
    left.plot(*points.T, marker=".", linewidth=1)  # colours: the legend on the right
    right.semilogy(distances(CURVATURES, lr, alpha, steps=60), label=name)
left.plot(0, 0, "k*", markersize=12, fillstyle="none")
left.set(title="first 25 steps", xlabel="x (curvature 1)", ylabel=f"y (curvature {KAPPA})")
left.set_aspect("equal")
right.set(title="distance to the minimizer", xlabel="step")
right.legend()
plt.show()

# %%
# .. _plot-quadratic-model-explore:
#
# 직접 움직여 보기
# ----------------
# ``show(lr, alpha)``\ 는 한 설정의 경로와 거리를 그립니다. 노트북(Colab, Jupyter)에서는
# ``explore()``\ 가 두 값을 슬라이더로 만듭니다.

DRAWN_STEPS, TARGET = 30, 1e-6


def show(lr=0.18, alpha=0.0):
    """The first DRAWN_STEPS steps of one setting, and its distance to the minimum."""
    _, (left, right) = plt.subplots(1, 2, figsize=(9, 4), layout="constrained")
    left.contour(x, y, 0.5 * (x**2 + KAPPA * y**2), levels=torch.logspace(-2, 1, 10), cmap="Greys")
    left.plot(*path(CURVATURES, lr, alpha, steps=DRAWN_STEPS).T, marker=".", linewidth=1)
    left.set(xlim=(-1.3, 1.3), ylim=(-1.3, 1.3), title=f"lr {lr:g}, momentum {alpha:g}")
    left.set_aspect("equal")
    right.semilogy(distances(CURVATURES, lr, alpha))
    right.axhline(TARGET, color="gray", linestyle=":")
    right.set(xlabel="step", title="distance to the minimizer")
    plt.show()


def explore():
    """Sliders for show() in a notebook (Colab has ipywidgets)."""
    try:
        from ipywidgets import interact
    except ImportError:
        print("For sliders: pip install ipywidgets. Or call show(lr=..., alpha=...).")
        return
    interact(show, lr=(0.02, 0.4, 0.02), alpha=(0.0, 0.9, 0.1))


if "ipykernel" in sys.modules:  # run as a notebook
    explore()

# %%
# .. _plot-quadratic-model-movable:
#
# 움직이는 그림의 숫자
# --------------------
# 책의 웹 페이지에서 움직이는 그림(:numref:`fig-quadratic-paths`)은 학습률 20개와 모멘텀 10개의
# 격자를 그립니다. 설정마다 처음 ``DRAWN_STEPS``\ 스텝의 경로, 거리, 수렴률, 그리고 거리가
# ``TARGET``\ 아래에 머물기 시작하는 스텝을 여기서 재 두고, 브라우저는 그리기만 합니다.

MOVE_LRS = torch.linspace(0.02, 0.4, 20, dtype=F64)
MOVE_MOMENTA = torch.linspace(0.0, 0.9, 10, dtype=F64)
CURVE_STEPS = range(0, 301, 10)


def log_scale(values, low=-8.0, high=3.0):
    """log10 of each value x 100 as integers, within [low, high], up to the first that reaches
    either (the figure's edges); None where it overflowed."""
    logs = values.log10().clamp(low, high).mul(100).round().tolist()
    edge = next((k for k, v in enumerate(logs) if v in (100 * low, 100 * high)), len(logs) - 1)
    return [int(v) if math.isfinite(v) else None for v in logs[: edge + 1]]


def frame(points, lr, alpha):
    """What the figure draws and says for one setting, from its path."""
    trace = points.norm(dim=-1)
    bound = 2 * (1 + alpha) / KAPPA
    above = (~(trace < TARGET)).nonzero()  # NaN counts as above
    drawn = points[: DRAWN_STEPS + 1]
    drawn = drawn[: int((drawn.abs() <= 100).all(dim=-1).cumprod(0).sum())]  # NaN, inf
    measured = rate(trace[:, None]).item()
    if not measured < 1.001:  # NaN: overflowed
        say, text = "diverges", {}
    elif above.max() == STEPS:
        say, text = "slow", {"steps": str(STEPS)}
    else:
        say, text = "converges", {"steps": str(above.max().item() + 1)}
    text |= {"rate": f"{measured:.3f}", "bound": f"{bound:.2f}"}
    return {
        "path": drawn.mul(100).round().int().flatten().tolist(),
        "curve": log_scale(trace[list(CURVE_STEPS)]),
        "mark": bound,
        "say": say,
        "text": text,
    }


# As for the grid above: one row per learning rate, lr * curvature at learning rate 1.
paths = [path(MOVE_LRS[:, None] * CURVATURES, 1.0, alpha) for alpha in MOVE_MOMENTA.tolist()]
frames = [
    frame(paths[j][:, i], lr, alpha)
    for i, lr in enumerate(MOVE_LRS.tolist())
    for j, alpha in enumerate(MOVE_MOMENTA.tolist())
]
movable = {
    "controls": [
        {"name": "lr", "values": MOVE_LRS.tolist(), "text": [f"{v:.2f}" for v in MOVE_LRS]},
        {
            "name": "alpha",
            "values": MOVE_MOMENTA.tolist(),
            "text": [f"{v:.1f}" for v in MOVE_MOMENTA],
        },
    ],
    "start": [int((MOVE_LRS - best[KAPPA]["gd"]["lr"]).abs().argmin()), 0],
    "common": {
        "extent": 1.3,
        "angle": 0,
        "ellipses": [[(2 * c) ** 0.5, (2 * c / KAPPA) ** 0.5] for c in (0.01, 0.05, 0.25, 1, 5)],
        "x": list(CURVE_STEPS),
        "ylim": [-800, 100],
        "line": round(100 * math.log10(TARGET)),
        "labels": {
            "path": f"first {DRAWN_STEPS} steps",
            "curve": "distance to the minimizer",
            "x": "step",
        },
    },
    "frames": frames,
}

# %%
# .. _plot-quadratic-model-results:
#
# 결과 저장
# ---------
# 환경 변수 ``MYOPTIM_RESULTS``\ 가 폴더를 가리키면, 숫자를 그 폴더에 JSON 파일로 남깁니다.
# 본문의 문장들이 이 숫자와 맞는지 책의 빌드가 확인하고, 격자는 그림을 다시 그릴 때 씁니다.

bound = {"gd": 2 / KAPPA, "momentum": 2 * (1 + HEAVY) / KAPPA}
results = {
    "kappa": KAPPA,
    "best": best,
    # A run that overflowed float64 (rate above about 1.8) has no finite rate: null.
    "grid": {
        "lr": LRS.tolist(),
        "momentum": MOMENTA.tolist(),
        "rate": [[r if math.isfinite(r) else None for r in row] for row in grid.tolist()],
    },
    # Just inside and just outside each stability bound, on the slower direction's side.
    "bounds": {
        name: {
            "momentum": alpha,
            "inside": rate(distances(CURVATURES, 0.99 * bound[name], alpha)).item(),
            "outside": rate(distances(CURVATURES, 1.01 * bound[name], alpha)).item(),
        }
        for name, alpha in (("gd", 0.0), ("momentum", HEAVY))
    },
    "circling": {"momentum": HEAVY, "rates": heavy_rates[circling].tolist()},
    "movable": movable,
}
if results_dir := os.environ.get("MYOPTIM_RESULTS"):
    Path(results_dir, "quadratic_model.json").write_text(json.dumps(results, indent=1))
