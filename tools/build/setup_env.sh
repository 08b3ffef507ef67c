#!/usr/bin/env bash
# Creates $VENV with the pinned OpenMMLab stack of requirements/ and installs bdcl_mm editable.
# Idempotent: each step checks what is already there, so a second run takes seconds.
# Why each pin and trick exists: docs/environment.md.
set -euo pipefail
PYTHON=${PYTHON:-python3}
VENV=${VENV:-.venv}
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT"
PY="$VENV/bin/python"
PIP="$PY -m pip --disable-pip-version-check"

step() { echo "[setup] $*"; }

if [ ! -x "$PY" ]; then
  step "creating $VENV"
  "$PYTHON" -m venv "$VENV"
fi

if ! "$PY" -c "import torch, torchvision, pkg_resources" >/dev/null 2>&1; then
  step "installing torch/torchvision pair and setuptools<81"
  $PIP install -q -r requirements/torch.txt -r requirements/build.txt
fi

if ! "$PY" -c "import mmengine, ftfy, regex" >/dev/null 2>&1; then
  step "installing mmengine"
  $PIP install -q "$(grep '^mmengine' requirements/mminstall.txt)" ftfy regex
fi

if ! "$PY" -c "import mmcv.ops" >/dev/null 2>&1; then
  # mmcv 2.1.0 has no wheel for this torch: build the full package (mmseg needs mmcv._ext).
  # --no-build-isolation: its setup.py imports torch and pkg_resources. The wrapper turns the
  # -std=c++17 that setup.py appends into -std=c++20, which torch >= 2.14 headers require.
  step "building mmcv (about 7 minutes once; pip caches the wheel afterwards)"
  MAX_JOBS=${MAX_JOBS:-2} CXX="$ROOT/tools/build/cxx_cpp20.sh" \
    $PIP install -q --no-build-isolation "$(grep '^mmcv' requirements/mminstall.txt)"
fi

if ! "$PY" -c "import mmseg, mmpretrain, sklearn, imblearn, pytest, matplotlib, tqdm, pytorch_metric_learning, monai, segmentation_models_pytorch" >/dev/null 2>&1; then
  step "installing mmsegmentation, mmpretrain, runtime and test requirements"
  $PIP install -q -r requirements/mminstall.txt -r requirements/runtime.txt -r requirements/tests.txt \
    -r requirements/torch.txt -r requirements/build.txt
fi

step "installing bdcl_mm (editable)"
$PIP install -q --no-deps --no-build-isolation -e .

if ! dpkg -s dataset-fashion-mnist >/dev/null 2>&1; then
  if command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
    step "installing Debian's dataset-fashion-mnist (offline benchmark data)"
    (apt-get update -qq && apt-get install -y -qq dataset-fashion-mnist >/dev/null) \
      || echo "[setup] warning: could not install dataset-fashion-mnist; the Fashion-MNIST tests will skip"
  else
    echo "[setup] note: 'apt-get install dataset-fashion-mnist' enables the Fashion-MNIST benchmark"
  fi
fi
"$PY" -c "import bdcl_mm, torch, mmcv, mmseg, mmpretrain; print('[setup] ready: bdcl_mm', bdcl_mm.__version__, '| torch', torch.__version__, '| mmcv', mmcv.__version__, '| mmseg', mmseg.__version__, '| mmpretrain', mmpretrain.__version__)"
