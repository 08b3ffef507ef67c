"""Pre-flight checks of MMPretrain configs, run by ``tools/train.py``/``tools/test.py``."""
from mmengine.config import Config


def _train_pipeline(cfg: Config) -> list:
    dataset = (cfg.get('train_dataloader') or {}).get('dataset') or {}
    while isinstance(dataset, dict) and 'pipeline' not in dataset and 'dataset' in dataset:
        dataset = dataset['dataset']
    return list(dataset.get('pipeline') or []) if isinstance(dataset, dict) else []


def check_config(cfg: Config) -> None:
    """Fail early on the two-stage recipe's easy mistakes.

    - A cRT stage-2 model (``CRTClsHead``) without ``load_from``, ``resume`` or a backbone
      ``init_cfg`` would train a classifier on a random frozen backbone.
    - A ``MultiView`` training pipeline needs ``BDCLImageClassifier`` (it concatenates views).

    Raises:
        ValueError: With the setting to change.
    """
    model = cfg.get('model') or {}
    head = model.get('head') or {}
    backbone = model.get('backbone') or {}
    if (isinstance(head, dict) and head.get('type') == 'CRTClsHead' and not cfg.get('load_from')
            and not cfg.get('resume') and not backbone.get('init_cfg')):
        raise ValueError(
            'This is a cRT stage-2 config (CRTClsHead on a frozen backbone) but no stage-1 weights '
            'are given. Pass the stage-1 checkpoint: --cfg-options '
            'load_from=work_dirs/<stage-1 config>/epoch_<N>.pth')
    multi_view = any(
        isinstance(t, dict) and t.get('type') == 'MultiView' for t in _train_pipeline(cfg))
    if multi_view and model.get('type') != 'BDCLImageClassifier':
        raise ValueError(
            f"the training pipeline makes several views per image (MultiView) but model.type is "
            f"{model.get('type')!r}; use type='BDCLImageClassifier' (with BDCLClsHead).")
