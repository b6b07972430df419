"""Training: the Trainer (fit loop), run events and callbacks, metrics and optimizers.

The event vocabulary (``Callback``, ``RunState``, ``StopRun``) imports without torch;
the Trainer, metrics and optimizers load torch on first use.

Example
-------
>>> from optwidgets.train import Callback, EVENTS
>>> EVENTS
('run_start', 'phase', 'batch_end', 'epoch_end', 'run_end')
"""

from __future__ import annotations

import importlib
from typing import Any

from optwidgets.train.callbacks import EVENTS, PHASES, Callback, CallbackList, RunState, StopRun

__all__ = ["EVENTS", "PHASES", "Callback", "CallbackList", "RunState", "StopRun", "Trainer",
           "RunDiverged", "evaluate", "classification_metrics", "confusion_matrix",
           "make_optimizer", "make_scheduler", "TensorBoardLogger", "MLflowLogger",
           "parse_log_spec"]

_LAZY = {
    "Trainer": "optwidgets.train.trainer",
    "RunDiverged": "optwidgets.train.trainer",
    "evaluate": "optwidgets.train.trainer",
    "classification_metrics": "optwidgets.train.metrics",
    "confusion_matrix": "optwidgets.train.metrics",
    "make_optimizer": "optwidgets.train.optim",
    "make_scheduler": "optwidgets.train.optim",
    "TensorBoardLogger": "optwidgets.train.loggers",
    "MLflowLogger": "optwidgets.train.loggers",
    "parse_log_spec": "optwidgets.train.loggers",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        value = getattr(importlib.import_module(_LAZY[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'optwidgets.train' has no attribute {name!r}")
