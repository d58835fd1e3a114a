#!/usr/bin/env bash
# On a machine with a CUDA GPU, in one go: the tests marked gpu (tests/test_gpu.py: the
# package against torch.optim on the GPU, NCCL included), then the step benchmark on the GPU
# (benchmarks/step.py --device cuda: the readable rules, Flattened, compiled and MyCompiledAdam
# against torch's for-loop, foreach and fused, on the chapter's MLP and on 101 M parameters,
# with the fraction of the memory-bandwidth bound each Adam reaches).
#
#   bash benchmarks/gpu.sh [OUT]      (default OUT: benchmarks/results; writes step-cuda.json)
#
# Run it from an environment with a CUDA build of torch, myoptim (pip install -e .), pytest and
# matplotlib; nox's sessions install torch's CPU build on Linux, so they are not that place.
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-benchmarks/results}
python -c 'import sys, torch; torch.cuda.is_available() or sys.exit(
    "no CUDA GPU: torch.cuda.is_available() is False (is this torch a CUDA build?)")'
python -c 'import torch; print(torch.__version__, torch.cuda.get_device_name(), flush=True)'
python -m pytest -m gpu -rs -q -p no:cacheprovider tests/test_gpu.py
python benchmarks/step.py --device cuda --out "$out"
