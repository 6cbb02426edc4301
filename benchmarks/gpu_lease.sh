#!/usr/bin/env bash
# Everything that needs a CUDA GPU, in one go and in order of importance:
# the CUDA tests, the throughput table (compiled, fp32 and bf16, batch 32 to
# 4096), the thesis-size study (`lipnet benchmark --preset thesis`) and the
# fast settings' accuracy against the thesis's.
#
# Usage (from the repository root, on the GPU machine):
#
#     bash benchmarks/gpu_lease.sh RESULTS_ARCHIVE [STEP ...]
#
# STEP is any of cuda_tests, saliency_seeds, throughput, cuda_graphs,
# thesis_study, fast_settings (all of them when none is named).
# Each step runs under its own time limit, so that one that hangs or fails
# leaves time for the next; after each step the logs, the benchmark results
# and the study's report are packed into RESULTS_ARCHIVE (a .tgz, replaced
# whole), so a run cut short still returns what it finished. Python packages
# the machine lacks are installed from ./.whl if that folder exists.
set -u
archive=${1:?usage: bash benchmarks/gpu_lease.sh RESULTS_ARCHIVE [STEP ...]}
shift
wanted=" ${*:-cuda_tests saliency_seeds throughput cuda_graphs thesis_study fast_settings} "
work=$(mktemp -d)
logs=$work/logs
mkdir -p "$logs"
export PYTHONUNBUFFERED=1
if [ -d .whl ]; then
    python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir \
        --upgrade --target "$work/site" .whl/*.whl || exit 1
    export PYTHONPATH=$work/site:$PWD
else
    export PYTHONPATH=$PWD
fi

pack() {
    tar czf "$archive.partial" -C "$work" logs \
        $(cd "$work" && ls -d thesis-report 2>/dev/null) \
        -C "$PWD" $(ls -d benchmarks/results/*_cuda.* benchmarks/results/*_cuda_*.* 2>/dev/null) &&
        mv "$archive.partial" "$archive"
}

step() {
    local name=$1 limit=$2
    shift 2
    [[ $wanted == *" $name "* ]] || return 0
    local start=$SECONDS
    echo "== $name (at most ${limit} s)"
    timeout --signal=INT --kill-after=15 "$limit" "$@" >"$logs/$name.log" 2>&1
    local rc=$?
    echo "== $name: exit $rc after $((SECONDS - start)) s" | tee -a "$logs/steps.log"
    tail -n 25 "$logs/$name.log"
    pack
}

nvidia-smi --query-gpu=name,memory.total,driver_version,clocks.sm --format=csv \
    >"$logs/nvidia-smi.log" 2>&1
cat "$logs/nvidia-smi.log"
python3 -c "import torch, sklearn, skorch; print(torch.__version__, sklearn.__version__, skorch.__version__, torch.cuda.get_device_name(0))"

step cuda_tests 80 python3 -m pytest -q -p no:cacheprovider -W ignore -m cuda \
    tests/neural_network/test_cuda.py tests/inspection/test_saliency.py
# The GPU saliency test's setting over six network seeds, against
# bench_saliency_seeds_cpu.md.
step saliency_seeds 60 python3 -m benchmarks.bench_saliency --device cuda \
    --architectures lipnet4 --n-train 200 --n-test 40 --epochs 5 \
    --no-distractor --model-seeds 0 1 2 3 4 5
# The headline rows first (bf16, large batches): they print as they finish.
step throughput 170 python3 -m benchmarks.bench_training_throughput \
    --device cuda --compile --repeats 2 --precisions bf16 fp32 \
    --batch-sizes 4096 1024 256 32
# CUDA graphs for the launch-bound batches (3.4 ms per step up to batch
# 1024 in training_throughput_cuda.md), batch 512 being the thesis preset's.
step cuda_graphs 120 python3 -m benchmarks.bench_training_throughput \
    --device cuda --compile-mode reduce-overhead --repeats 2 --precisions bf16 \
    --batch-sizes 512 256 32
step thesis_study 230 python3 -m sklearn_lipnet.cli benchmark --preset thesis \
    --device cuda --out "$work/thesis-report"
step fast_settings 90 python3 -m benchmarks.bench_fast_settings \
    --device cuda --n-samples 1500
cat "$logs/steps.log"
