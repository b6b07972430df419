"""tradeoff(): scatter of runs with the Pareto front, ids, labels, skipping failed runs."""

from __future__ import annotations

import pandas as pd
import pytest
from viz_helpers import check_figure, names

from optwidgets.viz import AXIS_LABELS, TRACE_PARETO, X_CHOICES, Y_CHOICES, tradeoff
from optwidgets.viz.style import technique_color, technique_symbol


def test_traces_ids_and_front(runs):
    fig = check_figure(tradeoff(runs))
    # front first, then one trace per technique; the failed run (NaN) is not drawn
    assert names(fig) == [TRACE_PARETO, "baseline", "int8", "prune-filter", "prune-filter+int8"]
    ids = [i for t in fig.data[1:] for i in t.customdata]
    assert sorted(ids) == ["r1", "r2", "r3", "r5"]
    front = fig.data[0]
    assert front.x.tolist() == [60_000, 110_000, 400_000]
    assert front.y.tolist() == [0.90, 0.96, 0.97]
    assert front.line.shape == "hv"
    assert fig.layout.xaxis.type == "log"
    assert fig.layout.xaxis.title.text == "Saved size (bytes)"
    assert fig.layout.yaxis.title.text == "Test accuracy"


def test_markers_use_the_technique_vocabulary(runs):
    fig = tradeoff(runs)
    for trace in fig.data[1:]:
        assert trace.marker.color == technique_color(trace.name)
        assert trace.marker.symbol == technique_symbol(trace.name)
    assert fig.data[4].marker.symbol == "star"  # a combination


def test_hover_lists_config_columns(runs):
    trace = tradeoff(runs, hover=("optimizer", "lr", "missing_col")).data[3]
    assert trace.text[0] == "optimizer: sgd<br>lr: 0.01"
    assert "%{customdata}" in trace.hovertemplate


@pytest.mark.parametrize("x", X_CHOICES)
@pytest.mark.parametrize("y", Y_CHOICES)
def test_every_axis_choice_has_a_labelled_axis(runs, x, y):
    fig = check_figure(tradeoff(runs, x=x, y=y, log_x=False))
    assert fig.layout.xaxis.title.text == AXIS_LABELS[x]
    assert fig.layout.yaxis.title.text == AXIS_LABELS[y]
    assert fig.layout.xaxis.type == "linear"
    drawn = sum(len(t.x) for t in fig.data[1:])
    assert drawn == int(runs[[x, y]].notna().all(axis=1).sum())


def test_units_in_labels():
    assert AXIS_LABELS["latency_ms"] == "Latency, batch 1 (ms)"
    assert "(ms)" in AXIS_LABELS["latency_ms_b256"]
    assert "computed" in AXIS_LABELS["packed_bytes"]
    assert "(s)" in AXIS_LABELS["train_seconds"]


def test_directions_and_no_front(runs):
    fig = tradeoff(runs, x="latency_ms", minimize_x=False)
    assert fig.data[0].line.shape == "vh"
    assert fig.data[0].x.tolist() == [1.0, 1.5]  # larger x counts as better here
    fig = tradeoff(runs, show_front=False)
    assert names(fig)[0] == TRACE_PARETO and len(fig.data[0].x) == 0


def test_numeric_color_uses_a_colour_scale(runs):
    fig = check_figure(tradeoff(runs, color="lr", symbol=None))
    assert names(fig) == [TRACE_PARETO, "Test accuracy"]
    assert fig.data[1].marker.coloraxis == "coloraxis"
    assert fig.layout.coloraxis.colorbar.title.text == "Learning rate"


def test_other_categorical_color(runs):
    fig = tradeoff(runs, color="optimizer", symbol="technique")
    assert "adam, baseline" in names(fig)


@pytest.mark.parametrize(
    "frame",
    [pd.DataFrame(), pd.DataFrame(columns=["run_id", "technique", "size_bytes", "test_acc"])],
)
def test_empty_runs(frame):
    fig = check_figure(tradeoff(frame))
    assert names(fig) == [TRACE_PARETO]
    assert fig.layout.xaxis.title.text == "Saved size (bytes)"


def test_all_failed_runs(runs):
    failed = runs.assign(test_acc=float("nan"))
    assert names(check_figure(tradeoff(failed))) == [TRACE_PARETO]


def test_does_not_modify_input(runs):
    before = runs.copy()
    tradeoff(runs)
    pd.testing.assert_frame_equal(runs, before)
