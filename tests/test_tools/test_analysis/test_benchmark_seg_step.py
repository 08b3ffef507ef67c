"""tools/analysis/benchmark_seg_step.py --quick: every model steps with CE and with BDCL, one table
with the ratios."""
import importlib.util
import os.path as osp
import re

from tests._shared.paths import REPO
from tests._shared.scopes import mmseg_default_scope  # noqa: F401  (autouse)


def load_benchmark():
    path = osp.join(REPO, 'tools', 'analysis', 'benchmark_seg_step.py')
    spec = importlib.util.spec_from_file_location('benchmark_seg_step', path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_quick_cpu_benchmark_prints_one_row_per_model(capsys):
    bench = load_benchmark()
    results = bench.main(['--quick'])
    out = capsys.readouterr().out
    labels = ['HRNetV2-W18S + OCR', 'UNet-S5-D16 + FCN', 'DeepLabV3+ R-50-D8', 'SegFormer MiT-B0']
    assert list(results) == labels
    assert 'batch 2, 64x64, device cpu' in out
    for label, res in results.items():
        assert list(res) == ['CE', 'BDCL']
        for times in (res['CE']['times_ms'], res['BDCL']['times_ms']):
            assert len(times) == 3 and all(t > 0 for t in times)
        assert res['CE']['peak_gib'] is None  # CPU: no CUDA memory statistics
        row = re.search(rf'\| {re.escape(label)} \| [0-9.]+ \([0-9.-]+\) \| [0-9.]+ '
                        rf'\([0-9.-]+\) \| ([0-9.]+) \| \[([0-9.]+), ([0-9.]+)\] \| ', out)
        low, mid, high = float(row.group(2)), float(row.group(1)), float(row.group(3))
        assert abs(mid - bench.ratio(res)) < 1e-3 and low <= mid <= high
    headline = re.search(r'ratio BDCL / CE \(median over paired steps\): ([0-9.]+) '
                         r'\[[0-9.]+, [0-9.]+\], [^(]+\(HRNetV2-W18S', out)
    assert abs(float(headline.group(1)) - bench.ratio(results[labels[0]])) < 1e-3


def test_model_configs_share_everything_but_the_bdcl_term():
    bench = load_benchmark()
    ce, bdcl = bench.model_configs('hrnet_ocr', 'w18', 256)
    assert ce.decode_head[1].type == 'OCRHead' and bdcl.decode_head[1].type == 'BDCLOCRHead'
    assert 'loss_contrast' not in ce.decode_head[1] and 'max_views' not in ce.decode_head[1]
    assert bdcl.decode_head[1].contrast_warmup_iters == 0
    assert ce.backbone == bdcl.backbone and ce.decode_head[0] == bdcl.decode_head[0]
    assert ce.backbone.extra.stage4.num_channels == (18, 36, 72, 144)
    assert ce.data_preprocessor.size == (256, 256)
    ce, bdcl = bench.model_configs('segformer', 'w48', 64)
    assert ce.decode_head.type == 'SegformerHead' and bdcl.decode_head.type == 'BDCLDecodeHead'
    assert ce.backbone.init_cfg is None and 'auxiliary_head' not in ce


def test_gpu_check_script_runs_the_cuda_tests_and_both_step_ratios(tmp_path):
    import subprocess
    import sys
    script = osp.join(REPO, 'tools', 'analysis', 'gpu_check.sh')
    out = subprocess.run(['bash', script, '--dry-run'], capture_output=True, text=True,
                         timeout=60, env=dict(PYTHON=sys.executable, PATH='/usr/bin:/bin'))
    assert out.returncode == 0, out.stderr
    lines = [line for line in out.stdout.splitlines() if line.startswith('+ ')]
    assert '-k amp or cuda' in lines[0]
    steps = [line for line in lines if '--only seg_step' in line]
    assert len(steps) == 2 and sum('--amp' in line for line in steps) == 1
    assert all('--full' in line and '--models hrnet_ocr segformer' in line for line in steps)
    assert any('--only loss' in line and '--full' in line for line in lines)
    assert 'docs/results/cost_gpu' in out.stdout
