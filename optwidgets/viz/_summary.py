"""Lesson summary figures: bars with error bars, and one measure against a setting."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from optwidgets.viz.style import axis_label, color_map, finish, symbol_map

__all__ = ["mean_std", "bar_with_error", "line_vs"]


def mean_std(df: pd.DataFrame, *, by: str | Sequence[str], value: str) -> pd.DataFrame:
    """Mean, standard deviation (ddof=1, 0 for a single row) and count of ``value`` per group.

    Rows with NaN ``value`` (failed runs) are skipped. Groups keep first-seen order.

    Example
    -------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"optimizer": ["sgd", "adam", "sgd"], "test_acc": [0.8, 0.9, 0.9]})
    >>> mean_std(df, by="optimizer", value="test_acc").round(4).to_dict(orient="list")
    {'optimizer': ['sgd', 'adam'], 'mean': [0.85, 0.9], 'std': [0.0707, 0.0], 'n': [2, 1]}
    """
    keys = [by] if isinstance(by, str) else list(by)
    clean = df[keys + [value]].copy()
    clean[value] = pd.to_numeric(clean[value], errors="coerce")
    clean = clean.dropna(subset=[value])
    out = clean.groupby(keys, sort=False)[value].agg(["mean", "std", "count"]).reset_index()
    out = out.rename(columns={"count": "n"})
    out["std"] = out["std"].fillna(0.0)
    return out


def _empty_safe(df: pd.DataFrame, columns: Sequence[str | None]) -> pd.DataFrame:
    """An empty frame that lacks some columns gets them (as float), so drawing works."""
    if len(df):
        return df
    return pd.DataFrame({c: pd.Series(dtype=np.float64) for c in columns if c is not None})


def _colors_for(values: pd.Series, column: str | None) -> dict[str, str]:
    return color_map(values, column=column)


def bar_with_error(
    df: pd.DataFrame,
    *,
    x: str,
    y: str,
    error: str | None = None,
    color: str | None = None,
    y_title: str | None = None,
    title: str | None = None,
) -> go.Figure:
    """Bars of ``y`` per ``x`` with ``± error`` whiskers (e.g. mean ± std over seeds).

    Parameters
    ----------
    df : DataFrame
        Already aggregated, one row per bar (see :func:`mean_std`).
    x, y : str
        Category column and bar height column.
    error : str, optional
        Column of symmetric error (standard deviation).
    color : str, optional
        Column that splits bars into groups side by side (one trace per value). Without it
        one trace; bars are coloured by technique when ``x`` is ``"technique"``.
    y_title, title : str, optional

    Returns
    -------
    plotly.graph_objects.Figure

    Example
    -------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"optimizer": ["sgd", "adam"], "mean": [0.85, 0.9], "std": [0.02, 0.01]})
    >>> fig = bar_with_error(df, x="optimizer", y="mean", error="std", y_title="Test accuracy")
    >>> fig.data[0].error_y.array.tolist()
    [0.02, 0.01]
    """
    df = _empty_safe(df, [x, y, error, color])
    groups = [(None, df)] if color is None else list(df.groupby(color, sort=False))
    colors = _colors_for(df[color], color) if color is not None else {}
    fig = go.Figure()
    for key, part in groups:
        marker: dict[str, object] = {}
        if key is not None:
            marker["color"] = colors[str(key)]
        elif x == "technique" and len(part):
            marker["color"] = list(color_map(part[x], column="technique")[str(v)] for v in part[x])
        fig.add_trace(
            go.Bar(
                x=part[x].astype(str).to_numpy(),
                y=part[y].to_numpy(dtype=np.float64),
                name=str(key) if key is not None else axis_label(y),
                error_y=(
                    {
                        "type": "data",
                        "array": part[error].to_numpy(dtype=np.float64),
                        "visible": True,
                    }
                    if error is not None
                    else None
                ),
                marker=marker,
                hovertemplate=f"%{{x}}<br>{axis_label(y)} %{{y:.4g}}"
                + (" ± %{error_y.array:.2g}" if error is not None else "")
                + "<extra></extra>",
            )
        )
    finish(fig, title=title, x_title=axis_label(x), y_title=y_title or axis_label(y))
    fig.update_xaxes(type="category")
    fig.update_layout(barmode="group", showlegend=color is not None)
    return fig


def line_vs(
    df: pd.DataFrame,
    *,
    x: str,
    y: str,
    color: str | None = None,
    error: str | None = None,
    log_x: bool = False,
    y_title: str | None = None,
    title: str | None = None,
) -> go.Figure:
    """``y`` against a numeric setting ``x`` (bits, prune ratio, ...), one line per ``color``.

    Points are sorted by ``x`` within each line; rows with NaN ``y`` are skipped.

    Parameters
    ----------
    df : DataFrame
    x, y : str
        Setting column and measure column.
    color : str, optional
        Column splitting lines (technique vocabulary when ``"technique"``).
    error : str, optional
        Column of symmetric error, drawn as whiskers.
    log_x : bool
    y_title, title : str, optional

    Returns
    -------
    plotly.graph_objects.Figure
        One trace per ``color`` value (first-seen order), or one trace named after ``y``.

    Example
    -------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"quant_bits": [8, 2, 4], "test_acc": [0.97, 0.4, 0.9]})
    >>> fig = line_vs(df, x="quant_bits", y="test_acc")
    >>> fig.data[0].x.tolist(), fig.layout.xaxis.title.text
    ([2, 4, 8], 'Quantization bits')
    """
    df = _empty_safe(df, [x, y, error, color])
    if len(df):
        df = df[pd.to_numeric(df[y], errors="coerce").notna()]
    groups = [(None, df)] if color is None else list(df.groupby(color, sort=False))
    colors = _colors_for(df[color], color) if color is not None else {}
    symbols = symbol_map(df[color], column=color) if color is not None else {}
    fig = go.Figure()
    for key, part in groups:
        part = part.sort_values(x, kind="stable") if len(part) else part
        name = str(key) if key is not None else axis_label(y)
        fig.add_trace(
            go.Scatter(
                x=part[x].to_numpy() if len(part) else [],
                y=part[y].to_numpy(dtype=np.float64) if len(part) else [],
                mode="lines+markers",
                name=name,
                line={"color": colors.get(str(key))} if key is not None else {},
                marker={"symbol": symbols.get(str(key), "circle"), "size": 8},
                error_y=(
                    {
                        "type": "data",
                        "array": part[error].to_numpy(dtype=np.float64),
                        "visible": True,
                    }
                    if error is not None and len(part)
                    else None
                ),
                hovertemplate=f"{name}<br>{axis_label(x)} %{{x}}<br>{axis_label(y)} %{{y:.4g}}"
                "<extra></extra>",
            )
        )
    finish(fig, title=title, x_title=axis_label(x), y_title=y_title or axis_label(y))
    fig.update_xaxes(type="log" if log_x else "linear")
    fig.update_layout(showlegend=color is not None)
    return fig
