import os.path as osp

from setuptools import find_packages, setup

HERE = osp.dirname(osp.abspath(__file__))


def read_requirements(name):
    """Requirement lines of ``requirements/<name>.txt`` without comments."""
    with open(osp.join(HERE, 'requirements', name + '.txt')) as f:
        lines = (line.split('#')[0].strip() for line in f)
        return [line for line in lines if line]


def read_version():
    namespace = {}
    with open(osp.join(HERE, 'bdcl_mm', 'version.py')) as f:
        exec(compile(f.read(), 'version.py', 'exec'), namespace)
    return namespace['__version__']


setup(
    name='bdcl_mm',
    version=read_version(),
    description='Balanced and Discriminative Contrastive Learning (BDCL) for MMSegmentation and '
    'MMPretrain',
    long_description=open(osp.join(HERE, 'README.md')).read() if osp.exists(
        osp.join(HERE, 'README.md')) else '',
    long_description_content_type='text/markdown',
    packages=find_packages(
        exclude=('tests', 'tests.*', 'configs', 'tools', 'benchmarks', 'benchmarks.*')),
    python_requires='>=3.9',
    install_requires=read_requirements('runtime') + read_requirements('mminstall'),
    extras_require={
        'tests': read_requirements('tests'),
        'torch': read_requirements('torch'),
        'build': read_requirements('build'),
    },
    license='Apache-2.0',
    zip_safe=False,
)
