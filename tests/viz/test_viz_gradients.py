"""Gradient health figures: the pivoted table exactly, the figures as smoke tests."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import pytest

from optwidgets import viz


@pytest.fixture
def grads():
    """Three layers x three recorded steps; the first layer's gradient vanishes."""
    layers = ["1 (Linear)", "3 (Linear)", "5 (Linear)"]
    rows = []
    for step in (5, 10, 15):
        for depth, layer in enumerate(layers):
            rows.append({"step": step, "epoch": 1, "phase": "train", "layer": layer,
                         "grad_norm": 10.0 ** (depth - 3) * step,
                         "update_ratio": 1e-3 * (depth + 1)})
    return pd.DataFrame(rows)


def test_table_keeps_network_order_and_sorts_steps(grads):
    shuffled = grads.sample(frac=1.0, random_state=0)
    table = viz.gradient_table(shuffled.sort_values("layer", ascending=False))
    assert list(table.index) == ["5 (Linear)", "3 (Linear)", "1 (Linear)"]  # first seen
    table = viz.gradient_table(grads)
    assert list(table.index) == ["1 (Linear)", "3 (Linear)", "5 (Linear)"]
    assert list(table.columns) == [5, 10, 15]
    assert table.loc["1 (Linear)", 10] == pytest.approx(1e-3 * 10)
    assert viz.gradient_table(grads, value="update_ratio").loc["5 (Linear)", 5] == 3e-3
    assert viz.gradient_table(grads.iloc[:0]).empty


def test_lines_one_trace_per_layer_on_a_log_axis(grads):
    fig = viz.gradient_lines(grads)
    assert isinstance(fig, go.Figure)
    assert [t.name for t in fig.data] == ["1 (Linear)", "3 (Linear)", "5 (Linear)"]
    assert fig.layout.yaxis.type == "log"
    assert list(fig.data[0].x) == [5, 10, 15]
    assert list(fig.data[0].y) == pytest.approx([5e-3, 1e-2, 1.5e-2])
    assert fig.data[0].line.color != fig.data[-1].line.color  # depth is a colour
    assert "Update" in viz.gradient_lines(grads, value="update_ratio").layout.yaxis.title.text


def test_lines_leave_out_what_a_log_axis_cannot_show(grads):
    grads.loc[0, "grad_norm"] = 0.0
    grads.loc[3, "grad_norm"] = math.nan
    fig = viz.gradient_lines(grads)
    assert list(fig.data[0].x) == [15]


def test_heatmap_rows_are_layers_colour_is_log10(grads):
    fig = viz.gradient_heatmap(grads)
    hm = fig.data[0]
    assert hm.type == "heatmap"
    assert list(hm.y) == ["1 (Linear)", "3 (Linear)", "5 (Linear)"]
    assert list(hm.x) == [5, 10, 15]
    z = np.asarray(hm.z, dtype=float)
    assert z.shape == (3, 3)
    assert z[0, 0] == pytest.approx(math.log10(5e-3))
    assert np.asarray(hm.customdata, dtype=float)[2, 2] == pytest.approx(15 * 1e-1)
    assert fig.layout.yaxis.autorange == "reversed"  # the first layer on top
    ticks = list(hm.colorbar.tickvals)
    assert ticks[0] <= z.min() and ticks[-1] >= z.max()


def test_heatmap_of_no_records_is_a_figure():
    empty = pd.DataFrame(columns=["step", "layer", "grad_norm", "update_ratio"])
    fig = viz.gradient_heatmap(empty)
    assert isinstance(fig, go.Figure) and len(fig.data) == 1
