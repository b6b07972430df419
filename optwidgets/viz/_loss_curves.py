"""Training curves of one run (loss per step, val loss/accuracy per epoch) and of many runs.

The live plot in the UI creates ``go.FigureWidget(loss_curves(empty_history))`` before a
run starts and then calls :func:`update_loss_curves` on it (inside ``batch_update``) as
events arrive: the traces exist from the start, in the order of :data:`LOSS_CURVE_TRACES`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import NamedTuple

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from optwidgets.viz._series import decimate, smooth_ema
from optwidgets.viz.style import FAMILY_COLORS, PALETTE, axis_label, finish

__all__ = [
    "TRACE_TRAIN_RAW",
    "TRACE_TRAIN_SMOOTH",
    "TRACE_VAL_LOSS",
    "TRACE_VAL_ACC",
    "LOSS_CURVE_TRACES",
    "Series",
    "LossCurveData",
    "loss_curve_data",
    "loss_curves",
    "update_loss_curves",
    "overlay_curves",
    "hide_axes",
    "show_axes",
    "recolor_loss_curves",
    "ACC_COLOR",
]

# Trace names of loss_curves(), in trace order (fig.data[i].name == LOSS_CURVE_TRACES[i]).
TRACE_TRAIN_RAW = "train loss"
TRACE_TRAIN_SMOOTH = "train loss (smoothed)"
TRACE_VAL_LOSS = "val loss"
TRACE_VAL_ACC = "val accuracy"
LOSS_CURVE_TRACES = (TRACE_TRAIN_RAW, TRACE_TRAIN_SMOOTH, TRACE_VAL_LOSS, TRACE_VAL_ACC)

_HISTORY_COLUMNS = ("step", "epoch", "split", "metric", "value")


class Series(NamedTuple):
    """x (steps) and y (values) of one curve, as float64 arrays."""

    x: np.ndarray
    y: np.ndarray


class LossCurveData(NamedTuple):
    """The four curves of :func:`loss_curves`, in trace order."""

    train_raw: Series
    train_smooth: Series
    val_loss: Series
    val_acc: Series


def _series(history: pd.DataFrame, split: str, metric: str) -> Series:
    if len(history) == 0 or any(c not in history.columns for c in ("step", "split", "metric")):
        return Series(np.empty(0), np.empty(0))
    part = history[(history["split"] == split) & (history["metric"] == metric)]
    part = part.sort_values("step", kind="stable")
    return Series(
        part["step"].to_numpy(dtype=np.float64),
        part["value"].to_numpy(dtype=np.float64, na_value=np.nan),
    )


def _check_one_run(history: pd.DataFrame) -> None:
    if "run_id" in history.columns and history["run_id"].nunique() > 1:
        raise ValueError(
            "history holds several runs (column 'run_id'); use overlay_curves() to compare them"
        )


def loss_curve_data(
    history: pd.DataFrame, *, smoothing: float = 0.6, max_points: int = 500
) -> LossCurveData:
    """The plain data behind :func:`loss_curves`: four (x, y) series, decimated.

    The train loss is smoothed on the full series (debiased EMA, see
    :func:`~optwidgets.viz.smooth_ema`) and then both raw and smoothed are thinned to
    ``max_points`` (min/max buckets, so spikes stay visible). Validation series are
    per epoch and kept whole.

    Example
    -------
    >>> import pandas as pd
    >>> h = pd.DataFrame({"step": [1, 2, 2, 2], "epoch": [1, 1, 1, 1],
    ...                   "split": ["train", "train", "val", "val"],
    ...                   "metric": ["loss", "loss", "loss", "acc"], "value": [2.0, 1.0, 1.5, 0.6]})
    >>> d = loss_curve_data(h, smoothing=0.0)
    >>> d.train_raw.y.tolist(), d.val_acc.x.tolist()
    ([2.0, 1.0], [2.0])
    """
    _check_one_run(history)
    raw = _series(history, "train", "loss")
    smooth_y = smooth_ema(raw.y, smoothing)
    raw_x, raw_y = decimate(raw.x, raw.y, max_points)
    sm_x, sm_y = decimate(raw.x, smooth_y, max_points, method="stride")
    return LossCurveData(
        Series(raw_x, raw_y),
        Series(sm_x, sm_y),
        _series(history, "val", "loss"),
        _series(history, "val", "acc"),
    )


ACC_COLOR = "#555"  # the accuracy line: dark grey, dotted, on its own axis


def loss_curves(
    history: pd.DataFrame,
    *,
    smoothing: float = 0.6,
    max_points: int = 500,
    log_y: bool = False,
    color: str | None = None,
    empty_text: str | None = None,
    title: str | None = None,
) -> go.Figure:
    """Loss per step (raw, faint, and smoothed), val loss and val accuracy per epoch.

    Accuracy is on a secondary y axis on the right. An empty history gives the same four
    traces with no points (names and order in :data:`LOSS_CURVE_TRACES`), so a
    ``FigureWidget`` can be made before a run and filled by :func:`update_loss_curves`.
    Colour is the run's technique family (:func:`~optwidgets.viz.technique_color`), as on
    the trade-off plot; train and validation differ by line style (solid, dashed with
    markers), accuracy is dotted grey.

    Parameters
    ----------
    history : DataFrame
        One run's history: ``step, epoch, split, metric, value``.
    smoothing : float in [0, 1)
        EMA weight on the past for the smoothed train loss (TensorBoard's slider).
    max_points : int
        Most points drawn per train curve.
    log_y : bool
        Logarithmic loss axis.
    color : str, optional
        Colour of the loss lines (default: the baseline family's grey).
    empty_text : str, optional
        With an empty history: axes hidden and this text in the middle (a placeholder);
        :func:`show_axes` brings the axes back when points arrive.
    title : str, optional

    Returns
    -------
    plotly.graph_objects.Figure

    Example
    -------
    >>> import pandas as pd
    >>> fig = loss_curves(pd.DataFrame(columns=["step", "epoch", "split", "metric", "value"]))
    >>> [t.name for t in fig.data] == list(LOSS_CURVE_TRACES)
    True
    """
    data = loss_curve_data(history, smoothing=smoothing, max_points=max_points)
    train = val = color or FAMILY_COLORS["baseline"]
    acc = ACC_COLOR
    fig = go.Figure(
        [
            go.Scatter(
                x=data.train_raw.x,
                y=data.train_raw.y,
                name=TRACE_TRAIN_RAW,
                mode="lines",
                line={"color": train, "width": 1},
                opacity=0.3,
                legendgroup="train",
                hovertemplate="step %{x}<br>train loss %{y:.4g}<extra></extra>",
            ),
            go.Scatter(
                x=data.train_smooth.x,
                y=data.train_smooth.y,
                name=TRACE_TRAIN_SMOOTH,
                mode="lines",
                line={"color": train, "width": 2},
                legendgroup="train",
                hovertemplate="step %{x}<br>smoothed %{y:.4g}<extra></extra>",
            ),
            go.Scatter(
                x=data.val_loss.x,
                y=data.val_loss.y,
                name=TRACE_VAL_LOSS,
                mode="lines+markers",
                line={"color": val, "width": 2, "dash": "dash"},
                marker={"size": 6},
                hovertemplate="step %{x}<br>val loss %{y:.4g}<extra></extra>",
            ),
            go.Scatter(
                x=data.val_acc.x,
                y=data.val_acc.y,
                name=TRACE_VAL_ACC,
                yaxis="y2",
                mode="lines+markers",
                line={"color": acc, "width": 1.5, "dash": "dot"},
                marker={"size": 5, "symbol": "diamond"},
                hovertemplate="step %{x}<br>val accuracy %{y:.4g}<extra></extra>",
            ),
        ]
    )
    finish(fig, title=title)
    fig.update_layout(
        xaxis={"title": {"text": axis_label("step")}},
        yaxis={"title": {"text": "Loss"}, "type": "log" if log_y else "linear"},
        yaxis2={
            "title": {"text": "Accuracy"},
            "overlaying": "y",
            "side": "right",
            "showgrid": False,
            # accuracy lives in [0, 1]: a fixed axis with round ticks, not 0.044, 0.244, ...
            "range": [0, 1.02],
            "tickvals": [0, 0.2, 0.4, 0.6, 0.8, 1.0],
        },
        legend={"orientation": "h", "y": 1.02, "yanchor": "bottom", "x": 0},
        hovermode="x",
        uirevision="loss_curves",
    )
    if empty_text is not None and not any(len(t.x) for t in fig.data):
        hide_axes(fig, empty_text)
    return fig


def hide_axes(fig: go.Figure, text: str) -> go.Figure:
    """Placeholder state of a :func:`loss_curves` figure: axes, grid and legend hidden,
    ``text`` in the middle. Returns the figure."""
    fig.update_layout(
        xaxis={"visible": False},
        yaxis={"visible": False},
        yaxis2={"visible": False},
        showlegend=False,
        annotations=[
            {
                "text": text,
                "xref": "paper",
                "yref": "paper",
                "x": 0.5,
                "y": 0.5,
                "showarrow": False,
                "font": {"size": 14, "color": "#777"},
            }
        ],
    )
    return fig


def show_axes(fig: go.Figure) -> go.Figure:
    """Undo :func:`hide_axes` (axes, legend back; the text gone). Works on a FigureWidget
    inside ``batch_update``.

    Example
    -------
    >>> import pandas as pd
    >>> fig = loss_curves(pd.DataFrame(), empty_text="Press Train")
    >>> fig.layout.xaxis.visible, show_axes(fig).layout.xaxis.visible
    (False, True)
    """
    fig.layout.annotations = ()
    fig.layout.showlegend = True
    for axis in ("xaxis", "yaxis", "yaxis2"):
        fig.layout[axis].visible = True
    return fig


def recolor_loss_curves(fig: go.Figure, color: str) -> go.Figure:
    """Give the loss traces of a :func:`loss_curves` figure another colour (a new run of
    another technique family); accuracy keeps its grey."""
    for trace in fig.data:
        if trace.name in (TRACE_TRAIN_RAW, TRACE_TRAIN_SMOOTH, TRACE_VAL_LOSS):
            trace.line.color = color
    return fig


def update_loss_curves(
    fig: go.Figure, history: pd.DataFrame, *, smoothing: float = 0.6, max_points: int = 500
) -> go.Figure:
    """Refill the traces of a :func:`loss_curves` figure (or FigureWidget) in place.

    Traces are found by name, so other traces the caller added are left alone. Wrap the
    call in ``with fig.batch_update():`` on a FigureWidget to send one message.

    Example
    -------
    >>> import pandas as pd
    >>> fig = loss_curves(pd.DataFrame())
    >>> h = pd.DataFrame({"step": [1, 2], "epoch": 1, "split": "train", "metric": "loss",
    ...                   "value": [2.0, 1.0]})
    >>> update_loss_curves(fig, h).data[0].y.tolist()
    [2.0, 1.0]
    """
    data = loss_curve_data(history, smoothing=smoothing, max_points=max_points)
    by_name = {t.name: t for t in fig.data}
    for name, series in zip(LOSS_CURVE_TRACES, data):
        trace = by_name.get(name)
        if trace is not None:
            trace.x = series.x
            trace.y = series.y
    return fig


def overlay_curves(
    history: pd.DataFrame,
    *,
    split: str = "train",
    metric: str = "loss",
    smoothing: float | None = None,
    max_points: int = 500,
    labels: Mapping[str, str] | None = None,
    colors: Mapping[str, str] | None = None,
    log_y: bool = False,
    empty_text: str | None = None,
    title: str | None = None,
) -> go.Figure:
    """One line per run (``run_id`` column) for one split/metric, to compare runs.

    Parameters
    ----------
    history : DataFrame
        Histories of several runs stacked, with a ``run_id`` column.
    split, metric : str
        Which curve: ``("train", "loss")`` per step, ``("val", "acc")`` per epoch, ...
    smoothing : float or None
        EMA weight on the past; None means 0.6 for the per-step train split and 0 for
        per-epoch splits (a few points need no smoothing).
    max_points : int
        Most points per run.
    labels : mapping run_id -> str, optional
        Legend names (default: the run_id). Traces carry ``customdata`` = run_id.
    colors : mapping run_id -> str, optional
        Line colours (e.g. each run's technique family); runs sharing a colour get
        different dashes. Default: the palette, one colour per run.
    log_y : bool
    empty_text : str, optional
        What the plot says when there is no run to draw (axes hidden).
    title : str, optional

    Returns
    -------
    plotly.graph_objects.Figure
        One trace per run, in first-seen order, named by ``labels`` or run_id.

    Example
    -------
    >>> import pandas as pd
    >>> h = pd.DataFrame({"run_id": ["a", "a", "b", "b"], "step": [1, 2, 1, 2], "epoch": 1,
    ...                   "split": "train", "metric": "loss", "value": [2.0, 1.0, 2.5, 2.0]})
    >>> [t.name for t in overlay_curves(h).data]
    ['a', 'b']
    """
    if smoothing is None:
        smoothing = 0.6 if split == "train" else 0.0
    fig = go.Figure()
    used: dict[str, int] = {}
    if len(history) and "run_id" in history.columns:
        for i, (run_id, part) in enumerate(history.groupby("run_id", sort=False)):
            s = _series(part, split, metric)
            x, y = decimate(s.x, smooth_ema(s.y, smoothing), max_points, method="stride")
            name = str(labels.get(run_id, run_id) if labels else run_id)
            color = (colors or {}).get(str(run_id)) or PALETTE[i % len(PALETTE)]
            dash = _DASHES[used.get(color, 0) % len(_DASHES)]
            used[color] = used.get(color, 0) + 1
            fig.add_trace(
                go.Scatter(
                    x=x,
                    y=y,
                    name=name,
                    mode="lines" if split == "train" else "lines+markers",
                    line={"color": color, "width": 2, "dash": dash},
                    customdata=np.full(len(x), str(run_id), dtype=object),
                    hovertemplate=f"{name}<br>step %{{x}}<br>{split} {metric} %{{y:.4g}}<extra></extra>",
                )
            )
    finish(fig, title=title, x_title=axis_label("step"), y_title=f"{split} {metric}")
    fig.update_yaxes(type="log" if log_y else "linear")
    fig.update_layout(hovermode="closest", legend={"title": {"text": "run"}})
    if empty_text is not None and not len(fig.data):
        hide_axes(fig, empty_text)
    return fig


_DASHES = ("solid", "dash", "dot", "dashdot", "longdash")
