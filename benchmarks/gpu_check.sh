#!/usr/bin/env bash
# The GPU check: the CuPy tests (pytest -m gpu) and a short throughput benchmark,
# under 8 minutes in all (each step has its own time limit).
#
# Run on a machine with CuPy and a CUDA device, from anywhere:
#     bash benchmarks/gpu_check.sh
# The device, the test log and the benchmark's log and JSON go to "$OUT" when it is
# set, else to ./gpu_check_out. The exit status is the tests'; a benchmark failure
# makes it nonzero too.
set -u
cd "$(dirname "$0")/.."
# The checkout's package, whether or not one is installed.
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}"
out="${OUT:-gpu_check_out}"
mkdir -p "$out"
start=$SECONDS

{
    date -u
    nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv 2>&1
    python -c "import cupy; print('cupy', cupy.__version__, '-', \
cupy.cuda.runtime.getDeviceCount(), 'device(s)')" 2>&1
    python -c "import skscatharm; print('skscatharm', skscatharm.__version__, \
skscatharm.__file__)"
} | tee "$out/device.txt"

# Without a device, pytest -m gpu would skip everything and pass: say so instead.
if ! python -c "import sys; from skscatharm._core.backend import cupy_available; \
sys.exit(not cupy_available())"; then
    echo "no CuPy with a CUDA device here (pip install 'skscatharm[gpu]'):" \
        "nothing checked" | tee "$out/summary.txt"
    exit 2
fi

# The gpu tests compare CuPy with NumPy at the default setting: most of their time
# is the NumPy side.
timeout 270 python -m pytest -m gpu -q -p no:cacheprovider 2>&1 |
    tee "$out/pytest_gpu.log"
status=${PIPESTATUS[0]}

# Molecules per second, NumPy (CPU) and CuPy, at the regression setting.
timeout 120 python -m benchmarks.speed.gpu_throughput --backend numpy cupy --n 8 \
    --oversampling 2 --out "$out/gpu_throughput.json" 2>&1 |
    tee "$out/gpu_throughput.log"
bench=${PIPESTATUS[0]}

# The GPU alone at the default setting and in float32, on more molecules.
timeout 60 python -m benchmarks.speed.gpu_throughput --backend cupy --n 20 \
    --oversampling 4 --dtype float32 --out "$out/gpu_throughput_float32.json" 2>&1 |
    tee "$out/gpu_throughput_float32.log"
bench32=${PIPESTATUS[0]}

echo "tests: exit $status; benchmarks: exit $bench, $bench32;" \
    "$((SECONDS - start)) s in all" | tee "$out/summary.txt"
if [ "$status" -ne 0 ]; then
    exit "$status"
fi
[ "$bench" -eq 0 ] && [ "$bench32" -eq 0 ]
