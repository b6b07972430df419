"""A terminal progress bar (tqdm) for runs started from the CLI or a script.

Example
-------
>>> import optwidgets as ow
>>> from optwidgets.train.progress import ProgressBar
>>> ow.run(dataset="moons", model="mlp", epochs=1, callbacks=[ProgressBar(disable=True)],
...        store=False).status
'done'
"""

from __future__ import annotations

import sys
from typing import Any

from tqdm.auto import tqdm

from optwidgets.train.callbacks import Callback, RunState

__all__ = ["ProgressBar"]


class ProgressBar(Callback):
    """One bar per training phase, on stderr, with the last epoch's val loss and accuracy."""

    def __init__(self, file: Any = None, disable: bool = False) -> None:
        self.file = file or sys.stderr
        self.disable = disable
        self.bar: Any = None

    def on_batch_end(self, run: RunState, loss: Any) -> None:
        if self.bar is None:
            self.bar = tqdm(total=run.total_steps, desc=run.phase, unit="step", file=self.file,
                            disable=self.disable, leave=False, dynamic_ncols=True)
        self.bar.update(1)

    def on_epoch_end(self, run: RunState, logs: dict[str, float]) -> None:
        if self.bar is not None:
            score = {k: f"{logs[k]:.3f}" for k in ("val_acc", "val_r2") if k in logs}
            self.bar.set_postfix(epoch=run.epoch, val_loss=f"{logs['val_loss']:.3f}",
                                 **score, refresh=False)

    def on_phase(self, run: RunState, phase: str) -> None:
        self._close()

    def on_run_end(self, run: RunState, result: Any) -> None:
        self._close()

    def _close(self) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None
