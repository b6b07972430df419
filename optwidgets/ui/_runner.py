"""Background runs: one worker thread at a time, cooperative stop, readable outcomes.

A widget's Train button calls :meth:`BackgroundRunner.start`; the job runs on a daemon
thread so the kernel stays responsive. ``stop()`` sets the cancel Event that ``ow.run``
checks before every batch. :func:`run_safely` turns anything that goes wrong into a
one-line message (the traceback is kept for whoever asks, never printed in the cell).
"""

from __future__ import annotations

import threading
import traceback
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from optwidgets.config import RunConfig
from optwidgets.core.errors import ConfigError, DataError
from optwidgets.runs import RunResult, RunStore, run
from optwidgets.train.callbacks import Callback
from optwidgets.viz import format_measure

__all__ = ["BackgroundRunner", "Outcome", "run_safely", "describe", "last_step"]


class Outcome:
    """What a Train click produced: a result, or why no run could start."""

    def __init__(
        self, result: RunResult | None = None, message: str = "", traceback_text: str = "",
        *, state: str | None = None,
    ) -> None:
        self.result = result
        self.message = message
        self.traceback = traceback_text
        self._state = state  # a job that is not a run says how it ended (e.g. "ready")

    @property
    def state(self) -> str:
        """``done`` | ``stopped`` | ``diverged`` | ``failed`` (a run), ``error`` (none),
        or the ``state`` a job that is not a run gave."""
        if self._state is not None:
            return self._state
        return self.result.status if self.result is not None else "error"


def run_safely(
    cfg: RunConfig, callbacks: Sequence[Callback], cancel: threading.Event, store: RunStore | bool
) -> Outcome:
    """``ow.run`` that never raises: settings refused before the start, or a bug, come back
    as an Outcome with a readable message."""
    try:
        result = run(cfg, callbacks=list(callbacks), cancel=cancel, store=store)
    except (ConfigError, DataError) as exc:
        return Outcome(None, f"not started: {exc}")
    except Exception as exc:  # shown as one line; the traceback is kept on the Outcome
        return Outcome(None, f"error: {type(exc).__name__}: {exc}", traceback.format_exc())
    return Outcome(result, describe(result))


def last_step(result: RunResult) -> int:
    """The last step a stored run's history records (a stopped run's unfinished epoch
    is not in its history: prefer the live count when there is one)."""
    h = result.history
    return int(h["step"].max()) if len(h) and "step" in h else 0


def _size_text(result: RunResult) -> str:
    if not result.size_bytes:
        return ""
    text = format_measure(result.size_bytes, "B")
    detail = [result.size_encoding] if result.size_encoding else []
    if result.dense_bytes and result.dense_bytes != result.size_bytes:
        detail.append(f"{result.size_bytes / result.dense_bytes:.2f}× dense")
    return text + (f" ({', '.join(detail)})" if detail else "")


def describe(result: RunResult, *, final: Mapping[str, Any] | None = None) -> str:
    """One status line for a finished run: state, technique, accuracy (R² and RMSE for a
    regression), size as saved
    (encoding, share of the dense size), training time and steps, run id.

    ``final`` is :attr:`ProgressView.final` of the same run: its step count (a stopped
    run's, mid-epoch) is the one the progress line shows, so both say the same.
    """
    m = result.metrics or {}
    acc = m.get("test_acc")
    r2, rmse = m.get("test_r2"), m.get("test_rmse")
    step = int(final["step"]) if final else last_step(result)
    where = ""
    if final and final.get("epochs"):
        where = f" (epoch {final['epoch']}/{final['epochs']})"
    parts: list[str] = []
    if acc is not None:
        parts.append(f"test accuracy {acc:.3f}")
    if r2 is not None:  # a regression (its task says so on the line)
        parts.append(f"regression: test R² {r2:.3f}, RMSE {rmse:.4g}")
    size = _size_text(result)
    if size:
        parts.append(size)
    parts.append(f"trained {result.train_seconds:.1f} s, {step:,} steps")
    rid = f" · run {result.run_id}"
    body = " · ".join(parts)
    if result.status == "done":
        early = result.extras.get("early_stopped_epoch")
        note = (
            f" · early stopping at epoch {early}, best epoch {result.extras.get('best_epoch', '?')}"
            if early
            else ""
        )
        return f"done · {result.technique} · {body}{note}{rid}"
    if result.status == "stopped":
        uncompressed = (
            result.technique != "baseline"
            and result.dense_bytes is not None
            and result.size_bytes == result.dense_bytes
        )
        note = " (stopped before compression: saved dense)" if uncompressed else ""
        return f"stopped at step {step:,}{where} · {result.technique}{note} · {body}{rid}"
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
