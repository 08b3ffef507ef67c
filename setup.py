"""bdcl_mm packaging: compatible ranges for installing into an existing OpenMMLab environment.

``install_requires`` and the extras hold the ranges the hosts themselves declare, so that
``pip install -e .`` (or ``.[seg]``, ``.[cls]``, ``.[all]``) into a working environment keeps its
torch, mmcv, mmengine, mmsegmentation and mmpretrain. The tested exact pins are
``requirements/*.txt``; ``make setup`` (tools/build/setup_env.sh) installs those and then this
package with ``--no-deps``.
"""
import os.path as osp

from setuptools import find_packages, setup

HERE = osp.dirname(osp.abspath(__file__))

INSTALL_REQUIRES = [
    'torch>=1.13',  # torch.load(weights_only=...); the safe checkpoint loader needs >= 2.6
    'mmengine>=0.10.0,<1.0.0',  # mmseg 1.2.2 asks >=0.5,<1 and mmpretrain 1.2.0 >=0.8.3,<1
    'numpy',
    'scipy',
    'opencv-python>=3',  # as mmengine and mmcv declare it
    'matplotlib',
    'tqdm',
]
# mmcv: mmseg 1.2.2 asserts >=2.0.0rc4,<2.2.0 and mmpretrain 1.2.0 >=2.0.0,<2.4.0. ftfy and regex
# are hard imports of mmseg.models that mmseg declares only in an extra. mmpretrain imports
# torchvision without declaring it; it is not declared here either, since pip would pick a
# torchvision that pins another torch: install the one that matches your torch.
SEG_REQUIRES = ['mmsegmentation>=1.2.0,<2.0.0', 'mmcv>=2.0.0,<2.2.0', 'ftfy', 'regex']
CLS_REQUIRES = ['mmpretrain>=1.2.0,<2.0.0', 'mmcv>=2.0.0,<2.4.0']
TESTS_REQUIRE = ['pytest', 'scikit-learn', 'imbalanced-learn']


def read_version() -> str:
    namespace = {}
    with open(osp.join(HERE, 'bdcl_mm', 'version.py')) as f:
        exec(compile(f.read(), 'version.py', 'exec'), namespace)
    return namespace['__version__']


def read_readme() -> str:
    path = osp.join(HERE, 'README.md')
    if not osp.exists(path):
        return ''
    with open(path, encoding='utf-8') as f:
        return f.read()


setup(
    name='bdcl_mm',
    version=read_version(),
    description='Balanced and Discriminative Contrastive Learning (BDCL) for MMSegmentation and '
    'MMPretrain',
    long_description=read_readme(),
    long_description_content_type='text/markdown',
    packages=find_packages(
        exclude=('tests', 'tests.*', 'configs', 'tools', 'benchmarks', 'benchmarks.*')),
    python_requires='>=3.9',
    install_requires=INSTALL_REQUIRES,
    extras_require={
        'seg': SEG_REQUIRES,
        'cls': CLS_REQUIRES,
        'all': SEG_REQUIRES + CLS_REQUIRES,
        'tests': TESTS_REQUIRE,
    },
    license='Apache-2.0',
    zip_safe=False,
)
