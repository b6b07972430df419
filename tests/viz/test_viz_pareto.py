"""Exact tests for pareto_front(): directions, ties, NaN, against a brute-force reference."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest

from optwidgets.viz import pareto_front
from optwidgets.viz._pareto import front_line_shape


def brute_force_front(df, x, y, minimize_x, maximize_y):
    """O(n^2) definition: keep rows no other row dominates; sort by x then original order."""
    sx = 1 if minimize_x else -1
    sy = -1 if maximize_y else 1
    rows = [(i, sx * a, sy * b) for i, a, b in zip(range(len(df)), df[x], df[y])]
    rows = [r for r in rows if not (np.isnan(r[1]) or np.isnan(r[2]))]
    keep = [
        i
        for i, a, b in rows
        if not any((a2 <= a and b2 <= b) and (a2 < a or b2 < b) for _, a2, b2 in rows)
    ]
    return sorted(keep, key=lambda i: (df[x].iloc[i], i))


@pytest.fixture
def runs():
    return pd.DataFrame(
        {
            "run_id": list("abcdef"),
            "size": [4.0, 2.0, 3.0, 1.0, 2.0, np.nan],
            "acc": [0.9, 0.8, 0.7, 0.5, 0.6, 0.99],
            "extra": [1, 2, 3, 4, 5, 6],
        },
        index=[10, 11, 12, 13, 14, 15],
    )


def test_front_minimize_x_maximize_y(runs):
    front = pareto_front(runs, "size", "acc")
    assert front["run_id"].tolist() == ["d", "b", "a"]
    assert front.index.tolist() == [13, 11, 10]  # original index kept
    assert list(front.columns) == ["run_id", "size", "acc", "extra"]  # all columns kept


def test_front_other_directions(runs):
    # bigger size is better, bigger acc is better: "a" beats everything
    assert pareto_front(runs, "size", "acc", minimize_x=False)["run_id"].tolist() == ["a"]
    # smaller size, smaller acc: "d" (1, 0.5) beats everything
    assert pareto_front(runs, "size", "acc", maximize_y=False)["run_id"].tolist() == ["d"]
    # bigger size, smaller acc
    got = pareto_front(runs, "size", "acc", minimize_x=False, maximize_y=False)
    assert got["run_id"].tolist() == ["d", "e", "c", "a"]


def test_nan_rows_are_skipped(runs):
    # "f" has the best accuracy but no size (a failed measure): not on the front
    assert "f" not in pareto_front(runs, "size", "acc")["run_id"].tolist()
    runs.loc[11, "acc"] = np.nan
    assert pareto_front(runs, "size", "acc")["run_id"].tolist() == ["d", "e", "c", "a"]


def test_ties():
    df = pd.DataFrame(
        {
            "x": [1.0, 1.0, 1.0, 2.0, 2.0, 3.0, 0.5],
            "y": [0.8, 0.9, 0.9, 0.95, 0.9, 0.95, 0.1],
        }
    )
    # identical best points (rows 1, 2) both stay, in original order; row 0 (same x,
    # worse y) goes; row 5 (same y as row 3, larger x) goes.
    assert pareto_front(df, "x", "y").index.tolist() == [6, 1, 2, 3]


def test_all_equal_points_are_all_on_the_front():
    df = pd.DataFrame({"x": [1, 1, 1], "y": [2, 2, 2]})
    assert pareto_front(df, "x", "y").index.tolist() == [0, 1, 2]


@pytest.mark.parametrize(
    ("minimize_x", "maximize_y"), list(itertools.product([True, False], repeat=2))
)
@pytest.mark.parametrize("seed", range(5))
def test_matches_brute_force_with_many_ties(minimize_x, maximize_y, seed):
    rng = np.random.default_rng(seed)
    df = pd.DataFrame(
        {"x": rng.integers(0, 6, 60).astype(float), "y": rng.integers(0, 6, 60).astype(float)}
    )
    df.loc[rng.choice(60, 5, replace=False), "y"] = np.nan
    got = pareto_front(df, "x", "y", minimize_x=minimize_x, maximize_y=maximize_y)
    assert got.index.tolist() == brute_force_front(df, "x", "y", minimize_x, maximize_y)
    assert got["x"].is_monotonic_increasing


def test_empty_and_all_nan_and_missing_column():
    empty = pd.DataFrame({"x": [], "y": []})
    assert len(pareto_front(empty, "x", "y")) == 0
    all_nan = pd.DataFrame({"x": [np.nan, 1.0], "y": [1.0, np.nan]})
    assert len(pareto_front(all_nan, "x", "y")) == 0
    with pytest.raises(KeyError, match="latency_ms"):
        pareto_front(empty, "latency_ms", "y")


def test_integer_and_nullable_columns():
    df = pd.DataFrame(
        {"x": pd.array([3, 1, None], dtype="Int64"), "y": pd.array([5, 4, 9], dtype="Int64")}
    )
    assert pareto_front(df, "x", "y").index.tolist() == [1, 0]


def test_front_line_shape():
    assert front_line_shape(minimize_x=True) == "hv"
    assert front_line_shape(minimize_x=False) == "vh"
