"""
옵티마이저 한 스텝의 비용: for-loop, foreach, fused, 평탄화, 컴파일
==============================================================================

:ref:`빠른 경로 절 <fast-path>`\\ 의 측정을 작게 재현합니다. 같은 Adam 업데이트를 일곱 가지로
구현해 ``step()`` 한 번에 걸리는 시간을 잽니다. 이 책의 :class:`~myoptim.MyAdam`, 모든 파라미터를
버퍼 하나에 모은 :class:`~myoptim.Flattened` (``MyAdam``), 그 스텝을 ``torch.compile``\\ 로
컴파일한 두 가지 (``MyAdam``\\ 을 그대로 컴파일한 것과 :class:`~myoptim.MyCompiledAdam`), 그리고
``torch.optim.Adam``\\ 의 세 구현(``foreach=False``, ``foreach=True``, ``fused=True``)입니다.
파라미터는 :numref:`%s <fashion-mnist>`\\ 절의 MLP처럼 큰 텐서 몇 개인 경우와,
같은 수의 원소가 작은 텐서 여러 개로 나뉜 경우 두 가지입니다. 전체 측정은
``nox -s bench``\\ 로 실행하는 ``benchmarks/step.py``\\ 가 합니다."""

# %%
# .. _plot-optimizer-speed-setup:
#
# 측정 준비
# --------------------------------
# 스레드를 하나로 고정해 측정을 안정시키고, 각 구현의 ``step()``\ 을 짧은 라운드로 여러 번
# 불러, 가장 빠른 라운드의 호출당 시간을 씁니다. 다른 프로그램이 컴퓨터를 함께 쓰면
# 라운드가 느려질 뿐이므로, 가장 빠른 라운드가 코드 자체의 비용에 가장 가깝습니다.
# 첫 ``step()``\ 은 torch가 상태(``exp_avg`` 등)를 만드는 스텝이고, 컴파일하는 구현은
# 처음 두 스텝에서 컴파일하므로, 재기 전에 두 번 불러 둡니다.

import json
import math
import os
import time
from pathlib import Path

import matplotlib.pyplot as plt
import torch

from myoptim import Flattened, MyAdam, MyCompiledAdam, compiler_missing

torch.set_num_threads(1)
# MYOPTIM_QUICK=1 shrinks every example to a few seconds (the test suite uses it).
BUDGET = 0.05 if os.environ.get("MYOPTIM_QUICK") == "1" else 0.3  # seconds per measurement

SHAPES = {
    "MLP 784-512-512-10\n(6 tensors)": [(512, 784), (512,), (512, 512), (512,), (10, 512), (10,)],
    "1000 tensors x 670": [(670,)] * 1000,
}
IMPLEMENTATIONS = {
    "MyAdam": lambda params: MyAdam(params),
    "Flattened(MyAdam)": lambda params: Flattened(MyAdam, params),
    "Flattened(MyAdam,\ncompile=True)": lambda params: Flattened(MyAdam, params, compile=True),
    "Flattened(MyCompiledAdam)": lambda params: Flattened(MyCompiledAdam, params),
    "torch for-loop": lambda params: torch.optim.Adam(params, foreach=False),
    "torch foreach": lambda params: torch.optim.Adam(params, foreach=True),
    "torch fused": lambda params: torch.optim.Adam(params, fused=True),
}
# On the CPU, compiling needs a C++ compiler: without one, these two are left out and say why.
COMPILED = ("Flattened(MyAdam,\ncompile=True)", "Flattened(MyCompiledAdam)")
not_measured = {}
if reason := compiler_missing():
    not_measured = {name.replace("\n", " "): reason for name in COMPILED}
    IMPLEMENTATIONS = {k: v for k, v in IMPLEMENTATIONS.items() if k not in COMPILED}
    print(f"Not measured: the two compiled implementations. {reason}")


def make_params(shapes):
    generator = torch.Generator().manual_seed(0)
    params = [torch.randn(shape, generator=generator).requires_grad_() for shape in shapes]
    for p in params:
        p.grad = torch.randn(p.shape, generator=generator) * 1e-2
    return params


def fastest_ms(step, rounds=30):
    """Milliseconds per call in the fastest of `rounds` rounds of about BUDGET / rounds each.

    The fastest rather than the median: a busy machine only makes rounds slower, so short
    rounds and their minimum measure the code, not what else runs.
    """
    start = time.perf_counter()
    step()
    calls = max(1, int(BUDGET / rounds / (time.perf_counter() - start)))
    fastest = math.inf
    for _ in range(rounds):
        start = time.perf_counter()
        for _ in range(calls):
            step()
        fastest = min(fastest, (time.perf_counter() - start) / calls * 1e3)
    return fastest


# %%
# .. _plot-optimizer-speed-seven-implementations:
#
# 일곱 구현 재기
# --------------------------------
# 표의 ``x loop`` 열은 torch의 for-loop 구현(``foreach=False``) 대비 배율입니다. 1보다 작으면
# 더 빠릅니다.

results = {}
for problem, shapes in SHAPES.items():
    for name, make in IMPLEMENTATIONS.items():
        optimizer = make(make_params(shapes))
        for _ in range(2):  # state on the first step; compiling takes the first two
            optimizer.step()
        results[problem, name] = fastest_ms(optimizer.step)

print(f"{'':36s}" + "".join(f"{problem.split(chr(10))[0]:>30s}" for problem in SHAPES))
for name in IMPLEMENTATIONS:
    row = ""
    for problem in SHAPES:
        ms, loop = results[problem, name], results[problem, "torch for-loop"]
        row += f"{ms:12.3f} ms {ms / loop:8.2f} x loop  "
    print(f"{name.replace(chr(10), ' '):36s}{row}")

# %%
# .. _plot-optimizer-speed-bandwidth-bound:
#
# 메모리 대역폭이 정하는 하한
# --------------------------------
# Adam 한 스텝은 원소마다 :math:`\theta, g, m, v`\ 를 읽고 :math:`\theta, m, v`\ 를 써야 하므로,
# float32에서 파라미터 하나에 최소 28바이트가 메모리를 오갑니다. 한 스텝이 훑는 만큼의
# 메모리(:math:`\theta, g, m, v`)를 복사하는 속도(읽기와 쓰기를 합친 바이트/초)로 그
# 바이트 수를 나누면 한 스텝에 걸리는 시간의 하한을 어림할 수 있습니다. 복사와 Adam은
# 읽기와 쓰기의 비율이 달라 정확한 하한은 아니지만, 어떤 구현도 이보다 크게 빠를 수는
# 없습니다.

numel = sum(torch.Size(shape).numel() for shape in SHAPES["MLP 784-512-512-10\n(6 tensors)"])
# theta, g, m, v: copy 2N floats into 2N others to stream through as much memory
source, target = torch.randn(2 * numel), torch.empty(2 * numel)
copy_ms = fastest_ms(lambda: target.copy_(source))
bytes_per_second = 2 * source.nbytes / (copy_ms / 1e3)
bound_ms = 28 * numel / bytes_per_second * 1e3
print(f"copy bandwidth: {bytes_per_second / 1e9:.1f} GB/s")
print(f"Adam memory bound for the MLP: {bound_ms:.3f} ms per step")

# %%
# .. _plot-optimizer-speed-plot:
#
# 막대그래프
# --------------------------------
# 세로축은 로그 눈금입니다. 점선이 위에서 어림한 메모리 대역폭 하한입니다. 두 경우 모두
# 원소 수가 약 67만 개로 같으므로 하한도 같습니다.

fig, axes = plt.subplots(1, 2, figsize=(10, 4.8), layout="constrained", sharey=True)
for ax, problem in zip(axes, SHAPES):
    times = [results[problem, name] for name in IMPLEMENTATIONS]
    bars = ax.bar(range(len(times)), times, color=[f"C{i}" for i in range(len(times))])
    ax.bar_label(bars, fmt="%.2f")
    ax.axhline(bound_ms, color="k", ls=":", lw=1, label="Adam memory bound")
    ax.set_xticks(range(len(times)), list(IMPLEMENTATIONS), rotation=30, ha="right")
    ax.set_yscale("log")
    ax.set_title(problem)
    ax.legend(loc="upper left")
axes[0].set_ylabel("ms per Adam step (fastest round)")
axes[0].set_ylim(top=8 * max(results.values()))  # room for the legend above the tallest bar
if not_measured:
    fig.suptitle("Not measured: the compiled implementations (no C++ compiler here)")
plt.show()

# %%
# .. _plot-optimizer-speed-where-time-goes:
#
# 무엇이 시간을 쓰는가
# --------------------------------
# for-loop 구현은 텐서마다 연산을 일곱 번 부르고, 호출마다 파이썬과 디스패치 비용이 듭니다.
# 텐서가 6개인 MLP에서는 이 비용이 작지만, 작은 텐서 1000개에서는 실제 계산보다 커집니다.
#
# ``foreach``\ 와 ``fused``\ 는 GPU를 위해 만든 구현입니다. CUDA에서는 여러 텐서를 묶어 커널
# 한 번으로 처리하지만, CPU에서는 ``foreach`` 연산이 C++ 안에서 텐서마다 보통 연산을 한 번씩
# 부르고, ``fused`` 커널도 텐서마다 한 번씩 실행됩니다. 그래서 CPU에서는 파이썬 쪽 비용만
# 줄어들 뿐, 텐서 수에 비례하는 비용이 남습니다. 두 그래프에서 원소 수는 같은데 텐서가
# 1000개인 오른쪽에서 두 구현이 훨씬 느린 까닭입니다. ``fused`` 커널은 원소마다 모든 계산을
# 한 번에 하므로 메모리를 한 번만 훑습니다.
#
# ``Flattened``\ 는 코드를 바꾸지 않고 메모리 배치만 바꿉니다. 모든 파라미터가 텐서 하나가
# 되므로 호출 비용은 텐서 수와 상관없이 일정해지고, 작은 텐서가 많을수록 이득이 큽니다.
# 다만 연산마다 메모리를 한 번씩 훑는 것은 ``MyAdam``\ 과 같아서, 큰 텐서 몇 개뿐인 MLP에서는
# 이득이 작습니다.
#
# ``compile=True``\ 는 ``torch.compile``\ 로 일곱 연산을 루프 하나로 합칩니다. 그런데 ``MyAdam``
# 을 그대로 컴파일하면 오히려 느려집니다. 스텝 수 :math:`t`\ 가 스텝마다 바뀌므로 컴파일러는
# :math:`t`\ 를 생성된 코드의 변수로 두고, :math:`\beta^t`\ 를 루프 안에서 원소마다 다시
# 계산합니다. :class:`~myoptim.MyCompiledAdam`\ 은 업데이트에 쓰는 숫자를 스텝마다 파이썬에서
# 한 번 계산해 0차원 텐서로 넘기므로, 루프는 그 값을 읽기만 합니다. 그래서 메모리를 한 번만
# 훑지만, 위의 하한에는 미치지 못합니다. 하한은 복사처럼 단순한 루프의 속도로 어림한 것이고,
# Adam의 루프는 원소마다 제곱근과 나눗셈을 계산하며, 파이썬에서 함수를 부르는 고정 비용도
# 남기 때문입니다. 생성된 C++ 코드는 환경 변수 ``TORCH_LOGS=output_code``\ 를 주고 이
# 스크립트를 실행하면 볼 수 있습니다.

# %%
# .. _plot-optimizer-speed-results:
#
# 결과 저장
# ---------
# 환경 변수 ``MYOPTIM_RESULTS``\ 가 폴더를 가리키면, 숫자를 그 폴더에 JSON 파일로 남깁니다.
# 다른 설정이나 다른 컴퓨터에서 잰 결과와 비교할 때 쓸 수 있습니다. 책의 빌드가 이 변수를
# 정하고, 본문의 문장들이 이 숫자와 맞는지 확인합니다.

table = {
    key: {name.replace("\n", " "): results[problem, name] for name in IMPLEMENTATIONS}
    for key, problem in zip(("mlp", "many_tensors"), SHAPES)
}
measured = {
    "ms_per_step": table,
    "not_measured": not_measured,
    "bound_ms": bound_ms,
    "copy_gb_per_s": bytes_per_second / 1e9,
}
if results_dir := os.environ.get("MYOPTIM_RESULTS"):
    Path(results_dir, "optimizer_speed.json").write_text(json.dumps(measured, indent=1))
