"""Pruning sensitivity: accuracy after pruning each layer alone at each ratio."""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from optwidgets.viz._scatter import format_value
from optwidgets.viz.style import axis_label, finish

__all__ = ["sensitivity_table", "sensitivity_heatmap"]


def sensitivity_table(
    df: pd.DataFrame, *, layer: str = "layer", ratio: str = "ratio", value: str = "acc"
) -> pd.DataFrame:
    """Pivot a long sensitivity frame to layers (rows, first-seen order) x ratios (ascending).

    Repeated (layer, ratio) pairs (several seeds) are averaged; missing pairs are NaN.

    Example
    -------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"layer": ["fc2", "fc2", "fc1", "fc1"], "ratio": [0.5, 0.1, 0.1, 0.5],
    ...                    "acc": [0.6, 0.9, 0.95, 0.8]})
    >>> sensitivity_table(df).to_dict(orient="index")
    {'fc2': {0.1: 0.9, 0.5: 0.6}, 'fc1': {0.1: 0.95, 0.5: 0.8}}
    """
    if len(df) == 0:
        return pd.DataFrame(dtype=np.float64)
    table = df.pivot_table(index=layer, columns=ratio, values=value, aggfunc="mean", sort=False)
    layers = list(dict.fromkeys(df[layer].tolist()))
    table = table.reindex(index=layers, columns=sorted(table.columns))
    table.index.name, table.columns.name = None, None
    return table.astype(np.float64)


def sensitivity_heatmap(
    df: pd.DataFrame,
    *,
    layer: str = "layer",
    ratio: str = "ratio",
    value: str = "acc",
    title: str | None = None,
) -> go.Figure:
    """Heatmap of accuracy for each layer (rows, network order) x prune ratio (columns).

    Parameters
    ----------
    df : DataFrame
        Long format, one row per (layer, ratio) measurement: columns ``layer, ratio, acc``.
    layer, ratio, value : str
        Column names, if they differ.
    title : str, optional

    Returns
    -------
    plotly.graph_objects.Figure
        One Heatmap trace with the values written in the cells.

    Example
    -------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"layer": ["fc1", "fc1"], "ratio": [0.1, 0.5], "acc": [0.95, 0.8]})
    >>> fig = sensitivity_heatmap(df)
    >>> fig.layout.xaxis.title.text, list(fig.data[0].y)
    ('Prune ratio', ['fc1'])
    """
    table = sensitivity_table(df, layer=layer, ratio=ratio, value=value)
    z = table.to_numpy(dtype=np.float64)
    text = [[format_value(v) for v in row] for row in z]
    fig = go.Figure(
        go.Heatmap(
            z=z,
            x=[format_value(c) for c in table.columns],
            y=[str(i) for i in table.index],
            text=text,
            texttemplate="%{text}",
            colorscale="RdYlGn",
            colorbar={"title": {"text": axis_label(value)}},
            hovertemplate=f"%{{y}}<br>ratio %{{x}}<br>{value} %{{z:.4g}}<extra></extra>",
        )
    )
    finish(fig, title=title, x_title=axis_label(ratio), y_title=axis_label(layer))
    fig.update_xaxes(type="category")
    fig.update_yaxes(type="category", autorange="reversed")
    return fig
