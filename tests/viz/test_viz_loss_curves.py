"""loss_curves / loss_curve_data / update_loss_curves / overlay_curves."""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import pytest

from optwidgets.viz import (
    LOSS_CURVE_TRACES,
    TRACE_TRAIN_RAW,
    TRACE_TRAIN_SMOOTH,
    TRACE_VAL_ACC,
    TRACE_VAL_LOSS,
    loss_curve_data,
    loss_curves,
    overlay_curves,
    smooth_ema,
    update_loss_curves,
)

from .viz_helpers import check_figure, make_history, names


def test_trace_constants_are_in_order():
    assert LOSS_CURVE_TRACES == (TRACE_TRAIN_RAW, TRACE_TRAIN_SMOOTH, TRACE_VAL_LOSS, TRACE_VAL_ACC)
    assert len(set(LOSS_CURVE_TRACES)) == 4


def test_loss_curve_data_exact(history):
    d = loss_curve_data(history, smoothing=0.5)
    steps = np.arange(1, 31, dtype=float)
    assert d.train_raw.x.tolist() == steps.tolist()
    assert d.train_raw.y.tolist() == (2.0 / steps).tolist()
    assert d.train_smooth.y.tolist() == pytest.approx(smooth_ema(2.0 / steps, 0.5).tolist())
    assert d.val_loss.x.tolist() == [10.0, 20.0, 30.0]
    assert d.val_loss.y.tolist() == pytest.approx([1.0, 0.5, 1 / 3])
    assert d.val_acc.y.tolist() == pytest.approx([0.6, 0.7, 0.8])


def test_loss_curve_data_sorts_by_step_and_decimates():
    h = make_history(steps_per_epoch=400, epochs=3).sample(frac=1.0, random_state=0)
    d = loss_curve_data(h, max_points=100)
    assert len(d.train_raw.x) <= 100 and len(d.train_smooth.x) <= 100
    assert d.train_raw.x[0] == 1 and d.train_raw.x[-1] == 1200
    assert np.all(np.diff(d.train_raw.x) > 0)
    assert d.val_loss.x.tolist() == [400.0, 800.0, 1200.0]


def test_loss_curves_figure(history):
    fig = check_figure(loss_curves(history, title="digits / cnn"))
    assert names(fig) == list(LOSS_CURVE_TRACES)
    assert fig.layout.title.text == "digits / cnn"
    assert fig.layout.xaxis.title.text == "Step"
    assert fig.layout.yaxis.title.text == "Loss"
    assert fig.layout.yaxis2.title.text == "Accuracy"
    assert fig.data[3].yaxis == "y2"
    assert all(t.yaxis in (None, "y") for t in fig.data[:3])
    assert fig.data[0].opacity < 1  # raw train loss is faint
    assert len(fig.data[0].x) == 30 and len(fig.data[3].x) == 3


@pytest.mark.parametrize(
    "empty",
    [pd.DataFrame(), pd.DataFrame(columns=["step", "epoch", "split", "metric", "value"])],
)
def test_empty_history_gives_same_traces(empty):
    fig = check_figure(loss_curves(empty))
    assert names(fig) == list(LOSS_CURVE_TRACES)
    assert all(len(t.x) == 0 and len(t.y) == 0 for t in fig.data)


def test_update_in_place(history):
    fig = loss_curves(pd.DataFrame())
    fig.add_scatter(x=[1], y=[1], name="extra")
    out = update_loss_curves(fig, history, smoothing=0.0)
    assert out is fig
    assert names(fig) == [*LOSS_CURVE_TRACES, "extra"]
    assert fig.data[0].y.tolist() == fig.data[1].y.tolist()  # no smoothing
    assert fig.data[2].x.tolist() == [10.0, 20.0, 30.0]
    assert list(fig.data[4].y) == [1]  # other traces untouched
    check_figure(fig)


def test_update_works_on_figurewidget(history):
    pytest.importorskip("anywidget")  # FigureWidget needs it
    fw = go.FigureWidget(loss_curves(pd.DataFrame()))
    with fw.batch_update():
        update_loss_curves(fw, history)
    assert len(fw.data[0].x) == 30


def test_several_runs_are_refused(history):
    two = pd.concat([make_history(run_id="a"), make_history(run_id="b")])
    with pytest.raises(ValueError, match="overlay_curves"):
        loss_curves(two)
    # one run with a run_id column is fine
    assert names(loss_curves(make_history(run_id="a"))) == list(LOSS_CURVE_TRACES)


def test_overlay_curves():
    h = pd.concat([make_history(run_id="b"), make_history(epochs=2, run_id="a")])
    fig = check_figure(overlay_curves(h, labels={"a": "adam"}))
    assert names(fig) == ["b", "adam"]
    assert fig.data[1].customdata.tolist() == ["a"] * 20
    assert fig.layout.xaxis.title.text == "Step"
    assert fig.layout.yaxis.title.text == "train loss"
    val = overlay_curves(h, split="val", metric="acc")
    assert val.data[0].y.tolist() == pytest.approx([0.6, 0.7, 0.8])  # no smoothing per epoch
    assert fig.data[0].line.color != fig.data[1].line.color


def test_overlay_curves_empty():
    fig = check_figure(overlay_curves(pd.DataFrame()))
    assert len(fig.data) == 0
    assert fig.layout.xaxis.title.text == "Step"
