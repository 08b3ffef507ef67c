#!/usr/bin/env bash
# The BDCL checks that need a CUDA GPU, in one run (about 5 minutes on one H100/H200):
#   1. the CUDA-only tests (AMP training of the BDCL heads, float32 BDCL state);
#   2. the training-step ratio CE + BDCL / CE at batch 8, 512x512, fp32 and AMP, for
#      HRNetV2-W48 + OCR (target in docs/benchmarks.md: <= 1.05) and for SegFormer MiT-B0 (a generic head);
#   3. the loss's time and memory up to N = 32k, beside pytorch-metric-learning's SupConLoss.
# Results go to docs/results/cost_gpu/ (cost_seg_step.md, cost_seg_step_amp.md, cost_loss.md; the
# run logs to work_dirs/benchmarks/cost/), which `python benchmarks/render_readme.py` renders into
# docs/results.md.
#
#   bash tools/analysis/gpu_check.sh              # on the GPU machine, from the repository root
#   bash tools/analysis/gpu_check.sh --dry-run    # print the commands only
#
# Needs mmseg importable (on an offline machine: shared/gpu/setup_mm.sh, then
# export PYTHONPATH=/tmp/site:$PWD) and, for the SupConLoss row, requirements/benchmark.txt.
set -uo pipefail
cd "$(dirname "$0")/../.."
PY=${PYTHON:-python3}
RESULTS=${RESULTS_DIR:-docs/results/cost_gpu}
DRY=0
[ "${1:-}" = "--dry-run" ] && DRY=1
STEP_MODELS="hrnet_ocr segformer"

run() {
  echo "+ $*"
  [ "$DRY" = 1 ] && return 0
  "$@"
}

if [ "$DRY" = 0 ]; then
  "$PY" -c "import torch, mmseg, bdcl_mm.seg; assert torch.cuda.is_available(), 'no CUDA GPU'" \
    || { echo "gpu_check: needs a CUDA GPU and mmseg + bdcl_mm importable (see the header)"; exit 2; }
fi
failed=0
run "$PY" -m pytest -q -rs -p no:cacheprovider tests/test_seg tests/test_models tests/test_engine -k "amp or cuda" || failed=1
run "$PY" benchmarks/cost_benchmark.py --device cuda --full --only seg_step \
  --models $STEP_MODELS --results-dir "$RESULTS" || failed=1
run "$PY" benchmarks/cost_benchmark.py --device cuda --full --amp --only seg_step \
  --models $STEP_MODELS --results-dir "$RESULTS" || failed=1
run "$PY" benchmarks/cost_benchmark.py --device cuda --full --only loss \
  --results-dir "$RESULTS" || failed=1
echo "gpu_check: $([ $failed = 0 ] && echo ok || echo FAILED); results in $RESULTS"
exit $failed
