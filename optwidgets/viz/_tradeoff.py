"""Trade-off scatter of finished runs (size/latency vs accuracy) with the Pareto front."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from optwidgets.viz._pareto import front_line_shape, pareto_front
from optwidgets.viz._scatter import grouped_markers
from optwidgets.viz.style import axis_label, finish

__all__ = ["tradeoff", "TRACE_PARETO", "DEFAULT_HOVER"]

TRACE_PARETO = "Pareto front"
# Config columns shown on hover (the ones a frame lacks are left out).
DEFAULT_HOVER: tuple[str, ...] = (
    "technique",
    "status",
    "dataset",
    "model",
    "optimizer",
    "lr",
    "batch_size",
    "epochs",
    "prune_method",
    "prune_ratio",
    "quant_mode",
    "quant_bits",
)


def finite_rows(df: pd.DataFrame, columns: Sequence[str]) -> pd.DataFrame:
    """Rows whose ``columns`` are all present and finite (failed runs have NaN metrics)."""
    if len(df) == 0 or any(c not in df.columns for c in columns):
        return df.iloc[0:0]
    mask = np.ones(len(df), dtype=bool)
    for c in columns:
        values = pd.to_numeric(df[c], errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)
        mask &= np.isfinite(values)
    return df[mask]


def front_trace(front: pd.DataFrame, x: str, y: str, *, minimize_x: bool) -> go.Scatter:
    """The Pareto front as a grey staircase line under the points (not hoverable)."""
    return go.Scatter(
        x=front[x].to_numpy() if len(front) else [],
        y=front[y].to_numpy() if len(front) else [],
        mode="lines",
        name=TRACE_PARETO,
        line={"shape": front_line_shape(minimize_x=minimize_x), "color": "#999", "dash": "dot"},
        hoverinfo="skip",
    )


def tradeoff(
    runs: pd.DataFrame,
    *,
    x: str = "size_bytes",
    y: str = "test_acc",
    color: str | None = "technique",
    symbol: str | None = "technique",
    hover: Sequence[str] = DEFAULT_HOVER,
    log_x: bool = True,
    minimize_x: bool = True,
    maximize_y: bool = True,
    show_front: bool = True,
    title: str | None = None,
) -> go.Figure:
    """Every finished run as a point of ``x`` (cost) against ``y`` (quality), front drawn.

    Runs whose ``x`` or ``y`` is missing or NaN (failed runs, a measure not taken) are
    skipped; a column missing altogether gives an empty, well-formed figure. Trace 0 is always the Pareto front (named :data:`TRACE_PARETO`, possibly
    empty); then one marker trace per colour/symbol group. Every marker carries
    ``customdata`` = its ``run_id``, so a click handler can look the run up.

    Parameters
    ----------
    runs : DataFrame
        The runs frame (``RunStore.to_frame()``), one row per run.
    x : str
        Cost column: one of :data:`~optwidgets.viz.style.X_CHOICES` or any numeric column.
    y : str
        Quality column: one of :data:`~optwidgets.viz.style.Y_CHOICES` or any numeric column.
    color, symbol : str or None
        Columns for marker colour and symbol; ``"technique"`` uses the technique vocabulary,
        a numeric ``color`` column uses a colour scale.
    hover : sequence of str
        Columns listed on hover (missing ones ignored).
    log_x : bool
        Logarithmic x axis (sizes and latencies span decades).
    minimize_x, maximize_y : bool
        Directions that define the front.
    show_front : bool
        Draw the front line (the trace is kept, empty, when False).
    title : str, optional

    Returns
    -------
    plotly.graph_objects.Figure

    Example
    -------
    >>> import pandas as pd
    >>> runs = pd.DataFrame({"run_id": ["a", "b", "c"], "technique": ["baseline", "int8", "int8"],
    ...                      "size_bytes": [4e5, 1e5, 2e5], "test_acc": [0.97, 0.95, 0.90]})
    >>> fig = tradeoff(runs)
    >>> [t.name for t in fig.data]
    ['Pareto front', 'baseline', 'int8']
    """
    points = finite_rows(runs, (x, y))
    if show_front and len(points):
        front = pareto_front(points, x, y, minimize_x=minimize_x, maximize_y=maximize_y)
    else:
        front = points.iloc[0:0]
    fig = go.Figure([front_trace(front, x, y, minimize_x=minimize_x)])
    ids = "run_id" if "run_id" in points.columns else None
    for trace in grouped_markers(
        points, x=x, y=y, color=color, symbol=symbol, ids=ids, hover=hover, id_label="run"
    ):
        fig.add_trace(trace)
    if (
        color is not None
        and color in points.columns
        and any(getattr(t.marker, "coloraxis", None) for t in fig.data[1:])
    ):
        fig.update_layout(coloraxis={"colorbar": {"title": {"text": axis_label(color)}}})
    finish(fig, title=title, x_title=axis_label(x), y_title=axis_label(y))
    fig.update_xaxes(type="log" if log_x else "linear")
    fig.update_layout(legend={"title": {"text": axis_label(color) if color else ""}})
    return fig
