"""tradeoff(): runs as points by technique family, the Pareto front, unit ticks, the latest
run ringed, failed runs apart, unfinished records left out, a placeholder when empty."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from optwidgets.viz import AXIS_LABELS, TRACE_PARETO, X_CHOICES, Y_CHOICES, tradeoff
from optwidgets.viz._tradeoff import TRACE_FAILED, TRACE_LATEST, short_hover, tradeoff_points
from optwidgets.viz.style import (
    AXIS_UNITS,
    FAILED_COLOR,
    FAMILY_COLORS,
    technique_symbol,
)

from .viz_helpers import check_figure, names


def test_traces_ids_and_front(runs):
    fig = check_figure(tradeoff(runs))
    # front first, then one trace per family in legend order; the failed run (NaN) is not drawn
    assert names(fig) == [TRACE_PARETO, "baseline", "pruning", "quantization", "combined"]
    ids = [i for t in fig.data[1:] for i in t.customdata]
    assert sorted(ids) == ["r1", "r2", "r3", "r5"]
    front = fig.data[0]
    assert front.x.tolist() == [60_000, 110_000, 400_000]
    assert front.y.tolist() == [0.90, 0.96, 0.97]
    assert front.line.shape == "hv"
    assert fig.layout.xaxis.type == "log"
    assert fig.layout.xaxis.title.text == "Saved size"  # the unit is on the ticks
    assert fig.layout.yaxis.title.text == "Test accuracy"


def test_one_colour_per_family_one_symbol_per_technique(runs):
    fig = tradeoff(runs)
    for trace in fig.data[1:]:
        assert trace.marker.color == FAMILY_COLORS[trace.name]
    by_name = {t.name: t for t in fig.data}
    assert list(by_name["pruning"].marker.symbol) == [technique_symbol("prune-filter")]
    assert list(by_name["combined"].marker.symbol) == ["star"]


def test_ticks_are_round_values_with_units(runs):
    fig = tradeoff(runs)
    assert list(fig.layout.xaxis.ticktext) == ["100 kB", "200 kB"]
    lo, hi = fig.layout.xaxis.range
    assert 10**lo < 60_000 and 10**hi > 400_000  # every point inside the range
    ms = tradeoff(runs, x="latency_ms")
    assert all(t.endswith(" ms") for t in ms.layout.xaxis.ticktext)
    assert tradeoff(runs, x="nonzero_params").layout.xaxis.ticktext[-1] == "100k"


def test_hover_is_short(runs):
    text = tradeoff(runs).data[2].text[0]  # pruning
    lines = text.split("<br>")
    assert len(lines) <= 4
    assert lines[0] == "<b>prune-filter</b> · done"
    assert lines[1] == "Test accuracy 0.93 · 200 kB"


def test_the_latest_run_is_ringed(runs):
    fig = tradeoff(runs, latest="r3")
    ring = fig.data[-1]
    assert ring.name == TRACE_LATEST and list(ring.customdata) == ["r3"]
    assert ring.marker.symbol == "circle-open" and list(ring.x) == [200_000]
    assert names(tradeoff(runs, latest="no-such-run"))[-1] != TRACE_LATEST


def test_failed_and_diverged_runs_are_grey_and_off_the_front(runs):
    runs = runs.copy()
    runs.loc[0, "status"] = "diverged"  # the most accurate, biggest run
    runs.loc[3, ["test_acc", "size_bytes"]] = [0.99, 1_000]  # a failed run with numbers
    fig = tradeoff(runs)
    failed = {t.name: t for t in fig.data}[TRACE_FAILED]
    assert sorted(failed.customdata) == ["r1", "r4"] and failed.marker.color == FAILED_COLOR
    assert fig.data[0].x.tolist() == [60_000, 110_000]  # neither of them on the front


def test_running_and_interrupted_records_are_not_points(runs):
    runs = runs.copy()
    runs.loc[1, "status"] = "running"
    runs.loc[2, "status"] = "interrupted"
    good, bad = tradeoff_points(runs, "size_bytes", "test_acc")
    assert good["run_id"].tolist() == ["r1", "r5"] and len(bad) == 0
    ids = [i for t in tradeoff(runs).data[1:] for i in t.customdata]
    assert sorted(ids) == ["r1", "r5"]


@pytest.mark.parametrize("x", X_CHOICES)
@pytest.mark.parametrize("y", Y_CHOICES)
def test_every_axis_choice_has_a_labelled_axis(runs, x, y):
    fig = check_figure(tradeoff(runs, x=x, y=y, log_x=False))
    drawn = int(runs.reindex(columns=[x, y]).notna().all(axis=1).sum())
    if drawn == 0:  # e.g. dense_bytes or test_r2 (regression runs) is not in this frame
        assert fig.layout.annotations[0].text.startswith("No finished runs")
        return
    expected = AXIS_LABELS[x].split(" (")[0] if x in AXIS_UNITS else AXIS_LABELS[x]
    assert fig.layout.xaxis.title.text == expected
    assert fig.layout.yaxis.title.text == AXIS_LABELS[y]
    assert fig.layout.xaxis.type == "linear"
    assert sum(len(t.x) for t in fig.data[1:]) == drawn


def test_units_in_labels():
    assert AXIS_LABELS["latency_ms"] == "Latency, batch 1 (ms)"
    assert "(ms)" in AXIS_LABELS["latency_ms_b256"]
    assert "computed" in AXIS_LABELS["packed_bytes"]
    assert "(s)" in AXIS_LABELS["train_seconds"]
    assert set(X_CHOICES) <= set(AXIS_UNITS)


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


def test_other_categorical_color_lists_hover_columns(runs):
    fig = tradeoff(runs, color="optimizer", symbol="technique", hover=("optimizer", "lr", "x"))
    assert "adam, baseline" in names(fig)
    assert fig.data[1].text[0] == "optimizer: adam<br>lr: 0.001"


@pytest.mark.parametrize(
    "frame",
    [pd.DataFrame(), pd.DataFrame(columns=["run_id", "technique", "size_bytes", "test_acc"])],
)
def test_empty_runs_give_a_placeholder(frame):
    fig = check_figure(tradeoff(frame))
    assert names(fig) == [TRACE_PARETO]
    assert fig.layout.xaxis.visible is False and fig.layout.yaxis.visible is False
    assert fig.layout.annotations[0].text == "No finished runs yet: press Train"


def test_all_failed_runs(runs):
    failed = runs.assign(test_acc=float("nan"))
    assert names(check_figure(tradeoff(failed))) == [TRACE_PARETO]


def test_one_run_gets_a_range_around_it(runs):
    fig = tradeoff(runs.iloc[[0]])
    lo, hi = fig.layout.xaxis.range
    assert 10**lo < 400_000 < 10**hi and hi - lo == pytest.approx(2 * np.log10(2))
    assert len(fig.layout.xaxis.tickvals) >= 2


def test_short_hover_names_the_knobs():
    row = pd.DataFrame(
        {"run_id": ["x" * 16 + "abc123"], "technique": ["prune-weight+sim-4bit"],
         "status": ["stopped"], "latency_ms": [0.05], "f1": [0.8], "model": ["cnn"],
         "prune_method": ["weight"], "prune_ratio": [0.5], "quant_mode": ["simulated"],
         "quant_bits": [4]}
    )  # fmt: skip
    lines = short_hover(row, "latency_ms", "f1")[0].split("<br>")
    assert lines == [
        "<b>prune-weight+sim-4bit</b> · stopped",
        "F1 0.8 · 0.05 ms",
        "cnn · prune weight 0.5 · 4-bit",
        "run …abc123",
    ]


def test_does_not_modify_input(runs):
    before = runs.copy()
    tradeoff(runs, latest="r1")
    pd.testing.assert_frame_equal(runs, before)
