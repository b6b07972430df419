"""Gradient health figures: per-layer gradient norms and update ratios over training.

The data is a run's ``res.gradients`` frame (columns ``step, layer, grad_norm,
update_ratio``; see :mod:`optwidgets.train.gradients`): :func:`gradient_table` pivots it
to layers (network order) x steps, :func:`gradient_lines` draws one line per layer and
:func:`gradient_heatmap` one row per layer, both on a log scale (the values span orders of
magnitude: that is the point of looking at them).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.colors import sample_colorscale

from optwidgets.viz.style import finish

__all__ = ["GRADIENT_LABELS", "gradient_table", "gradient_lines", "gradient_heatmap"]

# axis titles of the two recorded measures
GRADIENT_LABELS = {
    "grad_norm": "Gradient norm (L2, per layer)",
    "update_ratio": "Update / weight  ‖Δw‖ / ‖w‖",
}


def _label(value: str) -> str:
    return GRADIENT_LABELS.get(value, value)


def gradient_table(df: pd.DataFrame, *, value: str = "grad_norm", layer: str = "layer",
                   step: str = "step") -> pd.DataFrame:
    """Pivot a long gradient frame to layers (rows, in first-seen = network order) x steps
    (columns, ascending); repeated (layer, step) pairs are averaged.

    Example
    -------
    >>> df = pd.DataFrame({"step": [10, 10, 20, 20], "layer": ["b", "a", "b", "a"],
    ...                    "grad_norm": [1.0, 0.01, 2.0, 0.02]})
    >>> gradient_table(df).to_dict(orient="index")
    {'b': {10: 1.0, 20: 2.0}, 'a': {10: 0.01, 20: 0.02}}
    """
    if len(df) == 0:
        return pd.DataFrame(dtype=np.float64)
    table = df.pivot_table(index=layer, columns=step, values=value, aggfunc="mean",
                           sort=False, dropna=False)
    layers = list(dict.fromkeys(df[layer].tolist()))
    table = table.reindex(index=layers, columns=sorted(table.columns))
    table.index.name, table.columns.name = None, None
    return table.astype(np.float64)


def _depth_colors(n: int) -> list[str]:
    """First layer dark blue ... last layer yellow (viridis): depth reads as colour."""
    if n <= 1:
        return sample_colorscale("Viridis", [0.0])
    return sample_colorscale("Viridis", [i / (n - 1) for i in range(n)])


def gradient_lines(df: pd.DataFrame, *, value: str = "grad_norm", title: str | None = None
                   ) -> go.Figure:
    """One line per layer: ``value`` (``grad_norm`` or ``update_ratio``) against the step,
    log y axis, coloured by depth (first layer dark, last light).

    Values <= 0 or not finite (a layer without gradient, a diverged step) are left out:
    a log axis cannot show them.

    Example
    -------
    >>> df = pd.DataFrame({"step": [10, 10, 20, 20], "layer": ["1 (Linear)", "3 (Linear)"] * 2,
    ...                    "grad_norm": [0.01, 1.0, 0.02, 2.0]})
    >>> fig = gradient_lines(df)
    >>> [t.name for t in fig.data], fig.layout.yaxis.type
    (['1 (Linear)', '3 (Linear)'], 'log')
    """
    table = gradient_table(df, value=value)
    z = table.to_numpy(dtype=np.float64)
    steps = np.asarray(table.columns, dtype=np.int64)
    fig = go.Figure()
    for name, row, color in zip(table.index, z, _depth_colors(len(table))):
        keep = np.isfinite(row) & (row > 0)
        fig.add_trace(go.Scatter(
            x=steps[keep], y=row[keep], mode="lines+markers" if keep.sum() < 30 else "lines",
            name=str(name), line={"color": color, "width": 2}, marker={"size": 4},
            hovertemplate=f"{name}<br>step %{{x}}<br>{value} %{{y:.3g}}<extra></extra>"))
    finish(fig, title=title, x_title="Step", y_title=_label(value))
    fig.update_yaxes(type="log", exponentformat="power")
    return fig


def gradient_heatmap(df: pd.DataFrame, *, value: str = "grad_norm", title: str | None = None
                     ) -> go.Figure:
    """Layers (rows, first layer on top) x recorded steps (columns), colour = log10 of
    ``value``; the colour bar is labelled in powers of ten.

    Example
    -------
    >>> df = pd.DataFrame({"step": [10, 10, 20, 20], "layer": ["1 (Linear)", "3 (Linear)"] * 2,
    ...                    "grad_norm": [0.01, 1.0, 0.02, 2.0]})
    >>> fig = gradient_heatmap(df)
    >>> list(fig.data[0].y), [round(float(v), 2) for v in fig.data[0].z[0]]
    (['1 (Linear)', '3 (Linear)'], [-2.0, -1.7])
    """
    table = gradient_table(df, value=value)
    z = table.to_numpy(dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        logz = np.where(np.isfinite(z) & (z > 0), np.log10(np.where(z > 0, z, 1.0)), np.nan)
    finite = logz[np.isfinite(logz)]
    lo, hi = (float(finite.min()), float(finite.max())) if finite.size else (0.0, 1.0)
    ticks = list(range(int(np.floor(lo)), int(np.ceil(hi)) + 1))
    fig = go.Figure(go.Heatmap(
        z=logz, x=[int(c) for c in table.columns], y=[str(i) for i in table.index],
        customdata=z, colorscale="Viridis",
        colorbar={"title": {"text": "log10"}, "tickvals": ticks,
                  "ticktext": [f"1e{t}" for t in ticks]},
        hovertemplate=f"%{{y}}<br>step %{{x}}<br>{value} %{{customdata:.3g}}<extra></extra>"))
    finish(fig, title=title, x_title="Step", y_title=None)
    fig.update_yaxes(type="category", autorange="reversed")
    fig.update_layout(annotations=[{
        "text": _label(value), "xref": "paper", "yref": "paper", "x": 0, "y": 1.0,
        "xanchor": "left", "yanchor": "bottom", "showarrow": False, "font": {"size": 11}}])
    return fig
