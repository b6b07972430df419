"""The Pareto front of two columns of a frame (plain data, no figure)."""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["pareto_front", "front_line_shape"]


def pareto_front(
    df: pd.DataFrame,
    x: str,
    y: str,
    *,
    minimize_x: bool = True,
    maximize_y: bool = True,
) -> pd.DataFrame:
    """The rows no other row beats on both ``x`` and ``y``, sorted by ``x`` ascending.

    A row is dominated when another row is at least as good on both columns and strictly
    better on one. Identical points do not dominate each other, so ties on both columns
    are all kept (in their original order); among rows with the same ``x`` only the best
    ``y`` survives. Rows where ``x`` or ``y`` is NaN (failed runs) are skipped.

    Parameters
    ----------
    df : DataFrame
        One row per candidate (runs, trials).
    x, y : str
        Column names, numeric.
    minimize_x : bool
        Smaller ``x`` is better (size, latency); False for larger is better.
    maximize_y : bool
        Larger ``y`` is better (accuracy); False for smaller is better (loss).

    Returns
    -------
    DataFrame
        The front's rows (all columns, original index), sorted by ``x`` ascending.

    Example
    -------
    >>> import pandas as pd
    >>> runs = pd.DataFrame({"size": [4, 2, 3, 1], "acc": [0.9, 0.8, 0.7, 0.5]})
    >>> pareto_front(runs, "size", "acc").index.tolist()
    [3, 1, 0]
    """
    for col in (x, y):
        if col not in df.columns:
            raise KeyError(f"column {col!r} not in frame (columns: {list(df.columns)})")
    xs = pd.to_numeric(df[x], errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)
    ys = pd.to_numeric(df[y], errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)
    ok = np.flatnonzero(~(np.isnan(xs) | np.isnan(ys)))
    # Work in "smaller is better" for both columns.
    cx = xs[ok] if minimize_x else -xs[ok]
    cy = -ys[ok] if maximize_y else ys[ok]
    order = np.lexsort((np.arange(ok.size), cy, cx))  # by cx, then cy, then original order
    keep: list[int] = []
    best = np.inf  # best cy among strictly better cx seen so far
    i = 0
    while i < order.size:
        j = i
        while j < order.size and cx[order[j]] == cx[order[i]]:
            j += 1
        group = order[i:j]
        group_best = cy[group[0]]
        if group_best < best:
            keep.extend(int(k) for k in group if cy[k] == group_best)
            best = group_best
        i = j
    rows = ok[np.asarray(keep, dtype=np.int64)]
    # Ascending x for drawing; a stable sort keeps ties in original order.
    rows = rows[np.argsort(xs[rows], kind="stable")] if rows.size else rows
    return df.iloc[rows]


def front_line_shape(*, minimize_x: bool = True) -> str:
    """Plotly ``line_shape`` drawing the front as a staircase over ascending x.

    With smaller-is-better ``x`` the best ``y`` reachable at x holds until the next front
    point (``"hv"``); with larger-is-better ``x`` it is the next point's (``"vh"``).

    Example
    -------
    >>> front_line_shape(minimize_x=True), front_line_shape(minimize_x=False)
    ('hv', 'vh')
    """
    return "hv" if minimize_x else "vh"
