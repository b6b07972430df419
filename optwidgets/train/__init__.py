"""Training: the Trainer (fit loop), run events and callbacks, metrics and optimizers.

Example
-------
>>> from optwidgets.train import Callback, EVENTS
>>> EVENTS
('run_start', 'phase', 'batch_end', 'epoch_end', 'run_end')
"""

from optwidgets.train.callbacks import EVENTS, PHASES, Callback, CallbackList, RunState, StopRun
from optwidgets.train.metrics import classification_metrics, confusion_matrix
from optwidgets.train.optim import make_optimizer, make_scheduler
from optwidgets.train.trainer import RunDiverged, Trainer, evaluate

__all__ = ["EVENTS", "PHASES", "Callback", "CallbackList", "RunState", "StopRun", "Trainer",
           "RunDiverged", "evaluate", "classification_metrics", "confusion_matrix",
           "make_optimizer", "make_scheduler"]
