"""tools/analysis/benchmark_seg_step.py --quick: both models step, the table and ratio print."""
import importlib.util
import os.path as osp
import re

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


def load_benchmark():
    path = osp.join(ROOT, 'tools', 'analysis', 'benchmark_seg_step.py')
    spec = importlib.util.spec_from_file_location('benchmark_seg_step', path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_quick_cpu_benchmark_prints_side_by_side_table(capsys):
    bench = load_benchmark()
    results = bench.main(['--quick'])
    out = capsys.readouterr().out
    assert list(results) == ['OCRHead + CE', 'BDCLOCRHead']
    for res in results.values():
        assert len(res['times_ms']) == 3 and all(t > 0 for t in res['times_ms'])
        assert res['peak_gib'] is None  # CPU: no CUDA memory statistics
    assert 'HRNetV2-W18S + OCR, batch 2, 64x64, device cpu' in out
    ratio = float(re.search(r'ratio BDCL / CE \(median step time\): ([0-9.]+)', out).group(1))
    medians = [sorted(r['times_ms'])[1] for r in results.values()]
    assert abs(ratio - medians[1] / medians[0]) < 1e-3


def test_model_configs_share_everything_but_the_head():
    bench = load_benchmark()
    ce, bdcl = bench.model_configs(bench.CONFIG, 'w18', 256)
    assert ce.decode_head[1].type == 'OCRHead' and bdcl.decode_head[1].type == 'BDCLOCRHead'
    assert not set(bench.BDCL_ONLY_KEYS) & set(ce.decode_head[1])
    assert bdcl.decode_head[1].contrast_warmup_iters == 0
    assert ce.backbone == bdcl.backbone and ce.decode_head[0] == bdcl.decode_head[0]
    assert ce.backbone.extra.stage4.num_channels == (18, 36, 72, 144)
    assert ce.data_preprocessor.size == (256, 256)
