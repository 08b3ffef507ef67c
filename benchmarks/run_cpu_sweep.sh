#!/usr/bin/env bash
# The whole CPU-sized evidence sweep, one process at a time, in priority order. Every step skips
# the runs that already have a result with the same settings, and the tables, figures and results
# pages (docs/results.md, README) are refreshed after every step, so stopping it at any point leaves usable results.
#
#   nohup bash benchmarks/run_cpu_sweep.sh > work_dirs/benchmarks/sweep.log 2>&1 &
#   WAIT_PID=1234 bash benchmarks/run_cpu_sweep.sh    # start after process 1234 ends
#
# One thread per process by default: on a shared 2-core machine two multi-threaded PyTorch
# processes oversubscribe the cores and a training step was measured ~30x slower than with
# OMP_NUM_THREADS=1 (0.07 s against 2.5 s per iteration of the Fashion-MNIST-LT model).
set -u
cd "$(dirname "$0")/.."
export OMP_NUM_THREADS=${OMP_NUM_THREADS:-1}
export MKL_NUM_THREADS=${MKL_NUM_THREADS:-$OMP_NUM_THREADS}
PY=${PY:-.venv/bin/python}
CLS="$PY benchmarks/cls_benchmark.py"
SEG="$PY benchmarks/seg_benchmark.py"
PRIORITY=ce,ce_crt,scl_crt,bdcl_balance_crt
VARIANTS=bdcl_crt,bdcl_descent_crt,bdcl_ascent_crt,bdcl_wo_tdl_crt,bdcl_wo_hep_crt

if [ -n "${WAIT_PID:-}" ]; then
    while kill -0 "$WAIT_PID" 2>/dev/null; do sleep 10; done
fi

refresh() {
    $CLS --aggregate-only
    $SEG --aggregate-only
    $PY benchmarks/render_readme.py
}

step() {
    echo "=== $(date -u +%H:%M:%S) $*"
    "$@"
    refresh
}

step $CLS --orders hard-tail,natural --methods $PRIORITY --seeds 0,1,2,3,4
step $PY benchmarks/tdl_long_horizon.py
step $SEG --methods ce,bdcl,bdcl_image,scl --seeds 0,1,2
step $PY benchmarks/cost_benchmark.py
step $CLS --tsne-only --orders hard-tail
step $CLS --orders hard-tail,natural --methods $VARIANTS --seeds 0,1,2,3,4
step $SEG --methods ce,scl,bdcl,bdcl_image --seeds 3,4
step $SEG --methods bdcl_paper,bdcl_wo_tdl,bdcl_wo_hep --seeds 0,1,2
step $CLS --orders hard-tail --methods bdcl_crt,bdcl_descent_crt,bdcl_ascent_crt,bdcl_wo_tdl_crt --seeds 0,1,2 --tdl-lr 3e-5 --work-dir work_dirs/benchmarks/cls_tdl3e-5 --results-dir docs/results/cls_tdl_lr3e-5
step $CLS --orders hard-tail --methods ce,ce_crt,scl_crt,bdcl_crt,bdcl_descent_crt,bdcl_ascent_crt,bdcl_wo_tdl_crt,bdcl_balance_crt --seeds 0,1,2 --epochs-stage1 100 --work-dir work_dirs/benchmarks/cls_e100 --results-dir docs/results/cls_epochs100
echo "=== $(date -u +%H:%M:%S) sweep finished"
