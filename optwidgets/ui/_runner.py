"""Background runs: one worker thread at a time, cooperative stop, readable outcomes.

A widget's Train button calls :meth:`BackgroundRunner.start`; the job runs on a daemon
thread so the kernel stays responsive. ``stop()`` sets the cancel Event that ``ow.run``
checks before every batch. :func:`run_safely` turns anything that goes wrong into a
one-line message (the traceback is kept for whoever asks, never printed in the cell).
"""

from __future__ import annotations

import threading
import traceback
from collections.abc import Callable, Sequence
from typing import Any

from optwidgets.config import RunConfig
from optwidgets.core.errors import ConfigError, DataError
from optwidgets.runs import RunResult, RunStore
from optwidgets.train.callbacks import Callback

__all__ = ["BackgroundRunner", "Outcome", "run_safely", "describe"]


class Outcome:
    """What a Train click produced: a result, or why no run could start."""

    def __init__(
        self, result: RunResult | None = None, message: str = "", traceback_text: str = ""
    ) -> None:
        self.result = result
        self.message = message
        self.traceback = traceback_text

    @property
    def state(self) -> str:
        """``done`` | ``stopped`` | ``diverged`` | ``failed`` (a run), or ``error`` (none)."""
        return self.result.status if self.result is not None else "error"


def run_safely(
    cfg: RunConfig, callbacks: Sequence[Callback], cancel: threading.Event, store: RunStore | bool
) -> Outcome:
    """``ow.run`` that never raises: settings refused before the start, or a bug, come back
    as an Outcome with a readable message."""
    from optwidgets.runs import run

    try:
        result = run(cfg, callbacks=list(callbacks), cancel=cancel, store=store)
    except (ConfigError, DataError) as exc:
        return Outcome(None, f"not started: {exc}")
    except Exception as exc:  # shown as one line; the traceback is kept on the Outcome
        return Outcome(None, f"error: {type(exc).__name__}: {exc}", traceback.format_exc())
    return Outcome(result, describe(result))


def _last_step(result: RunResult) -> int:
    h = result.history
    return int(h["step"].max()) if len(h) and "step" in h else 0


def describe(result: RunResult) -> str:
    """One status line for a finished run."""
    m = result.metrics or {}
    acc, f1 = m.get("test_acc"), m.get("f1")
    scores = ""
    if acc is not None:
        scores = f"test accuracy {acc:.3f}" + (f", F1 {f1:.3f}" if f1 is not None else "")
    size = f", {result.size_bytes:,} bytes" if result.size_bytes else ""
    timing = f", trained in {result.train_seconds:.1f} s"
    rid = f" · run {result.run_id}"
    if result.status == "done":
        early = result.extras.get("early_stopped_epoch")
        note = (
            (
                f" (early stopping at epoch {early}, best epoch "
                f"{result.extras.get('best_epoch', '?')})"
            )
            if early
            else ""
        )
        return f"done: {scores}{size}{timing}{note}{rid}"
    if result.status == "stopped":
        tail = f"; {scores}" if scores else ""
        return f"stopped at step {_last_step(result)}{tail}{rid}"
    if result.status == "diverged":
        return (
            f"diverged: {result.error}. Try a smaller learning rate, gradient clipping "
            f"or another optimizer{rid}"
        )
    return f"failed: {result.error}{rid}"


class BackgroundRunner:
    """Runs one job at a time on a daemon thread.

    Example
    -------
    >>> r = BackgroundRunner()
    >>> r.start(lambda cancel: None)
    True
    >>> r.wait(5)
    True
    """

    def __init__(self) -> None:
        self.cancel = threading.Event()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self.error: str | None = None  # an exception that escaped a job (a bug)

    @property
    def running(self) -> bool:
        t = self._thread
        return t is not None and t.is_alive()

    def start(self, job: Callable[[threading.Event], Any], *, name: str = "optwidgets-run") -> bool:
        """Start ``job(cancel_event)`` unless a job is running; returns whether it started."""
        with self._lock:
            if self.running:
                return False
            self.cancel = threading.Event()
            self._thread = threading.Thread(
                target=self._main, args=(job, self.cancel), name=name, daemon=True
            )
            self._thread.start()
            return True

    def _main(self, job: Callable[[threading.Event], Any], cancel: threading.Event) -> None:
        try:
            job(cancel)
        except Exception as exc:  # jobs report their own errors; this is the last guard
            self.error = f"{type(exc).__name__}: {exc}"

    def stop(self) -> None:
        """Ask the running job to stop (it ends within one batch)."""
        self.cancel.set()

    def wait(self, timeout: float | None = None) -> bool:
        """Join the worker; True when no job is running any more."""
        t = self._thread
        if t is not None:
            t.join(timeout)
        return not self.running
