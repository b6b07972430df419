"""The live-curve callback: throttled redraws, bounded points, one figure per widget."""

from __future__ import annotations

import threading
import time

import numpy as np
import torch

import optwidgets as ow
from optwidgets import viz
from optwidgets.ui import LiveCurves
from optwidgets.ui._live import draw_loss_curves

from .helpers import tiny


def _state(total=100_000):
    run = ow.RunState(tiny(), "test-run", cancel=threading.Event())
    run.phase, run.total_steps, run.epochs, run.epoch = "train", total, 1, 1
    return run


def test_redraws_are_throttled_and_bounded():
    live = LiveCurves(max_points=400)
    run = _state()
    live.on_run_start(run)
    t0 = time.perf_counter()
    for step in range(1, 20_001):
        run.step = run.phase_step = step
        live.on_batch_end(run, torch.tensor(1.0 / step))
        if step % 2000 == 0:
            time.sleep(0.02)  # a slow spell: still no more than ~10 redraws per second
    live.on_run_end(run, None)
    elapsed = time.perf_counter() - t0
    assert live.redraws <= elapsed / live.min_interval + 2
    times = np.asarray(live.redraw_times)
    in_any_second = max(int(np.sum((times >= t) & (times < t + 1.0))) for t in times)
    assert in_any_second <= 10
    assert live.last_error is None
    traces = {t.name: t for t in live.figure.data}
    for name in (viz.TRACE_TRAIN_RAW, viz.TRACE_TRAIN_SMOOTH):
        assert 2 <= len(traces[name].x) <= 400
        assert traces[name].y.dtype == np.float32
    assert traces[viz.TRACE_TRAIN_RAW].x[-1] == 20_000  # the final redraw has the last step


def test_redraws_use_one_batch_update_each():
    live = LiveCurves(min_interval=0.0, max_share=1.0)
    fig = live.figure
    calls = []
    real = fig.batch_update

    def counting():
        calls.append(1)
        return real()

    fig.batch_update = counting
    run = _state()
    live.on_run_start(run)
    for step in range(1, 6):
        run.step = step
        live.on_batch_end(run, torch.tensor(1.0))
    assert len(calls) == live.redraws == 5


def test_a_failing_listener_does_not_stop_the_run():
    def bad(run, rec):
        raise ValueError("listener broke")

    live = LiveCurves(listeners=[bad])
    res = ow.run(tiny(epochs=1), callbacks=[live], store=False)
    assert res.status == "done" and "listener broke" in live.last_error


def test_draw_loss_curves_matches_the_recording():
    live = LiveCurves()
    rec = live.recording
    for step in range(1, 11):
        rec.add_loss(step, torch.tensor(float(step)))
    rec.add_epoch(10, {"val_loss": 0.5, "val_acc": 0.8})
    rec.flush()
    draw_loss_curves(live.figure, rec, smoothing=0.0)
    traces = {t.name: t for t in live.figure.data}
    assert traces[viz.TRACE_TRAIN_RAW].y.tolist() == list(map(float, range(1, 11)))
    assert traces[viz.TRACE_VAL_ACC].y.tolist() == [np.float32(0.8)]
