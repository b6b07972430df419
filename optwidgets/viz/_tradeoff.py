"""Trade-off scatter of finished runs (size/latency vs accuracy) with the Pareto front.

What each run did shows at a glance: one colour per technique family (the same colours
as the runs grid and the legend), one symbol per technique, ticks with units (``10 kB``,
``0.05 ms``), the latest run ringed, a short hover. Failed and diverged runs are drawn
apart in grey and never count for the front; runs still ``running`` (or ``interrupted``,
their process gone) are not points at all.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from optwidgets.viz._pareto import front_line_shape, pareto_front
from optwidgets.viz._scatter import format_value, grouped_markers
from optwidgets.viz._ticks import axis_range, format_measure, unit_ticks, value_range
from optwidgets.viz.style import (
    AXIS_UNITS,
    FAILED_COLOR,
    FAMILIES,
    FAMILY_COLORS,
    TASK_Y,
    axis_label,
    finish,
    technique_color,
    technique_family,
    technique_symbol,
)

__all__ = [
    "tradeoff",
    "default_y",
    "tradeoff_points",
    "placeholder",
    "short_hover",
    "TRACE_PARETO",
    "TRACE_LATEST",
    "TRACE_FAILED",
    "DEFAULT_HOVER",
    "UNPLOTTED_STATUSES",
]

TRACE_PARETO = "Pareto front"
TRACE_LATEST = "latest run"
TRACE_FAILED = "failed / diverged"
# Records that are not finished runs: no point for them.
UNPLOTTED_STATUSES = ("running", "interrupted")
_BAD_STATUSES = ("failed", "diverged")
# Config columns a caller may list on hover (the ones a frame lacks are left out); the
# default hover is :func:`short_hover`.
DEFAULT_HOVER: tuple[str, ...] = ()


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


def placeholder(fig: go.Figure, text: str) -> go.Figure:
    """Hide the axes of an empty figure and write ``text`` in its middle (instead of a
    grid running from -1 to 4); returns the figure.

    Example
    -------
    >>> import plotly.graph_objects as go
    >>> fig = placeholder(go.Figure(), "No runs yet")
    >>> fig.layout.annotations[0].text, fig.layout.xaxis.visible
    ('No runs yet', False)
    """
    fig.update_layout(
        xaxis={"visible": False},
        yaxis={"visible": False},
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


def tradeoff_points(runs: pd.DataFrame, x: str, y: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``(good, bad)``: finished runs with a finite ``x`` and ``y``, split into those that
    may be on the front (done, stopped) and failed / diverged ones (drawn apart).

    Example
    -------
    >>> import pandas as pd
    >>> runs = pd.DataFrame({"run_id": list("abcd"), "size_bytes": [1, 2, 3, None],
    ...                      "test_acc": [0.9, 0.1, 0.8, 0.5],
    ...                      "status": ["done", "diverged", "running", "done"]})
    >>> [part["run_id"].tolist() for part in tradeoff_points(runs, "size_bytes", "test_acc")]
    [['a'], ['b']]
    """
    points = finite_rows(runs, (x, y))
    if "status" not in points.columns:
        return points, points.iloc[0:0]
    status = points["status"].astype(str)
    points = points[~status.isin(UNPLOTTED_STATUSES)]
    bad = points["status"].astype(str).isin(_BAD_STATUSES)
    return points[~bad], points[bad]


def _setting_text(row: pd.Series) -> str:
    """The knobs that made this run what it is, in a few words."""
    parts = []
    for col, fmt in (("model", "{}"), ("optimizer", "{}"), ("lr", "lr {:g}"), ("epochs", "{} ep")):
        v = row.get(col)
        if v is not None and not (isinstance(v, float) and np.isnan(v)):
            parts.append(fmt.format(v))
    if str(row.get("prune_method", "none")) not in ("none", "nan", "None"):
        parts.append(f"prune {row.get('prune_method')} {format_value(row.get('prune_ratio'))}")
    mode = str(row.get("quant_mode", "none"))
    if mode == "simulated":
        parts.append(f"{format_value(row.get('quant_bits'))}-bit")
    elif mode not in ("none", "nan", "None"):
        parts.append(mode)
    return " · ".join(parts)


def short_hover(df: pd.DataFrame, x: str, y: str) -> list[str]:
    """Four short lines per run: technique and status; y and x with units; the settings
    that matter; the run id's tail.

    Example
    -------
    >>> import pandas as pd
    >>> row = pd.DataFrame({"run_id": ["20260101-000000-abcdef"], "technique": ["sim-2bit"],
    ...                     "status": ["done"], "size_bytes": [3100], "test_acc": [0.962],
    ...                     "quant_mode": ["simulated"], "quant_bits": [2], "model": ["mlp"]})
    >>> short_hover(row, "size_bytes", "test_acc")[0].split("<br>")
    ['<b>sim-2bit</b> · done', 'Test accuracy 0.962 · 3.1 kB', 'mlp · 2-bit', 'run …abcdef']
    """
    out = []
    for _, row in df.iterrows():
        technique = row.get("technique", "baseline")
        status = row.get("status", "done")
        y_text = f"{axis_label(y).split(' (')[0]} {format_value(row.get(y))}"
        x_text = (
            format_measure(row.get(x), AXIS_UNITS[x])
            if x in AXIS_UNITS
            else f"{axis_label(x)} {format_value(row.get(x))}"
        )
        rid = str(row.get("run_id", ""))
        lines = [f"<b>{technique}</b> · {status}", f"{y_text} · {x_text}"]
        settings = _setting_text(row)
        if settings:
            lines.append(settings)
        if rid:
            lines.append(f"run …{rid[-6:]}")
        out.append("<br>".join(lines))
    return out


def _family_traces(points: pd.DataFrame, x: str, y: str) -> list[go.Scatter]:
    """One marker trace per technique family (legend order), symbols per technique."""
    technique = (
        points["technique"].astype(str)
        if "technique" in points.columns
        else pd.Series("baseline", index=points.index)
    )
    family = technique.map(technique_family)
    order = [f for f in FAMILIES if f in set(family)] + sorted(set(family) - set(FAMILIES))
    text = pd.Series(short_hover(points, x, y), index=points.index)
    traces = []
    for fam in order:
        part = points[family == fam]
        traces.append(
            go.Scatter(
                x=part[x].to_numpy(),
                y=part[y].to_numpy(),
                mode="markers",
                name=fam,
                legendgroup=fam,
                marker={
                    "size": 11,
                    "color": FAMILY_COLORS.get(fam, technique_color(fam)),
                    "symbol": [technique_symbol(t) for t in technique[part.index]],
                    "line": {"width": 1, "color": "white"},
                },
                customdata=part["run_id"].astype(str).to_numpy() if "run_id" in part else None,
                text=text[part.index].tolist(),
                hovertemplate="%{text}<extra></extra>",
            )
        )
    return traces


def _unit_axis(fig: go.Figure, axis: str, values: np.ndarray, unit: str, log: bool) -> None:
    """Range and unit-formatted ticks of one axis from the values drawn on it."""
    rng = axis_range(values, log=log)
    if rng is None:
        return
    lo, hi = (10.0 ** rng[0], 10.0 ** rng[1]) if log else rng
    vals, text = unit_ticks(lo, hi, unit, log=log)
    fig.update_layout({axis: {"range": list(rng), "tickvals": vals, "ticktext": text}})


def default_y(runs: pd.DataFrame) -> str:
    """The quality axis for ``runs``: ``"test_r2"`` when every run with a ``task`` is a
    regression, else ``"test_acc"``.

    Example
    -------
    >>> import pandas as pd
    >>> default_y(pd.DataFrame({"task": ["regression"]})), default_y(pd.DataFrame())
    ('test_r2', 'test_acc')
    """
    tasks = set(runs["task"].dropna().astype(str)) if "task" in runs.columns else set()
    return TASK_Y["regression"] if tasks == {"regression"} else TASK_Y["classification"]


def tradeoff(
    runs: pd.DataFrame,
    *,
    x: str = "size_bytes",
    y: str | None = None,
    color: str | None = "technique",
    symbol: str | None = "technique",
    hover: Sequence[str] = DEFAULT_HOVER,
    log_x: bool = True,
    minimize_x: bool = True,
    maximize_y: bool = True,
    show_front: bool = True,
    latest: str | None = None,
    empty_text: str = "No finished runs yet: press Train",
    title: str | None = None,
) -> go.Figure:
    """Every finished run as a point of ``x`` (cost) against ``y`` (quality), front drawn.

    Runs whose ``x`` or ``y`` is missing or NaN (a measure not taken) are skipped; records
    still running or interrupted are left out; failed and diverged runs with both numbers
    are drawn apart (grey crosses, :data:`TRACE_FAILED`) and never count for the front. A
    frame with no point gives a placeholder (axes hidden, ``empty_text``). Trace 0 is
    always the Pareto front (:data:`TRACE_PARETO`, possibly empty); then the markers, each
    carrying ``customdata`` = its ``run_id`` for click handlers; then the failed runs and
    the ``latest`` ring, when there are any.

    Parameters
    ----------
    runs : DataFrame
        The runs frame (``RunStore.to_frame()``), one row per run.
    x : str
        Cost column: one of :data:`~optwidgets.viz.style.X_CHOICES` or any numeric column.
        Byte, millisecond, second and count columns get ticks with units.
    y : str, optional
        Quality column: one of :data:`~optwidgets.viz.style.Y_CHOICES` or any numeric column;
        default :func:`default_y` (test accuracy, or test R² for regression runs).
    color, symbol : str or None
        ``"technique"`` (the default): one trace and colour per technique family, a symbol
        per technique, a short hover (:func:`short_hover`). Another column: one trace per
        value (a numeric ``color`` column uses a colour scale) and ``hover`` columns.
    hover : sequence of str
        Columns listed on hover when ``color`` is not ``"technique"``.
    log_x : bool
        Logarithmic x axis (sizes and latencies span decades).
    minimize_x, maximize_y : bool
        Directions that define the front.
    show_front : bool
        Draw the front line (the trace is kept, empty, when False).
    latest : str, optional
        A run id to ring (the run just finished).
    empty_text : str
        What an empty plot says.
    title : str, optional

    Returns
    -------
    plotly.graph_objects.Figure

    Example
    -------
    >>> import pandas as pd
    >>> runs = pd.DataFrame({"run_id": ["a", "b", "c"], "technique": ["baseline", "int8", "sim-4bit"],
    ...                      "size_bytes": [4e5, 1e5, 2e5], "test_acc": [0.97, 0.95, 0.90]})
    >>> fig = tradeoff(runs, latest="b")
    >>> [t.name for t in fig.data]
    ['Pareto front', 'baseline', 'quantization', 'latest run']
    >>> list(fig.layout.xaxis.ticktext)
    ['100 kB', '200 kB']
    """
    y = default_y(runs) if y is None else y
    good, bad = tradeoff_points(runs, x, y)
    if show_front and len(good):
        front = pareto_front(good, x, y, minimize_x=minimize_x, maximize_y=maximize_y)
    else:
        front = good.iloc[0:0]
    fig = go.Figure([front_trace(front, x, y, minimize_x=minimize_x)])
    if color == "technique" and symbol in ("technique", None):
        traces = _family_traces(good, x, y)
    else:
        ids = "run_id" if "run_id" in good.columns else None
        traces = grouped_markers(
            good, x=x, y=y, color=color, symbol=symbol, ids=ids, hover=hover, id_label="run"
        )
    for trace in traces:
        fig.add_trace(trace)
    if len(bad):
        fig.add_trace(
            go.Scatter(
                x=bad[x].to_numpy(),
                y=bad[y].to_numpy(),
                mode="markers",
                name=TRACE_FAILED,
                marker={"size": 9, "color": FAILED_COLOR, "symbol": "x-thin-open",
                        "line": {"width": 2, "color": FAILED_COLOR}},
                customdata=bad["run_id"].astype(str).to_numpy() if "run_id" in bad else None,
                text=short_hover(bad, x, y),
                hovertemplate="%{text}<extra></extra>",
            )
        )  # fmt: skip
    shown = pd.concat([good, bad]) if len(bad) else good
    if latest is not None and "run_id" in shown.columns:
        row = shown[shown["run_id"].astype(str) == str(latest)]
        if len(row):
            fig.add_trace(
                go.Scatter(
                    x=row[x].to_numpy(),
                    y=row[y].to_numpy(),
                    mode="markers",
                    name=TRACE_LATEST,
                    marker={"size": 22, "symbol": "circle-open", "color": "#111",
                            "line": {"width": 2, "color": "#111"}},
                    customdata=row["run_id"].astype(str).to_numpy(),
                    hoverinfo="skip",
                )
            )  # fmt: skip
    if (
        color is not None
        and color != "technique"
        and color in good.columns
        and any(getattr(t.marker, "coloraxis", None) for t in fig.data[1:])
    ):
        fig.update_layout(coloraxis={"colorbar": {"title": {"text": axis_label(color)}}})
    unit = AXIS_UNITS.get(x)
    x_title = axis_label(x).split(" (")[0] if unit is not None else axis_label(x)
    finish(fig, title=title, x_title=x_title, y_title=axis_label(y))
    fig.update_xaxes(type="log" if log_x else "linear")
    if not len(shown):
        return placeholder(fig, empty_text)
    if unit is not None:
        _unit_axis(fig, "xaxis", shown[x].to_numpy(dtype=np.float64), unit, log_x)
    y_range = value_range(pd.to_numeric(shown[y], errors="coerce").to_numpy(dtype=np.float64))
    if y_range is not None:  # accuracies stay inside [0, 1]: one run is not 0.5 to 1.5
        fig.update_yaxes(range=y_range)
    legend_title = "" if color == "technique" else axis_label(color) if color else ""
    fig.update_layout(legend={"title": {"text": legend_title}}, hovermode="closest")
    return fig
