"""The benchmarks (benchmarks/) in smoke mode: they run and write what they promise.

Their numbers are not checked here: timings belong to the benchmarks, not to tests.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from conftest import ROOT

PNG = b"\x89PNG"


def run(script: str, out: Path, env: dict[str, str], *options: str) -> dict:
    command = [
        sys.executable,
        str(ROOT / "benchmarks" / f"{script}.py"),
        "--smoke",
        "--out",
        str(out),
        *options,
    ]
    result = subprocess.run(command, capture_output=True, text=True, env=env, check=False)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-3000:]
    return json.loads((out / f"{script}.json").read_text())


def test_step_benchmark(tmp_path: Path, quick_env: dict[str, str]) -> None:
    results = run("step", tmp_path, quick_env)
    rows = {(r["problem"], r["optimizer"], r["implementation"]): r for r in results["rows"]}
    for problem in ("mlp", "small"):
        for optimizer in ("SGD", "Momentum", "Adam", "AdaGrad", "RMSProp"):
            for implementation in (
                "myoptim",
                "myoptim flat",
                "myoptim compiled",
                "torch for-loop",
                "torch foreach",
            ):
                row = rows[problem, optimizer, implementation]
                assert row["ms"] > 0
                assert row["parameter_bytes"] == 4 * (669_706 if problem == "mlp" else 67_000)
        assert (problem, "Adam", "torch fused") in rows
        assert (problem, "Adam", "Adam compiled as written") in rows
        assert (problem, "SGD", "Adam compiled as written") not in rows
        assert rows[problem, "Adam", "torch for-loop"]["vs_torch_for_loop"] == 1
    # MyAdam's temporaries: at least one parameter-sized tensor (the denominator) per step
    assert rows["mlp", "Adam", "myoptim"]["allocated_bytes"] >= 669_706 * 4
    assert results["bandwidth"]["adam_bound_mlp_ms"] > 0
    assert (tmp_path / "step.png").read_bytes().startswith(PNG)


@pytest.mark.skipif(torch.cuda.is_available(), reason="this machine has a GPU: gpu.sh runs it")
def test_step_benchmark_on_a_gpu_says_when_there_is_none(
    tmp_path: Path, quick_env: dict[str, str]
) -> None:
    command = [sys.executable, str(ROOT / "benchmarks" / "step.py"), "--device", "cuda"]
    result = subprocess.run(command, capture_output=True, text=True, env=quick_env, check=False)
    assert result.returncode == 2
    assert "--device cuda: this machine has no CUDA GPU that torch can use" in result.stderr


def test_sharded_benchmark(tmp_path: Path, quick_env: dict[str, str]) -> None:
    results = run("sharded", tmp_path, quick_env)
    rows = {(r["world"], r["rank"], r["implementation"]): r for r in results["rows"]}
    assert {world for world, _, _ in rows} == {1, 2}
    adam = rows[1, 0, "torch.optim (Adam)"]["state_bytes"]
    assert adam > 8 * 669_706  # m and v, and a step tensor per parameter
    for rank in (0, 1):  # each rank keeps half of MyAdam's state
        assert rows[2, rank, "Sharded(MyAdam)"]["state_bytes"] == 4 * 669_706
        assert rows[2, rank, "torch.optim (Adam)"]["state_bytes"] == adam
        assert rows[2, rank, "Sharded(MySGDMomentum)"]["state_bytes"] == 2 * 669_706
        assert rows[2, rank, "Sharded(MySGD)"]["step_ms"] > 0
    assert (tmp_path / "sharded.png").read_bytes().startswith(PNG)


def test_throughput_benchmark(tmp_path: Path, quick_env: dict[str, str]) -> None:
    results = run("throughput", tmp_path, quick_env)
    loops = [r["loop"] for r in results["rows"]]
    assert loops == ["DataLoader + ToTensor", "tensors loaded once"]
    for row in results["rows"]:
        assert row["samples_per_second"] > 0
        assert 0.5 < row["test_accuracy"] <= 1  # one epoch on 2,000 images learns something
    assert (tmp_path / "throughput.png").read_bytes().startswith(PNG)


def test_docs_build_benchmark(tmp_path: Path, quick_env: dict[str, str]) -> None:
    results = run("docs_build", tmp_path, quick_env)
    cold, no_change = results["cold_s"], results["no_change_s"]
    for timings in (cold, no_change):
        assert timings["total"] >= timings["ko"] + timings["en"] > 0
    assert cold["total"] > no_change["total"]


def test_lighthouse_benchmark(tmp_path: Path, quick_env: dict[str, str], site: Path) -> None:
    results = run("lighthouse", tmp_path, quick_env, "--site", str(site))
    (row,) = results["rows"]
    assert (row["edition"], row["page"], row["form_factor"]) == ("ko", "index.html", "mobile")
    assert set(row["scores"]) == {"performance", "accessibility", "best-practices", "seo"}
    assert all(0 <= score <= 100 for score in row["scores"].values())
    assert row["transfer_bytes"] > 0
    assert row["requests"] > 1
    assert isinstance(row["missed_goals"], list)
