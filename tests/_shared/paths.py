"""Paths inside the repository checkout that the tests run from."""
import os.path as osp

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
CONFIGS = osp.join(REPO, 'configs')
TOOLS = osp.join(REPO, 'tools')

__all__ = ['CONFIGS', 'REPO', 'TOOLS']
