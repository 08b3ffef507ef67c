"""Batch mixing maths in pure torch (no host import): Balanced-MixUp."""
from .balanced_mixup import balanced_mixup

__all__ = ['balanced_mixup']
