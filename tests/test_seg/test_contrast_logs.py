"""States that the loss values alone do not show are logged once, through mmengine's logger: the
contrast warm-up (``loss_bdcl`` is 0), the iteration the term starts, and ``scope='global'`` in a
single process (contrasted as ``'batch'``)."""
import logging

import pytest
import torch
from mmengine.logging import MessageHub, MMLogger
from mmseg.registry import MODELS

import bdcl_mm.seg  # noqa: F401
from tests.test_seg.test_host_heads import LEVELS, TINY_HOSTS, _bdcl_cfg, _features, _samples


class Lines(logging.Handler):

    def __init__(self):
        super().__init__()
        self.lines = []

    def emit(self, record):
        self.lines.append(record.getMessage())


@pytest.fixture
def log_lines():
    logger = MMLogger.get_instance('bdcl_contrast_logs_test')  # the current mmengine logger
    handler = Lines()
    logger.addHandler(handler)
    yield handler.lines
    logger.removeHandler(handler)


def _head(kind, **extra):
    if kind == 'BDCLOCRHead':
        cfg = _bdcl_cfg('OCRHead', **LEVELS, input_transform='resize_concat', ocr_channels=8,
                        **extra)
        cfg.pop('host_type')
        cfg['type'] = 'BDCLOCRHead'
    else:
        cfg = _bdcl_cfg('FCNHead', **TINY_HOSTS['FCNHead'], **extra)
    return MODELS.build(cfg)


def _step(head, iteration):
    MessageHub.get_current_instance().update_info('iter', iteration)
    args = (torch.randn(2, 3, 16, 16), ) if type(head).__name__ == 'BDCLOCRHead' else ()
    try:
        return head.loss(_features(), *args, _samples(), dict())['loss_bdcl']
    finally:
        MessageHub.get_current_instance().update_info('iter', 0)


def _said(lines, name):
    return [line for line in lines if line.startswith(f'{name}: ')]


@pytest.mark.parametrize('kind', ['BDCLDecodeHead', 'BDCLOCRHead'])
def test_warmup_and_contrast_start_are_logged_once(kind, log_lines):
    head = _head(kind, contrast_warmup_iters=3)
    name = type(head).__name__
    assert float(_step(head, 0)) == 0 and float(_step(head, 2)) == 0
    assert _said(log_lines, name) == [
        f'{name}: loss_bdcl is 0 during the contrast warm-up (contrast_warmup_iters=3): the BDCL '
        f'term is off until iteration 4, so the logged loss_bdcl is not the BDCL loss before then'
    ]
    assert float(_step(head, 3)) > 0 and float(_step(head, 4)) > 0
    assert _said(log_lines, name)[1:] == [
        f'{name}: the BDCL contrast term is on from iteration 4 (contrast_warmup_iters=3); '
        f'loss_bdcl is the weighted BDCL loss from here on'
    ]


def test_global_scope_in_one_process_is_logged_once_as_batch(log_lines):
    head = _head('BDCLDecodeHead', scope='global')
    assert torch.isfinite(_step(head, 0)) and torch.isfinite(_step(head, 1))
    said = [line for line in _said(log_lines, 'BDCLFCNHead') if 'global' in line]
    assert said == ["BDCLFCNHead: scope='global' in a single process: there is no other rank to "
                    "gather from, so each batch is contrasted as with scope='batch'"]
    _step(_head('BDCLDecodeHead', scope='batch'), 0)
    assert [line for line in _said(log_lines, 'BDCLFCNHead') if 'global' in line] == said
