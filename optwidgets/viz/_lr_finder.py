"""The learning-rate finder's curve: loss against a log learning-rate axis, suggestion marked.

A pure function from the finder's curve (``step``, ``lr``, ``loss``, ``smoothed``: the
frame :func:`optwidgets.lr_find` returns) to a figure.

Example
-------
>>> import pandas as pd
>>> from optwidgets.viz import lr_finder_curve
>>> curve = pd.DataFrame({"step": [1, 2, 3], "lr": [1e-4, 1e-3, 1e-2],
...                       "loss": [2.3, 2.0, 3.1], "smoothed": [2.3, 2.1, 2.6]})
>>> fig = lr_finder_curve(curve, suggestion=1e-3, min_lr=1e-3)
>>> [t.name for t in fig.data], fig.layout.xaxis.type
(['loss (each step)', 'loss (smoothed)', 'suggested lr'], 'log')
"""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from optwidgets.viz.style import PALETTE, finish

__all__ = ["lr_finder_curve"]


def lr_finder_curve(
    curve: pd.DataFrame, *, suggestion: float | None = None, min_lr: float | None = None,
    title: str | None = "Learning-rate finder",
) -> go.Figure:
    """Raw and smoothed training loss against the learning rate (log axis); a marker at
    ``suggestion`` on the smoothed curve and a dotted line at ``min_lr`` (the minimum)."""
    fig = go.Figure()
    fig.add_scatter(x=curve["lr"], y=curve["loss"], mode="lines", name="loss (each step)",
                    line={"color": PALETTE[0], "width": 1}, opacity=0.35,
                    hovertemplate="lr %{x:.2g}<br>loss %{y:.3f}<extra></extra>")
    fig.add_scatter(x=curve["lr"], y=curve["smoothed"], mode="lines", name="loss (smoothed)",
                    line={"color": PALETTE[0], "width": 2},
                    hovertemplate="lr %{x:.2g}<br>smoothed %{y:.3f}<extra></extra>")
    if suggestion is not None and len(curve):
        nearest = (curve["lr"] - suggestion).abs().idxmin()
        fig.add_scatter(x=[suggestion], y=[curve.loc[nearest, "smoothed"]], mode="markers",
                        name="suggested lr", marker={"color": PALETTE[3], "size": 11,
                                                     "symbol": "star"},
                        hovertemplate="suggested lr %{x:.2g}<extra></extra>")
    if min_lr is not None:
        fig.add_vline(x=min_lr, line={"dash": "dot", "color": "#888", "width": 1},
                      annotation_text="minimum", annotation_position="top")
    fig.update_xaxes(type="log", exponentformat="power")
    if len(curve):  # the blow-up at the end would flatten everything before it
        low, high = float(curve["smoothed"].min()), float(curve["smoothed"].iloc[0])
        top = max(high, low) + 0.5 * abs(high - low) + 1e-6
        fig.update_yaxes(range=[max(0.0, low - 0.1 * (top - low)), top])
    fig.update_layout(legend={"orientation": "h", "y": 1.02, "yanchor": "bottom", "x": 0})
    return finish(fig, title=title, x_title="Learning rate (log scale)",
                  y_title="Training loss")
