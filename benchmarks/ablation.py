"""The paper's ablation table (baseline, w/o TDL, w/o HEP, full), every row of the default method.

Each row states the switches its config sets (the temperature rule and the hard-example
prototypes), its metrics (mean ± std over seeds) and the full method minus the row, paired by
seed (mean [95% interval]). A row without runs is shown as not run, never left out.
"""
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Sequence

from .common import fmt_mean_std, fmt_paired, markdown_table, paired_difference

#: Row names in table order.
ROWS = ('baseline', 'w/o TDL', 'w/o HEP', 'full')


@dataclass(frozen=True)
class AblationEntry:
    """One row: ``values`` maps a metric's label to ``{seed: value}`` (empty: not run)."""
    row: str
    label: str
    tdl: Optional[str]
    prototypes: Optional[bool]
    values: Dict[str, Dict[int, float]] = field(default_factory=dict)


def ablation_table(entries: Sequence[AblationEntry], metrics: Sequence[str],
                   paired_metric: str) -> str:
    """Markdown table of ``entries`` (in :data:`ROWS` order) with ``metrics`` columns and the
    full method minus each other row on ``paired_metric``, paired by seed."""
    by_row = {e.row: e for e in entries}
    unknown = sorted(set(by_row) - set(ROWS))
    if unknown:
        raise ValueError(f'unknown ablation rows {unknown}; use {list(ROWS)}.')
    full = by_row.get('full')
    header = ['ablation', 'method', 'TDL', 'HEP', 'seeds'] + list(metrics) + [
        f'full − row, {paired_metric}']
    body = []
    for name in ROWS:
        entry = by_row.get(name)
        if entry is None:
            continue
        switches = [entry.tdl or '—',
                    '—' if entry.prototypes is None else 'yes' if entry.prototypes else 'no']
        first = next(iter(entry.values.values()), {})
        if not first:
            body.append([name, entry.label] + switches + ['not run'] + ['—'] * len(metrics) +
                        ['—'])
            continue
        cells = [name, entry.label] + switches + [','.join(map(str, sorted(first)))]
        cells += [fmt_mean_std([v for _, v in sorted(entry.values[m].items())])
                  if entry.values.get(m) else '—' for m in metrics]
        if name == 'full' or full is None or not full.values.get(paired_metric):
            cells.append('—')
        else:
            diff = paired_difference(full.values[paired_metric],
                                     entry.values.get(paired_metric, {}))
            cells.append('fewer than 2 paired seeds' if diff is None else
                         f'{fmt_paired(diff)} ({diff["n"]} seeds): {diff["verdict"]}')
        body.append(cells)
    return markdown_table(header, body)


def ablation_lines(entries: Sequence[AblationEntry], metrics: Sequence[str],
                   paired_metric: str, default_rule: str) -> List[str]:
    """A captioned ablation table; empty when the full method has no run."""
    full = next((e for e in entries if e.row == 'full'), None)
    if full is None or not any(full.values.values()):
        return []
    return [f'Ablation, as in the paper (baseline, w/o TDL, w/o HEP, full), every row with the '
            f'default temperature rule `{default_rule}` where it learns temperatures; '
            '"full − row" is paired by seed, mean [95% interval]:', '',
            ablation_table(entries, metrics, paired_metric), '']


#: The segmentation benchmark's ablation: row name -> method of ``benchmarks/seg_benchmark.py``.
SEG_METHODS = {'baseline': 'scl', 'w/o TDL': 'bdcl_wo_tdl', 'w/o HEP': 'bdcl_wo_hep', 'full': 'bdcl'}


def seg_ablation_markdown(rows: Dict[str, dict]) -> List[str]:
    """The captioned ablation table of ``seg_results.json``'s rows, the switches read from each
    method's full-size config (``seg_benchmark.method_switches``)."""
    from . import cls_plan, seg_benchmark as seg
    entries = []
    for name, method in SEG_METHODS.items():
        switches, row = seg.method_switches(method), rows.get(method)
        values = {} if row is None else {
            metric: dict(zip(row['seeds'], row[metric])) for metric in ('mIoU', 'mDice')}
        entries.append(AblationEntry(name, seg.METHODS[method]['label'],
                                     switches.get(seg.LOSS + 'tdl'),
                                     switches.get(seg.LOSS + 'use_prototypes'), values))
    return ablation_lines(entries, ('mIoU', 'mDice'), 'mIoU', cls_plan.bdcl_loss_default('tdl'))
