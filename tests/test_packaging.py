"""pip's resolver puts bdcl_mm into the environment that has the stack and changes nothing else."""
import json
import os
import re
import subprocess
import sys

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
STACK = ('torch', 'torchvision', 'mmcv', 'mmengine', 'mmsegmentation', 'mmpretrain')
REPORT_PIP = (22, 2)  # first pip with `install --dry-run --report`


def pip_version():
    out = subprocess.run([sys.executable, '-m', 'pip', '--version'], capture_output=True,
                         text=True, check=True).stdout
    return tuple(int(part) for part in re.match(r'pip (\d+)\.(\d+)', out).groups())


def dry_run_report(target, report_path):
    """Resolve ``pip install -e target`` offline against this interpreter's site-packages."""
    version = pip_version()
    if version < REPORT_PIP:
        pytest.skip(f'pip {version} has no `install --dry-run --report` (pip >= 22.2)')
    command = [
        sys.executable, '-m', 'pip', 'install', '--dry-run', '--no-index', '--no-build-isolation',
        '--disable-pip-version-check', '--quiet', '--report', str(report_path), '-e', target
    ]
    proc = subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, (f'pip could not resolve {target} from what is installed, so it '
                                  f'would download or change packages:\n{proc.stderr[-4000:]}')
    with open(report_path) as f:
        return json.load(f)


@pytest.fixture(scope='module')
def reports(tmp_path_factory):
    """``extras -> pip report``, each resolved once per test session."""
    cache = {}

    def report(extras):
        if extras not in cache:
            cache[extras] = dry_run_report(REPO + extras,
                                           tmp_path_factory.mktemp('pip') / 'report.json')
        return cache[extras]

    return report


@pytest.mark.parametrize('extras', ['', '[seg]', '[cls]', '[all,tests]'])
def test_pip_install_into_the_stack_changes_nothing_but_bdcl_mm(reports, extras):
    report = reports(extras)
    names = {canonicalize_name(item['metadata']['name']): item['metadata']['version']
             for item in report['install']}
    assert not {canonicalize_name(n) for n in STACK} & set(names), names
    assert list(names) == ['bdcl-mm'], f'pip would also install {names}'


def test_host_requirements_are_ranges_not_pins(reports):
    report = reports('[all,tests]')
    metadata = report['install'][0]['metadata']
    assert {'seg', 'cls', 'all', 'tests'} <= set(metadata['provides_extra'])
    declared = {}
    for line in metadata['requires_dist']:
        requirement = Requirement(line)
        declared.setdefault(canonicalize_name(requirement.name), []).append(requirement)
    for name in ('torch', 'mmcv', 'mmengine', 'mmsegmentation', 'mmpretrain'):
        assert name in declared, f'{name} is not declared'
        for requirement in declared[name]:
            operators = {spec.operator for spec in requirement.specifier}
            assert operators and not operators & {'==', '==='}, f'{requirement} pins {name}'
