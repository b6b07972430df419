"""A regression model's predicted surface over a 2-D feature space, the data on top: what
the decision boundary is to a classifier (:mod:`optwidgets.viz._decision_boundary`)."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from optwidgets.viz._decision_boundary import grid_axes
from optwidgets.viz.style import finish

__all__ = ["prediction_surface", "SURFACE_COLORSCALE"]

# One diverging scale for the surface and the points, so a point whose colour matches the
# ground under it is predicted well (low orange, high blue: the decision boundary's look).
SURFACE_COLORSCALE = [[0.0, "#f59322"], [0.5, "#ffffff"], [1.0, "#0877bd"]]


def prediction_surface(
    xx: np.ndarray,
    yy: np.ndarray,
    z: np.ndarray,
    X: np.ndarray,
    y: np.ndarray,
    *,
    target_name: str = "y",
    compact: bool = False,
    title: str | None = None,
) -> go.Figure:
    """Predicted value over a grid (filled contour), the data points coloured by their
    target on the same scale.

    Parameters
    ----------
    xx, yy : array
        Grid coordinates: 1-D axes (W,) and (H,), or ``np.meshgrid`` arrays (H, W).
    z : (H, W) array
        Predictions at the grid points (``runs.analysis.prediction_grid``), target units.
    X : (N, 2) array
        Data points.
    y : (N,) array
        Their targets, in the same units as ``z``.
    target_name : str
        Name of the target (colour bar and hover).
    compact : bool
        For a small panel (~250 px): no colour bar, small markers and margins.
    title : str, optional

    Returns
    -------
    plotly.graph_objects.Figure
        Trace 0 "prediction" (the contour), trace 1 "data" (the points).

    Example
    -------
    >>> import numpy as np
    >>> xs = np.linspace(-1, 1, 5); xx, yy = np.meshgrid(xs, xs)
    >>> fig = prediction_surface(xx, yy, xx + yy, np.array([[0.0, 0.0]]), np.array([0.1]))
    >>> [t.name for t in fig.data], fig.data[0].zmin == fig.data[1].marker.cmin
    (['prediction', 'data'], True)
    """
    ax, ay = grid_axes(xx, yy)
    z = np.asarray(z, dtype=np.float64).reshape(ay.size, ax.size)
    X = np.asarray(X, dtype=np.float64).reshape(-1, 2)
    t = np.asarray(y, dtype=np.float64).ravel()
    both = np.concatenate([z.ravel(), t])
    both = both[np.isfinite(both)]
    lo, hi = (float(both.min()), float(both.max())) if both.size else (0.0, 1.0)
    fig = go.Figure()
    fig.add_trace(
        go.Contour(
            x=ax, y=ay, z=z, name="prediction", zmin=lo, zmax=hi, ncontours=20, opacity=0.8,
            colorscale=SURFACE_COLORSCALE, line={"width": 0}, showscale=not compact,
            colorbar={"title": {"text": f"predicted {target_name}"}},
            hovertemplate="(%{x:.2f}, %{y:.2f})<br>predicted %{z:.3g}<extra></extra>",
        )
    )  # fmt: skip
    fig.add_trace(
        go.Scatter(
            x=X[:, 0], y=X[:, 1], mode="markers", name="data",
            marker={"color": t, "cmin": lo, "cmax": hi, "colorscale": SURFACE_COLORSCALE,
                    "size": 5 if compact else 7,
                    "line": {"width": 0.5 if compact else 1, "color": "#333"}},
            hovertemplate=f"{target_name} %{{marker.color:.3g}}<br>(%{{x:.2f}}, %{{y:.2f}})"
                          "<extra></extra>",
        )
    )  # fmt: skip
    finish(fig, title=title, x_title="x₁", y_title="x₂")
    if ax.size and ay.size:
        fig.update_xaxes(range=[float(ax.min()), float(ax.max())], showgrid=False)
        fig.update_yaxes(range=[float(ay.min()), float(ay.max())], showgrid=False)
    fig.update_layout(showlegend=False)
    if compact:
        fig.update_layout(margin={"l": 36, "r": 8, "t": 36, "b": 30}, title={"font": {"size": 13}})
        fig.update_xaxes(title_standoff=2)
        fig.update_yaxes(title_standoff=2)
    return fig
