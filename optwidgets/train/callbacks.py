"""Run events, the Callback base class and the state a callback sees.

A run emits, in order: ``run_start``, then for each phase (``train``, ``distill``,
``lowrank``, ``prune``, ``finetune``, ``quantize``, ``measure``) a ``phase`` event,
``batch_end`` after every optimizer step and ``epoch_end`` after every epoch, and
finally ``run_end``. A callback overrides the hooks it needs.

Stopping is cooperative: ``RunState.cancel`` is a :class:`threading.Event` checked
before every batch; a hook may also raise :class:`StopRun`. Either way the run ends
with ``status="stopped"`` and keeps what it measured.

Example
-------
>>> class LossPrinter(Callback):
...     def on_epoch_end(self, run, logs):
...         print(run.epoch, round(logs["val_loss"], 2))
"""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from optwidgets.core.errors import ConfigError

if TYPE_CHECKING:  # pragma: no cover
    import torch
    from torch import nn

    from optwidgets.config import RunConfig
    from optwidgets.runs import RunResult

__all__ = ["EVENTS", "PHASES", "Callback", "RunState", "StopRun", "CallbackList"]

EVENTS = ("run_start", "phase", "batch_end", "epoch_end", "run_end")
PHASES = ("train", "distill", "lowrank", "prune", "finetune", "quantize", "measure")


class StopRun(Exception):
    """Raise from a callback hook to stop the run cooperatively (status ``stopped``)."""


@dataclass
class RunState:
    """What a callback can read while a run goes on (the trainer updates it in place).

    ``step`` counts optimizer steps over the whole run (1-based after the first batch);
    ``epoch`` is 1-based within the current phase; ``total_steps`` is the planned
    number of steps of the current phase.
    """

    config: RunConfig
    run_id: str
    cancel: threading.Event = field(default_factory=threading.Event)
    phase: str = ""
    epoch: int = 0
    epochs: int = 0
    step: int = 0
    phase_step: int = 0
    steps_per_epoch: int = 0
    total_steps: int = 0
    started: float = field(default_factory=time.perf_counter)
    model: nn.Module | None = None
    history_rows: list[tuple[int, int, str, str, str, float]] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def elapsed_s(self) -> float:
        return time.perf_counter() - self.started

    def log(self, split: str, metric: str, value: float) -> None:
        """Append one history row at the current step, epoch and phase."""
        self.history_rows.append((self.step, self.epoch, self.phase, split, metric, float(value)))


class Callback:
    """Base class with do-nothing hooks; override the ones you need.

    ``on_batch_end`` receives the batch loss as a detached 0-d tensor on the run's
    device: calling ``float(loss)`` synchronizes with a GPU, so do it only when needed.
    """

    def on_run_start(self, run: RunState) -> None:
        pass

    def on_phase(self, run: RunState, phase: str) -> None:
        pass

    def on_batch_end(self, run: RunState, loss: torch.Tensor) -> None:
        pass

    def on_epoch_end(self, run: RunState, logs: dict[str, float]) -> None:
        pass

    def on_run_end(self, run: RunState, result: RunResult) -> None:
        pass


class CallbackList:
    """Dispatches events to callbacks; hooks a callback did not override are never called
    (so an empty per-batch path costs nothing in the training loop)."""

    def __init__(self, callbacks: Sequence[Callback] | None = None) -> None:
        self.callbacks = list(callbacks or [])
        for cb in self.callbacks:
            if not isinstance(cb, Callback):
                raise ConfigError("callbacks", cb, "instances of optwidgets.Callback")
        self.batch_hooks = [cb.on_batch_end for cb in self.callbacks
                            if type(cb).on_batch_end is not Callback.on_batch_end]

    def run_start(self, run: RunState) -> None:
        for cb in self.callbacks:
            cb.on_run_start(run)

    def phase(self, run: RunState, phase: str) -> None:
        run.phase = phase
        for cb in self.callbacks:
            cb.on_phase(run, phase)

    def epoch_end(self, run: RunState, logs: dict[str, float]) -> None:
        for cb in self.callbacks:
            cb.on_epoch_end(run, logs)

    def run_end(self, run: RunState, result: RunResult) -> None:
        for cb in self.callbacks:
            cb.on_run_end(run, result)
