"""Exact tests for decimate() and smooth_ema()."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from optwidgets.viz import decimate, smooth_ema


def tensorboard_smooth(values: list[float], weight: float) -> list[float]:
    """TensorBoard's scalar smoothing (vz_line_chart2), transcribed as a reference."""
    finite = [v for v in values if math.isfinite(v)]
    if finite and all(v == finite[0] for v in finite):
        return list(values)
    last, num_accum, out = 0.0, 0, []
    for v in values:
        if not math.isfinite(v):
            out.append(v)
            continue
        last = last * weight + (1 - weight) * v
        num_accum += 1
        out.append(last / (1 - weight**num_accum))
    return out


# --- decimate -------------------------------------------------------------------------


def test_decimate_short_series_is_returned_whole_as_copies():
    x, y = np.arange(5), np.array([3.0, 1.0, 2.0, 0.0, 4.0])
    xs, ys = decimate(x, y, 5)
    assert xs.tolist() == x.tolist() and ys.tolist() == y.tolist()
    assert xs is not x and ys is not y
    xs[0] = 99
    assert x[0] == 0


def test_decimate_minmax_keeps_bucket_extremes_in_order():
    x = np.arange(10)
    y = np.array([0, 5, 1, 1, 9, 1, 1, -3, 1, 2])
    xs, ys = decimate(x, y, 6)
    # buckets of the interior: indices 1..4 and 5..8
    assert xs.tolist() == [0, 2, 4, 5, 7, 9]
    assert ys.tolist() == [0, 1, 9, 1, -3, 2]


def test_decimate_keeps_a_single_spike():
    y = np.zeros(10_001)
    y[1234] = 100.0
    y[7777] = -50.0
    xs, ys = decimate(np.arange(y.size), y, 50)
    assert len(xs) <= 50
    assert 1234 in xs.tolist() and 7777 in xs.tolist()
    assert ys.max() == 100.0 and ys.min() == -50.0


@pytest.mark.parametrize("n", [3, 10, 11, 57, 1000])
@pytest.mark.parametrize("max_points", [2, 3, 4, 7, 10, 100])
@pytest.mark.parametrize("method", ["minmax", "stride"])
def test_decimate_bounds_endpoints_and_order(n, max_points, method):
    rng = np.random.default_rng(n)
    x = np.arange(n) * 2.0
    y = rng.normal(size=n)
    xs, ys = decimate(x, y, max_points, method=method)
    assert len(xs) == len(ys) <= max_points
    assert xs[0] == x[0] and xs[-1] == x[-1]
    assert np.all(np.diff(xs) > 0)  # original order, no duplicates
    # every kept point is a real point of the series
    assert np.array_equal(ys, y[(xs / 2).astype(int)])


def test_decimate_stride_is_evenly_spaced():
    xs, ys = decimate(np.arange(101), np.arange(101) * 10, 5, method="stride")
    assert xs.tolist() == [0, 25, 50, 75, 100]
    assert ys.tolist() == [0, 250, 500, 750, 1000]


def test_decimate_nan_bucket_keeps_a_gap():
    y = np.array([1.0, np.nan, np.nan, np.nan, np.nan, 2.0, 3.0, 0.0, 5.0, 4.0])
    xs, ys = decimate(np.arange(10), y, 6)
    assert xs.tolist() == [0, 1, 7, 8, 9]
    assert math.isnan(ys[1])
    assert ys[[0, 2, 3, 4]].tolist() == [1.0, 0.0, 5.0, 4.0]


def test_decimate_unsorted_x_is_bucketed_by_position():
    x = np.array([5, 4, 3, 2, 1, 0])
    xs, _ = decimate(x, np.arange(6.0), 4)
    assert xs[0] == 5 and xs[-1] == 0


def test_decimate_empty_and_errors():
    xs, ys = decimate([], [], 10)
    assert xs.size == 0 and ys.size == 0
    with pytest.raises(ValueError, match="max_points"):
        decimate([1, 2, 3], [1, 2, 3], 1)
    with pytest.raises(ValueError, match="same length"):
        decimate([1, 2, 3], [1, 2], 10)
    with pytest.raises(ValueError, match="method"):
        decimate(np.arange(10), np.arange(10), 4, method="lttb")


# --- smooth_ema -----------------------------------------------------------------------


def test_smooth_ema_small_exact():
    assert smooth_ema([2.0, 1.0], 0.6).tolist() == pytest.approx([2.0, 1.375])
    assert smooth_ema([1.0, 0.0, 0.0], 0.5).tolist() == pytest.approx([1.0, 1 / 3, 1 / 7])


@pytest.mark.parametrize("alpha", [0.1, 0.6, 0.9, 0.99, 0.9999])
@pytest.mark.parametrize("n", [1, 2, 300, 5000])
def test_smooth_ema_matches_tensorboard_and_pandas(alpha, n):
    values = np.random.default_rng(n).normal(size=n).cumsum()
    ours = smooth_ema(values, alpha)
    ref_tb = tensorboard_smooth(values.tolist(), alpha)
    assert ours == pytest.approx(ref_tb, rel=1e-11, abs=1e-11)
    ref = pd.Series(values).ewm(alpha=1 - alpha, adjust=True).mean().to_numpy()
    np.testing.assert_allclose(ours, ref, rtol=1e-10)


def test_smooth_ema_first_value_is_unbiased():
    assert smooth_ema([5.0, 5.5, 4.0], 0.99)[0] == pytest.approx(5.0)


def test_smooth_ema_alpha_zero_and_constant_return_input():
    v = np.array([3.0, 1.0, 2.0])
    assert smooth_ema(v, 0.0).tolist() == v.tolist()
    assert smooth_ema([0.1] * 50, 0.9).tolist() == [0.1] * 50


def test_smooth_ema_passes_nonfinite_through_without_moving():
    v = [1.0, float("nan"), 0.0, float("inf"), 0.0]
    out = smooth_ema(v, 0.5)
    ref = tensorboard_smooth(v, 0.5)
    assert math.isnan(out[1]) and out[3] == float("inf")
    assert out[[0, 2, 4]].tolist() == pytest.approx([ref[0], ref[2], ref[4]])
    assert out[2] == pytest.approx(smooth_ema([1.0, 0.0], 0.5)[1])


def test_smooth_ema_does_not_modify_input_and_handles_empty():
    v = np.array([1.0, 2.0, 3.0])
    smooth_ema(v, 0.5)
    assert v.tolist() == [1.0, 2.0, 3.0]
    assert smooth_ema([], 0.6).size == 0


@pytest.mark.parametrize("alpha", [-0.1, 1.0, 1.5])
def test_smooth_ema_rejects_bad_alpha(alpha):
    with pytest.raises(ValueError, match="alpha"):
        smooth_ema([1.0, 2.0], alpha)
