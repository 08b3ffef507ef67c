"""The shared argument checks: what each accepts, and errors that name the argument, the value and
what is allowed."""
import subprocess
import sys

import numpy as np
import pytest

from bdcl_mm.utils import (check_choice, check_int, check_non_negative_int, check_number,
                           check_positive_int, check_probability)
from tests._shared.paths import REPO


@pytest.mark.parametrize('value', [1, 7, np.int64(3), np.uint8(2)])
def test_positive_int_accepts_python_and_numpy_integers(value):
    out = check_positive_int('max_views', value)
    assert out == value and type(out) is int


@pytest.mark.parametrize('value', [0, -2, 1.0, 2.5, True, '3', None])
def test_positive_int_names_the_argument_and_the_value(value):
    with pytest.raises(ValueError) as err:
        check_positive_int('max_views', value)
    assert str(err.value) == f'max_views must be a positive int, got {value!r}'


def test_none_only_where_allowed_and_said_so():
    assert check_positive_int('max_samples', None, allow_none=True) is None
    assert check_non_negative_int('log_interval', None, allow_none=True) is None
    with pytest.raises(ValueError, match=r'^max_samples must be a positive int or None, got 0$'):
        check_positive_int('max_samples', 0, allow_none=True)


def test_non_negative_int_and_other_minimums():
    assert check_non_negative_int('start_iter', 0) == 0
    with pytest.raises(ValueError, match=r'^start_iter must be a non-negative int, got -1$'):
        check_non_negative_int('start_iter', -1)
    assert check_int('size', 32, minimum=32) == 32
    with pytest.raises(ValueError, match=r'^size must be an int >= 32, got 16$'):
        check_int('size', 16, minimum=32)
    assert check_int('offset', -5) == -5
    with pytest.raises(ValueError, match=r"^offset must be an int, got 'a'$"):
        check_int('offset', 'a')


def test_number_ranges_and_their_messages():
    assert check_number('val_ratio', 0, 0, 1, include_maximum=False) == 0.0
    assert check_number('ratio', np.float32(1.5), minimum=1) == 1.5
    with pytest.raises(ValueError, match=r'^val_ratio must be a finite number in \[0, 1\), got 1$'):
        check_number('val_ratio', 1, 0, 1, include_maximum=False)
    with pytest.raises(ValueError, match=r'^ratio must be a finite number >= 1, got 0.5$'):
        check_number('ratio', 0.5, minimum=1)
    with pytest.raises(ValueError, match=r'^scale must be a finite number < 2, got 2$'):
        check_number('scale', 2, maximum=2, include_maximum=False)
    assert check_number('momentum', 1, 0, 1, include_minimum=False) == 1.0
    with pytest.raises(ValueError, match=r'momentum must be a finite number in \(0, 1\], got 0'):
        check_number('momentum', 0, 0, 1, include_minimum=False)
    with pytest.raises(ValueError, match=r'tdl_lr must be a finite number > 0, got 0'):
        check_number('tdl_lr', 0, 0, include_minimum=False)
    for bad in (float('nan'), float('inf'), True, '1', None):
        with pytest.raises(ValueError, match=r'^alpha must be a finite number, got '):
            check_number('alpha', bad)


def test_probability_is_the_closed_unit_interval():
    assert check_probability('momentum', 0) == 0.0 and check_probability('momentum', 1) == 1.0
    with pytest.raises(ValueError, match=r'^momentum must be a finite number in \[0, 1\], got 1.5'):
        check_probability('momentum', 1.5)


def test_choice_lists_the_allowed_values_in_order():
    assert check_choice('scope', 'image', ('image', 'batch', 'global')) == 'image'
    with pytest.raises(ValueError) as err:
        check_choice('scope', 'pixel', ('image', 'batch', 'global'))
    assert str(err.value) == "scope must be one of 'image', 'batch', 'global'; got 'pixel'"
    assert check_choice('split', 'val', {'train': 0, 'val': 1}) == 'val'  # a mapping's keys
    with pytest.raises(ValueError, match=r"^split must be one of 'train', 'val'; got \['val'\]$"):
        check_choice('split', ['val'], {'train': 0, 'val': 1})


def test_validation_imports_no_torch_numpy_or_host():
    code = ('import sys, bdcl_mm.utils; '
            "print(sorted({m.split('.')[0] for m in sys.modules} & "
            "{'torch', 'numpy', 'mmengine', 'mmcv', 'mmseg', 'mmpretrain'}))")
    out = subprocess.run([sys.executable, '-c', code],
                         cwd=REPO,
                         capture_output=True,
                         text=True,
                         timeout=120,
                         check=True).stdout
    assert out.strip() == '[]'
