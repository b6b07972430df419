"""Live curves: a Callback that records a run's losses and redraws a FigureWidget, throttled.

Every widget update made from the training thread goes through :class:`LiveCurves`:

- ``on_batch_end`` only appends the loss tensor (no ``float()``, so no GPU sync);
- a redraw happens when at least ``min_interval`` seconds (0.125 s) have passed since
  the run started or since the last redraw, plus one final redraw at run end: at most 8
  throttled redraws a second and the final one, so never more than 9 in any second;
- the wait also grows with what a redraw costs (``max_share``: a redraw that took 8 ms
  waits >= 160 ms at 5 %), so the UI never takes more than ~5 % of the training thread;
- one redraw is one ``fig.batch_update()`` (one plotly message), the train series are
  decimated to ``max_points`` (``viz.decimate``) and sent as int32 steps / float32
  values, so a message is bounded (~7 KB) however long the run;
- listeners (progress bar, status) are updated in the same redraw;
- the loss lines take the colour of the run's technique family (the colour its point
  will have on the trade-off plot), and an empty figure is a placeholder until the
  first points arrive.

:class:`ProgressView` is the progress bar and line of a run, a sweep or a search: phase,
epoch and step, elapsed time and ETA while it runs, and after it ends (stopped too) the
same step count as the status line; while a dataset downloads (its first load), the
file, the bytes so far and the total.

Example
-------
>>> import optwidgets as ow
>>> from optwidgets.ui import LiveCurves
>>> live = LiveCurves()
>>> res = ow.run(ow.RunConfig(dataset="xor", model="mlp", epochs=1), callbacks=[live],
...              store=False)
>>> live.redraws >= 1 and len(live.figure.data[0].x) > 0
True
"""

from __future__ import annotations

import contextlib
import html
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import ipywidgets as W
import numpy as np
import plotly.graph_objects as go
import torch

from optwidgets import viz
from optwidgets.compress.pipeline import technique_label
from optwidgets.data import on_progress
from optwidgets.runs.ensemble import MEMBER_KEY
from optwidgets.train.callbacks import Callback, RunState
from optwidgets.ui._figures import loss_figure
from optwidgets.viz import format_measure

__all__ = ["Recording", "LiveCurves", "draw_loss_curves", "draw_smoothed_trace", "ProgressView"]


class Recording:
    """The current run's curves as they arrive: per-step train loss, per-epoch val metrics."""

    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        self._pending: list[Any] = []  # loss tensors not read yet (read in one go per redraw)
        self._pending_steps: list[int] = []
        self.steps: list[int] = []
        self.losses: list[float] = []
        self.val_steps: list[int] = []
        self.val_loss: list[float] = []
        self.val_acc: list[float] = []

    def add_loss(self, step: int, loss: Any) -> None:
        self._pending.append(loss)
        self._pending_steps.append(step)

    def add_epoch(self, step: int, logs: dict[str, float]) -> None:
        self.val_steps.append(step)
        self.val_loss.append(float(logs.get("val_loss", np.nan)))
        self.val_acc.append(float(logs.get("val_acc", np.nan)))

    def flush(self) -> None:
        """Read the pending loss tensors (one device read for all of them)."""
        if not self._pending:
            return
        values = torch.stack([t.reshape(()) for t in self._pending]).float().cpu().tolist()
        self.losses.extend(values)
        self.steps.extend(self._pending_steps)
        self._pending, self._pending_steps = [], []

    @property
    def n_points(self) -> int:
        return len(self.steps) + len(self._pending_steps)


def _set(trace: Any, x: np.ndarray, y: np.ndarray) -> None:
    trace.x = np.asarray(x, dtype=np.int32)
    trace.y = np.asarray(y, dtype=np.float32)


def draw_loss_curves(
    fig: go.FigureWidget, rec: Recording, *, max_points: int = 400, smoothing: float = 0.6
) -> None:
    """Fill the four traces of a ``viz.loss_curves`` figure (found by name) from ``rec``."""
    by_name = {t.name: t for t in fig.data}
    x = np.asarray(rec.steps, dtype=np.int64)
    y = np.asarray(rec.losses, dtype=np.float64)
    smooth = viz.smooth_ema(y, smoothing)
    series = {
        viz.TRACE_TRAIN_RAW: viz.decimate(x, y, max_points),
        viz.TRACE_TRAIN_SMOOTH: viz.decimate(x, smooth, max_points, method="stride"),
        viz.TRACE_VAL_LOSS: (rec.val_steps, rec.val_loss),
        viz.TRACE_VAL_ACC: (rec.val_steps, rec.val_acc),
    }
    for name, (sx, sy) in series.items():
        if name in by_name:
            _set(by_name[name], sx, sy)


def draw_smoothed_trace(
    fig: go.FigureWidget,
    rec: Recording,
    *,
    index: int,
    max_points: int = 400,
    smoothing: float = 0.6,
) -> None:
    """Fill trace ``index`` with the smoothed train loss (one trace per run, overlaid)."""
    x = np.asarray(rec.steps, dtype=np.int64)
    smooth = viz.smooth_ema(np.asarray(rec.losses, dtype=np.float64), smoothing)
    _set(fig.data[index], *viz.decimate(x, smooth, max_points, method="stride"))


class LiveCurves(Callback):
    """Records losses during a run and redraws ``figure`` at most every ``min_interval`` s.

    Parameters
    ----------
    figure : go.FigureWidget, optional
        Reused across runs; default a new :func:`loss_figure`.
    draw : callable, optional
        ``draw(figure, recording)`` called inside ``figure.batch_update()``; default
        :func:`draw_loss_curves`.
    listeners : sequence of callables
        ``listener(run, recording)`` after each redraw (progress bar, status line).
    min_interval : float
        Least seconds between two throttled redraws (0.125: at most 8 a second, plus the
        final one).
    max_share : float
        Largest share of the training thread's time the redraws may take.
    max_points : int
        Most points sent per train curve.
    make_figure : bool
        Make the figure now when none is given; False leaves ``figure`` None until
        someone sets it (a dashboard makes its figures in the background): runs are
        recorded meanwhile and drawn once it is there.

    Attributes
    ----------
    recording : Recording
    redraws : int
        Redraws of the current run.
    redraw_seconds : float
        Time spent redrawing in the current run.
    redraw_times : list of float
        ``time.perf_counter()`` at the start of each redraw of the current run.
    last_error : str or None
        A redraw that failed (the run goes on; the message is kept here).
    """

    def __init__(
        self,
        figure: go.FigureWidget | None = None,
        *,
        draw: Callable[[go.FigureWidget, Recording], None] | None = None,
        listeners: Sequence[Callable[[RunState, Recording], None]] = (),
        min_interval: float = 0.125,
        max_share: float = 0.05,
        max_points: int = 400,
        smoothing: float = 0.6,
        make_figure: bool = True,
    ) -> None:
        self.figure = figure if figure is not None or not make_figure else loss_figure(shared=False)
        self.max_points = max_points
        self.smoothing = smoothing
        self.draw = draw or (
            lambda fig, rec: draw_loss_curves(
                fig, rec, max_points=self.max_points, smoothing=self.smoothing
            )
        )
        self.listeners = list(listeners)
        self.min_interval = float(min_interval)
        self.max_share = float(max_share)
        self.recording = Recording()
        self.redraws = 0
        self.redraw_seconds = 0.0
        self.redraw_times: list[float] = []
        self.last_error: str | None = None
        self.color: str | None = None  # the current run's family colour
        self._recolor = False
        self._placeholder = True  # the figure still shows its placeholder text
        self._next = 0.0

    # -- hooks ---------------------------------------------------------------------------
    def on_run_start(self, run: RunState) -> None:
        self.recording.reset()
        self.redraws, self.redraw_seconds, self.last_error = 0, 0.0, None
        self.redraw_times = []
        try:
            color = viz.technique_color(technique_label(run.config))
        except Exception:  # a config the label does not know: keep the colour
            color = self.color
        self._recolor = color != self.color
        self.color = color
        # First drawing one interval after the start (replacing the last run's curves):
        # a run of T seconds gets at most T / min_interval + 1 redraws.
        self._next = time.perf_counter() + self.min_interval

    def on_batch_end(self, run: RunState, loss: Any) -> None:
        self.recording.add_loss(run.step, loss)
        if time.perf_counter() >= self._next:
            self.redraw(run)

    def on_epoch_end(self, run: RunState, logs: dict[str, float]) -> None:
        self.recording.add_epoch(run.step, logs)
        if time.perf_counter() >= self._next:
            self.redraw(run)

    def on_run_end(self, run: RunState, result: Any) -> None:
        self.redraw(run)

    # -- drawing -------------------------------------------------------------------------
    def redraw(self, run: RunState | None = None) -> None:
        """Draw what has been recorded now (one batched figure update)."""
        t0 = time.perf_counter()
        try:
            self.recording.flush()
            fig = self.figure
            if fig is not None:
                with fig.batch_update():
                    if self._placeholder and self.recording.n_points:
                        viz.show_axes(fig)
                        self._placeholder = False
                    if self._recolor and self.color:
                        viz.recolor_loss_curves(fig, self.color)
                        self._recolor = False
                    self.draw(fig, self.recording)
            for listener in self.listeners:
                listener(run, self.recording)
        except Exception as exc:  # a drawing problem must not end the run
            self.last_error = f"{type(exc).__name__}: {exc}"
        t1 = time.perf_counter()
        self.redraws += 1
        self.redraw_times.append(t0)
        self.redraw_seconds += t1 - t0
        self._next = t0 + max(self.min_interval, (t1 - t0) / self.max_share)


# Phases that step through batches (a bar and an ETA); the others are one block of work.
_STEPPING = ("train", "distill", "finetune")
_PHASE_TEXT = {
    "train": "train",
    "distill": "distill",
    "lowrank": "low rank",
    "prune": "prune",
    "finetune": "fine-tune",
    "quantize": "quantize",
    "measure": "measure",
}


def _member(run: RunState | None) -> str:
    """`` · member 2/5`` while an ensemble's second of five members trains, else ``""``."""
    member = run.extra.get(MEMBER_KEY) if run is not None else None
    return f" · member {member}" if member else ""


def _seconds(s: float) -> str:
    """``0.05 s``, ``1.3 s``, ``2 min 05 s``."""
    if s < 1:
        return f"{s:.2f} s"
    return f"{s:.1f} s" if s < 60 else f"{int(s // 60)} min {int(s % 60):02d} s"


class ProgressView(Callback):
    """The progress bar and line of whatever the panel runs: a run, a sweep, a search.

    A Callback (phase events, cheap) and a :class:`LiveCurves` listener (throttled
    redraws): ``train · epoch 3/10 · step 340/1,130 · 1.2 s · ETA 2.8 s`` while a phase
    steps through batches; ``quantize · 4.1 s`` for a phase that does not; after the run
    ``done · 10 epochs · 1,130 steps · trained 3.2 s`` or ``stopped at step 1,823 …``,
    (an ensemble's members: ``train · member 2/5 · epoch 3/10 · …``),
    with the step count the status line gives (:attr:`final`). ``job`` (``"run 2/5 ·
    prune_ratio=0.5"``, ``"trial 3/12"``) prefixes the line during sweeps and searches.

    Attributes: ``bar`` (IntProgress), ``label`` (HTML), ``text`` (the line as plain
    text), ``final`` (``{"status", "step", "epoch", "epochs", "phase", "seconds"}`` of
    the last run, None while one runs), ``job``.
    """

    download_interval = 0.2  # s between download updates (pooch reports every 1 KiB chunk)

    def __init__(self) -> None:
        self.bar = W.IntProgress(
            value=0, min=0, max=1, bar_style="",
            layout=W.Layout(width="132px", flex="0 0 132px", margin="0 4px"),
        )  # fmt: skip
        self.label = W.HTML("", layout=W.Layout(flex="1 1 240px", min_width="0"))
        self.label.add_class("ow-progress-label")
        self.widget = W.HBox(
            [self.bar, self.label],
            layout=W.Layout(flex="1 1 360px", min_width="0", align_items="center"),
        )
        self.text = ""
        self.job = ""
        self.final: dict[str, Any] | None = None
        self._phase = ""
        self._stepping = ""  # the last phase that stepped through batches
        self._phase_t0 = time.perf_counter()
        self._run_t0 = self._phase_t0
        self._download_t = 0.0

    # -- text ------------------------------------------------------------------------
    def show(self, text: str) -> None:
        self.text = text
        self.label.value = html.escape(text)

    def _prefix(self) -> str:
        return f"{self.job} · " if self.job else ""

    def reset(self, text: str = "") -> None:
        with self.bar.hold_sync():
            self.bar.value, self.bar.bar_style = 0, ""
        self.show(self._prefix() + text if text else text)
        self._phase = ""

    # -- downloads (a dataset's first load, before the run starts) ------------------------
    @contextlib.contextmanager
    def downloads(self) -> Iterator[None]:
        """While inside, the downloads this thread makes are shown on the bar and line.

        The listener is :func:`optwidgets.data.on_progress`; downloads of other threads
        (another panel's run) are not this view's.
        """
        thread = threading.get_ident()

        def heard(dataset: str, file: str, done: int, total: int) -> None:
            if threading.get_ident() == thread:
                self.on_download(dataset, file, done, total)

        remove = on_progress(heard)
        try:
            yield
        finally:
            remove()

    def on_download(self, dataset: str, file: str, done: int, total: int) -> None:
        """``downloading mnist · train-images-idx3-ubyte.gz · 3.1 MB of 9.9 MB``."""
        now = time.perf_counter()
        finished = total > 0 and done >= total
        if not finished and done and now - self._download_t < self.download_interval:
            return
        self._download_t = now
        with self.bar.hold_sync():
            self.bar.max = max(total, 1)
            self.bar.value = min(done, total)
        size = format_measure(done, "B") + (f" of {format_measure(total, 'B')}" if total else "")
        state = "downloaded" if finished else "downloading"
        self.show(f"{self._prefix()}{state} {dataset} · {file} · {size}")

    # -- events (training thread) -----------------------------------------------------
    def on_run_start(self, run: RunState) -> None:
        self.final = None
        self._run_t0 = self._phase_t0 = time.perf_counter()
        self._phase = self._stepping = ""
        self.reset("starting …")

    def on_phase(self, run: RunState, phase: str) -> None:
        self._phase, self._phase_t0 = phase, time.perf_counter()
        elapsed = self._phase_t0 - self._run_t0
        if phase in _STEPPING:
            self._stepping = phase
            with self.bar.hold_sync():
                self.bar.value, self.bar.bar_style = 0, ""
        self.show(f"{self._prefix()}{_PHASE_TEXT.get(phase, phase)}{_member(run)} … · "
                  f"{_seconds(elapsed)}")

    def __call__(self, run: RunState | None, rec: Recording) -> None:
        """A LiveCurves redraw: the current phase's numbers."""
        if run is None or self.final is not None:
            return
        phase = run.phase or self._phase
        if phase != self._phase:  # a phase we were not told of (a bare trainer)
            self._phase, self._phase_t0 = phase, time.perf_counter()
        if phase not in _STEPPING or not run.total_steps:
            return
        self._stepping = phase
        now = time.perf_counter()
        done, total = run.phase_step, run.total_steps
        in_phase = now - self._phase_t0
        eta = in_phase / done * (total - done) if done else float("nan")
        with self.bar.hold_sync():
            self.bar.max = max(total, 1)
            self.bar.value = min(done, total)
        acc = f" · val acc {rec.val_acc[-1]:.3f}" if rec.val_acc else ""
        eta_text = f"ETA {_seconds(eta)}" if np.isfinite(eta) else "ETA …"
        self.show(
            f"{self._prefix()}{_PHASE_TEXT.get(phase, phase)}{_member(run)}"
            f" · epoch {run.epoch}/{run.epochs}"
            f" · step {done:,}/{total:,} · {_seconds(now - self._run_t0)} · {eta_text}{acc}"
        )

    def on_run_end(self, run: RunState, result: Any) -> None:
        status = getattr(result, "status", "done")
        seconds = float(getattr(result, "train_seconds", 0.0) or 0.0)
        self.final = {
            "status": status,
            "step": int(run.step),
            "epoch": int(run.epoch),
            "epochs": int(run.epochs),
            "phase": self._stepping or run.phase,  # where it stopped, not "measure"
            "seconds": seconds,
        }
        self.finish(status)

    # -- the end -------------------------------------------------------------------------
    def final_text(self) -> str:
        """The line after the run (the numbers the status line repeats)."""
        f = self.final
        if f is None:
            return self.text
        where = f"{_PHASE_TEXT.get(f['phase'], f['phase'])}, epoch {f['epoch']}/{f['epochs']}"
        trained = f"trained {_seconds(f['seconds'])}"
        if f["status"] == "done":
            return f"done · {f['step']:,} steps · {trained}"
        return f"{f['status']} at step {f['step']:,} ({where}) · {trained}"

    def finish(self, status: str) -> None:
        """Colour the bar for ``status`` and write the final line."""
        styles = {"done": "success", "stopped": "warning", "diverged": "danger", "failed": "danger"}
        with self.bar.hold_sync():
            if status == "done":
                self.bar.value = self.bar.max
            self.bar.bar_style = styles.get(status, "")
        if self.final is not None:
            self.show(self._prefix() + self.final_text())
