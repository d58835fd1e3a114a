"""
2차원 함수 위에서 옵티마이저가 지나가는 길
==============================================================================

:ref:`Momentum의 개념 절 <momentum-concept>`\\ 은 단순 SGD가 그래디언트의 방향이 급하게
바뀌는 곳에서
진동하고, momentum이 그 진동을 줄인다고 설명합니다. 파라미터가 두 개뿐인 함수에서는 그 모습을
등고선 위에 직접 그릴 수 있습니다. 두 함수를 씁니다.

- 한쪽 방향으로만 가파른 2차 함수 :math:`f(x, y) = \\frac{1}{2}(x^2 + 25 y^2)`: 곡률이
  방향마다 25배 다른, 조건수(condition number)가 나쁜 골짜기입니다. 최솟값은 원점입니다.
- Rosenbrock 함수 :math:`f(x, y) = (1 - x)^2 + 100 (y - x^2)^2`: 휘어진 좁은 골짜기의 바닥을
  따라가야 최솟값 :math:`(1, 1)`\\ 에 닿습니다.
"""

# %%
# .. _plot-optimizer-paths-functions-and-optimizers:
#
# 함수와 옵티마이저
# -----------------
# 두 파라미터를 텐서 하나 ``theta``\ 에 담고, 다섯 옵티마이저를 같은 출발점에서 같은 스텝
# 수만큼 실행하며 지나간 점을 모두 기록합니다. 학습률은 옵티마이저와 함수마다 다르게
# 골랐습니다. 옵티마이저마다 잘 맞는 학습률의 크기가 다르기 때문입니다.

import json
import os
from pathlib import Path

import matplotlib.pyplot as plt
import torch

from myoptim import MyAdaGrad, MyAdam, MyRMSProp, MySGD, MySGDMomentum

# MYOPTIM_QUICK=1 shrinks every example to a few seconds (the test suite uses it).
QUICK = os.environ.get("MYOPTIM_QUICK") == "1"


def quadratic(theta):
    return 0.5 * (theta[0] ** 2 + 25 * theta[1] ** 2)


def rosenbrock(theta):
    return (1 - theta[0]) ** 2 + 100 * (theta[1] - theta[0] ** 2) ** 2


PROBLEMS = {
    "Ill-conditioned quadratic": {
        "f": quadratic,
        "start": (-4.0, 1.5),
        "minimum": (0.0, 0.0),
        "steps": 60,
        "box": ((-4.5, 1.0), (-2.0, 2.0)),
        # Momentum's lr/(1 - momentum), the step along the valley floor, is close to SGD's lr.
        "optimizers": {
            MySGD: {"lr": 0.075},
            MySGDMomentum: {"lr": 0.02, "momentum": 0.7},
            MyAdam: {"lr": 0.3},
            MyAdaGrad: {"lr": 1.5},
            MyRMSProp: {"lr": 0.1},
        },
    },
    "Rosenbrock": {
        "f": rosenbrock,
        "start": (-1.5, 2.0),
        "minimum": (1.0, 1.0),
        "steps": 200 if QUICK else 2000,
        "box": ((-2.0, 2.0), (-1.0, 3.0)),
        "optimizers": {
            MySGD: {"lr": 1e-3},
            MySGDMomentum: {"lr": 2e-4, "momentum": 0.9},
            MyAdam: {"lr": 0.05},
            MyAdaGrad: {"lr": 0.5},
            MyRMSProp: {"lr": 0.01},
        },
    },
}


def path(f, start, optimizer_class, settings, steps):
    theta = torch.tensor(start, requires_grad=True)
    optimizer = optimizer_class([theta], **settings)
    points = [theta.detach().clone()]
    for _ in range(steps):
        optimizer.zero_grad()
        f(theta).backward()
        optimizer.step()
        points.append(theta.detach().clone())
    return torch.stack(points)


paths = {
    title: {
        cls.__name__: path(problem["f"], problem["start"], cls, settings, problem["steps"])
        for cls, settings in problem["optimizers"].items()
    }
    for title, problem in PROBLEMS.items()
}

# %%
# .. _plot-optimizer-paths-final-positions:
#
# 마지막 위치
# -----------
# 각 옵티마이저가 마지막 스텝에서 최솟값까지 남긴 거리입니다.

for title, problem in PROBLEMS.items():
    print(f"{title} ({problem['steps']} steps), distance to the minimum:")
    minimum = torch.tensor(problem["minimum"])
    for name, points in paths[title].items():
        print(f"  {name:14s} {(points[-1] - minimum).norm():.4f}")

# %%
# .. _plot-optimizer-paths-plot:
#
# 등고선 위의 경로
# ----------------
# 2차 함수에서 ``MySGD``\ 는 가파른 :math:`y` 방향으로 골짜기의 양쪽 벽을 번갈아 넘나들며
# 지그재그로 내려가고, ``MySGDMomentum``\ 은 지난 스텝들의 방향을 쌓아 두므로 그 진동이
# 서로 상쇄되어 골짜기를 따라 더 곧게 나아갑니다. 적응적 옵티마이저들은 좌표마다 스텝 크기를
# 따로 정하므로, 두 방향의 곡률 차이에 덜 휘둘립니다. Rosenbrock 함수에서는 경로들이 같은
# 골짜기 바닥을 따라가며 겹치므로, 각 옵티마이저가 끝난 위치를 같은 색의 원으로 표시했습니다.

fig, axes = plt.subplots(1, 2, figsize=(9, 5.2), layout="constrained")
for ax, (title, problem) in zip(axes, PROBLEMS.items()):
    (x_min, x_max), (y_min, y_max) = problem["box"]
    grid_x, grid_y = torch.meshgrid(
        torch.linspace(x_min, x_max, 300), torch.linspace(y_min, y_max, 300), indexing="xy"
    )
    levels = torch.logspace(-2, 3, 25) if title == "Rosenbrock" else torch.logspace(-2, 2, 20)
    ax.contour(grid_x, grid_y, problem["f"]((grid_x, grid_y)), levels=levels, cmap="Greys")
    # The minimum is an outline drawn first, so that an end point on it stays visible.
    ax.plot(*problem["minimum"], "k*", markersize=16, fillstyle="none", label="minimum")
    ax.plot(*problem["start"], "ko", label="start")
    for name, points in paths[title].items():
        (line,) = ax.plot(points[:, 0], points[:, 1], linewidth=1.5, alpha=0.85, label=name)
        # Paths that share a valley overlap: mark where each one ends.
        ax.plot(*points[-1], "o", color=line.get_color(), markersize=7, markeredgecolor="white")
    ax.set(title=f"{title}, {problem['steps']} steps", xlabel="x", ylabel="y")
    ax.set_xlim(x_min, x_max)
    ax.set_ylim(y_min, y_max)
    # Under each panel, so that it hides none of the paths.
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.12), ncols=3, fontsize=9.5)
plt.show()

# %%
# .. _plot-optimizer-paths-results:
#
# 결과 저장
# ---------
# 환경 변수 ``MYOPTIM_RESULTS``\ 가 폴더를 가리키면, 설정과 마지막 거리를 그 폴더에 JSON 파일로
# 남깁니다. 책의 빌드가 본문의 문장들이 이 숫자와 맞는지 확인합니다.

results = {
    title: {
        cls.__name__: {
            "settings": settings,
            "distance": (paths[title][cls.__name__][-1] - torch.tensor(problem["minimum"]))
            .norm()
            .item(),
        }
        for cls, settings in problem["optimizers"].items()
    }
    for title, problem in PROBLEMS.items()
}
if results_dir := os.environ.get("MYOPTIM_RESULTS"):
    Path(results_dir, "optimizer_paths.json").write_text(json.dumps(results, indent=1))
