"""Sensitivity heatmap, lesson summaries (bars, lines) and the augmentation grid."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from optwidgets.viz import (
    augmentation_grid,
    bar_with_error,
    line_vs,
    mean_std,
    sensitivity_heatmap,
    sensitivity_table,
    to_rgb_uint8,
)
from optwidgets.viz.style import technique_color

from .viz_helpers import check_figure, names


@pytest.fixture
def sens():
    return pd.DataFrame(
        {
            "layer": ["conv1", "conv1", "conv2", "conv2", "fc", "fc", "fc"],
            "ratio": [0.5, 0.25, 0.25, 0.5, 0.25, 0.5, 0.5],
            "acc": [0.90, 0.95, 0.96, 0.60, 0.97, 0.94, 0.92],
        }
    )


def test_sensitivity_table_exact(sens):
    t = sensitivity_table(sens)
    assert t.index.tolist() == ["conv1", "conv2", "fc"]  # network order, not sorted
    assert t.columns.tolist() == [0.25, 0.5]
    np.testing.assert_allclose(t.to_numpy(), [[0.95, 0.90], [0.96, 0.60], [0.97, 0.93]])


def test_sensitivity_table_missing_pair_is_nan(sens):
    t = sensitivity_table(sens.iloc[1:])
    assert np.isnan(t.loc["conv1", 0.5])


def test_sensitivity_heatmap(sens):
    fig = check_figure(sensitivity_heatmap(sens, title="per-layer"))
    (heat,) = fig.data
    assert list(heat.x) == ["0.25", "0.5"] and list(heat.y) == ["conv1", "conv2", "fc"]
    assert heat.text[2] == ["0.97", "0.93"]
    assert fig.layout.xaxis.title.text == "Prune ratio"
    assert fig.layout.yaxis.title.text == "Layer"
    assert fig.layout.yaxis.autorange == "reversed"


def test_sensitivity_empty():
    fig = check_figure(sensitivity_heatmap(pd.DataFrame(columns=["layer", "ratio", "acc"])))
    assert len(fig.data) == 1


def test_mean_std_exact():
    df = pd.DataFrame(
        {
            "optimizer": ["sgd", "adam", "sgd", "adam", "sgd"],
            "test_acc": [0.8, 0.9, 0.9, np.nan, 1.0],
        }
    )
    out = mean_std(df, by="optimizer", value="test_acc")
    assert out["optimizer"].tolist() == ["sgd", "adam"]
    assert out["mean"].tolist() == pytest.approx([0.9, 0.9])
    assert out["std"].tolist() == pytest.approx([0.1, 0.0])
    assert out["n"].tolist() == [3, 1]


def test_bar_with_error():
    df = pd.DataFrame({"optimizer": ["sgd", "adam"], "mean": [0.85, 0.9], "std": [0.02, 0.01]})
    fig = check_figure(
        bar_with_error(df, x="optimizer", y="mean", error="std", y_title="Test accuracy")
    )
    (bar,) = fig.data
    assert bar.type == "bar" and list(bar.x) == ["sgd", "adam"]
    assert bar.error_y.array.tolist() == [0.02, 0.01]
    assert fig.layout.yaxis.title.text == "Test accuracy"
    assert fig.layout.xaxis.title.text == "optimizer"


def test_bar_grouped_and_technique_colours():
    df = pd.DataFrame(
        {"technique": ["baseline", "int8"], "dataset": ["digits", "digits"], "test_acc": [0.9, 0.8]}
    )
    fig = bar_with_error(df, x="technique", y="test_acc")
    assert list(fig.data[0].marker.color) == [technique_color("baseline"), technique_color("int8")]
    assert fig.data[0].error_y.array is None
    grouped = check_figure(bar_with_error(df, x="dataset", y="test_acc", color="technique"))
    assert names(grouped) == ["baseline", "int8"]
    assert grouped.layout.barmode == "group"


def test_line_vs():
    df = pd.DataFrame(
        {
            "technique": ["sim-4bit"] * 3 + ["int8"],
            "quant_bits": [8, 2, 4, 8],
            "test_acc": [0.97, 0.4, np.nan, 0.96],
            "std": [0.01, 0.05, 0.0, 0.01],
        }
    )
    fig = check_figure(line_vs(df, x="quant_bits", y="test_acc", color="technique", error="std"))
    assert names(fig) == ["sim-4bit", "int8"]
    assert fig.data[0].x.tolist() == [2, 8]  # sorted, NaN skipped
    assert fig.data[0].error_y.array.tolist() == [0.05, 0.01]
    assert fig.data[0].line.color == technique_color("sim-4bit")
    assert fig.layout.xaxis.title.text == "Quantization bits"
    assert fig.layout.yaxis.title.text == "Test accuracy"
    single = line_vs(df, x="quant_bits", y="test_acc", log_x=True)
    assert names(single) == ["Test accuracy"] and single.layout.xaxis.type == "log"


@pytest.mark.parametrize("func", [bar_with_error, line_vs])
def test_summary_empty(func):
    fig = check_figure(func(pd.DataFrame(), x="prune_ratio", y="test_acc"))
    assert fig.layout.xaxis.title.text == "Prune ratio"


# --- augmentation grid ----------------------------------------------------------------


def test_to_rgb_uint8_scales():
    o, a = to_rgb_uint8(np.array([[[0.0, 1.0]]]), np.array([[[0.5, 0.25]]]))
    assert o.shape == (1, 1, 2, 3) and o.dtype == np.uint8
    assert o[0, 0, :, 0].tolist() == [0, 255] and a[0, 0, :, 0].tolist() == [128, 64]
    # normalized data: one min-max over both batches, so a brighter copy stays brighter
    o, a = to_rgb_uint8(np.array([[[-1.0, 0.0]]]), np.array([[[1.0, 0.0]]]))
    assert o[0, 0, :, 0].tolist() == [0, 128] and a[0, 0, :, 0].tolist() == [255, 128]
    # uint8 kept as is; NaN -> 0
    u = np.array([[[7, 200]]], dtype=np.uint8)
    assert to_rgb_uint8(u, u)[0][0, 0, :, 0].tolist() == [7, 200]
    assert to_rgb_uint8(np.array([[[np.nan, 1.0]]]), np.zeros((1, 1, 2)))[0][0, 0, 0, 0] == 0


def test_to_rgb_uint8_channels_first():
    rgb = np.zeros((2, 3, 4, 5))
    rgb[:, 0] = 1.0  # red channel
    o, _ = to_rgb_uint8(rgb, rgb)
    assert o.shape == (2, 4, 5, 3)
    assert o[0, 0, 0].tolist() == [255, 0, 0]
    grey = np.ones((2, 1, 4, 5))
    assert to_rgb_uint8(grey, grey)[0].shape == (2, 4, 5, 3)
    with pytest.raises(ValueError, match="originals"):
        to_rgb_uint8(np.zeros((2, 4, 4, 4)), grey)


def test_augmentation_grid():
    x = np.random.default_rng(0).random((10, 8, 8))
    fig = check_figure(augmentation_grid(x, 1 - x, n=4, title="rotate 15°"))
    assert len(fig.data) == 8
    assert all(t.type == "image" for t in fig.data)
    assert fig.data[0].name == "original 0" and fig.data[4].name == "augmented 0"
    assert np.asarray(fig.data[4].z).shape == (8, 8, 3)
    assert fig.layout.yaxis.title.text == "original"
    assert fig.layout.title.text == "rotate 15°"
    assert len(augmentation_grid(x[:2], x[:3], n=8).data) == 4  # n capped by the images


def test_augmentation_grid_empty():
    e = np.zeros((0, 8, 8))
    fig = check_figure(augmentation_grid(e, e))
    assert len(fig.data) == 0
