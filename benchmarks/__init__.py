"""Benchmarks of bdcl_mm: classification, segmentation, cost, and the rendered results pages.

Every benchmark runs the real configs through ``tools/train.py`` (one subprocess per run), writes
one result JSON per run (so a partial sweep is usable and a re-run skips finished runs) and
aggregates whatever finished into ``docs/results/``.
"""
