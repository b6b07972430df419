"""Decision regions of a 2-D classifier with the data on top (TensorFlow Playground look)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import plotly.graph_objects as go

from optwidgets.viz.style import PALETTE, finish

__all__ = ["BINARY_COLORS", "grid_axes", "grid_proba", "decision_boundary"]

# Playground's two colours: orange for class 0, blue for class 1.
BINARY_COLORS = ("#f59322", "#0877bd")


def grid_axes(xx: np.ndarray, yy: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The 1-D x and y coordinates of a grid given as axes or as a ``np.meshgrid`` pair.

    Example
    -------
    >>> import numpy as np
    >>> xx, yy = np.meshgrid([0.0, 1.0, 2.0], [5.0, 6.0])
    >>> [a.tolist() for a in grid_axes(xx, yy)]
    [[0.0, 1.0, 2.0], [5.0, 6.0]]
    """
    xx, yy = np.asarray(xx, dtype=np.float64), np.asarray(yy, dtype=np.float64)
    if xx.ndim == 2 and yy.ndim == 2:
        return xx[0, :], yy[:, 0]
    if xx.ndim == 1 and yy.ndim == 1:
        return xx, yy
    raise ValueError(
        f"xx, yy must both be 1-D axes or both 2-D meshgrids, got {xx.shape}, {yy.shape}"
    )


def grid_proba(proba: np.ndarray, n_rows: int, n_cols: int) -> np.ndarray:
    """Class probabilities as (rows, cols, K); a (rows, cols) or flat input means binary P(1).

    Example
    -------
    >>> import numpy as np
    >>> grid_proba(np.array([0.2, 0.9]), 1, 2).tolist()
    [[[0.8, 0.2], [0.09999999999999998, 0.9]]]
    """
    p = np.asarray(proba, dtype=np.float64)
    cells = n_rows * n_cols
    if (p.ndim == 1 and p.size == cells) or (p.ndim == 2 and p.shape == (n_rows, n_cols)):
        p1 = p.reshape(n_rows, n_cols)
        return np.stack([1.0 - p1, p1], axis=-1)
    if p.ndim == 2 and p.shape[0] == cells:
        return p.reshape(n_rows, n_cols, p.shape[1])
    if p.ndim == 3 and p.shape[:2] == (n_rows, n_cols):
        return p
    raise ValueError(f"proba of shape {p.shape} does not fit a grid of {n_rows}x{n_cols}")


def _discrete_scale(colors: Sequence[str]) -> list[list[object]]:
    k = len(colors)
    scale: list[list[object]] = []
    for i, c in enumerate(colors):
        scale += [[i / k, c], [(i + 1) / k, c]]
    return scale


def decision_boundary(
    xx: np.ndarray,
    yy: np.ndarray,
    proba: np.ndarray,
    X: np.ndarray,
    y: np.ndarray,
    *,
    class_names: Sequence[str] | None = None,
    compact: bool = False,
    title: str | None = None,
) -> go.Figure:
    """Predicted class probability over a grid, with the data points drawn on top.

    Two classes: a filled contour of P(class 1) from orange (class 0) through white to blue
    (class 1), like TensorFlow Playground. More classes: the predicted class as a heatmap,
    veiled in white where the model is unsure (trace 1, "confidence").

    Parameters
    ----------
    xx, yy : array
        Grid coordinates: 1-D axes (W,) and (H,), or ``np.meshgrid`` arrays (H, W).
    proba : array
        (H, W) or (H*W,) probability of class 1; or (H, W, K) / (H*W, K) per class.
    X : (N, 2) array
        Data points.
    y : (N,) int array
        Their classes, 0..K-1.
    class_names : sequence of str, optional
        Legend names of the classes (default ``"class 0"``, ...).
    compact : bool
        For a small panel (~250 px): no colour bar, no legend, small markers and margins.
    title : str, optional

    Returns
    -------
    plotly.graph_objects.Figure
        Trace 0 the probability surface ("P(class 1)" or "predicted class"), then for K > 2
        a "confidence" veil, then one marker trace per class.

    Example
    -------
    >>> import numpy as np
    >>> xs = np.linspace(-1, 1, 5); xx, yy = np.meshgrid(xs, xs)
    >>> proba = 1 / (1 + np.exp(-4 * xx))
    >>> X = np.array([[-0.5, 0.0], [0.5, 0.2]]); y = np.array([0, 1])
    >>> [t.name for t in decision_boundary(xx, yy, proba, X, y).data]
    ['P(class 1)', 'class 0', 'class 1']
    """
    ax, ay = grid_axes(xx, yy)
    p = grid_proba(proba, ay.size, ax.size)
    X = np.asarray(X, dtype=np.float64).reshape(-1, 2)
    labels = np.asarray(y).astype(np.int64).ravel()
    k = max(p.shape[-1], int(labels.max()) + 1 if labels.size else 0)
    names = list(class_names) if class_names is not None else [f"class {i}" for i in range(k)]
    if len(names) < k:
        raise ValueError(f"class_names has {len(names)} names for {k} classes")
    colors = list(BINARY_COLORS) if k <= 2 else [PALETTE[i % len(PALETTE)] for i in range(k)]
    fig = go.Figure()
    if k <= 2:
        fig.add_trace(
            go.Contour(
                x=ax,
                y=ay,
                z=p[..., 1],
                name="P(class 1)",
                zmin=0,
                zmax=1,
                ncontours=20,
                opacity=0.75,
                colorscale=[[0, BINARY_COLORS[0]], [0.5, "#ffffff"], [1, BINARY_COLORS[1]]],
                line={"width": 0},
                showscale=not compact,
                colorbar={"title": {"text": f"P({names[1]})"}},
                hovertemplate="(%{x:.2f}, %{y:.2f})<br>P = %{z:.2f}<extra></extra>",
            )
        )
    else:
        fig.add_trace(
            go.Heatmap(
                x=ax,
                y=ay,
                z=p.argmax(axis=-1),
                name="predicted class",
                zmin=-0.5,
                zmax=k - 0.5,
                colorscale=_discrete_scale(colors),
                showscale=False,
                opacity=0.6,
                hoverinfo="skip",
            )
        )
        # Chance level (1/K) gets a thick white veil, certainty none.
        fig.add_trace(
            go.Heatmap(
                x=ax,
                y=ay,
                z=p.max(axis=-1),
                name="confidence",
                zmin=1.0 / k,
                zmax=1.0,
                colorscale=[[0, "rgba(255,255,255,0.85)"], [1, "rgba(255,255,255,0)"]],
                showscale=False,
                hovertemplate="(%{x:.2f}, %{y:.2f})<br>confidence %{z:.2f}<extra></extra>",
            )
        )
    for c in range(k):
        pts = X[labels == c]
        fig.add_trace(
            go.Scatter(
                x=pts[:, 0],
                y=pts[:, 1],
                mode="markers",
                name=str(names[c]),
                marker={
                    "color": colors[c],
                    "size": 5 if compact else 7,
                    "line": {"width": 0.5 if compact else 1, "color": "white"},
                },
                hovertemplate=f"{names[c]}<br>(%{{x:.2f}}, %{{y:.2f}})<extra></extra>",
            )
        )
    finish(fig, title=title, x_title="x₁", y_title="x₂")
    if ax.size and ay.size:
        fig.update_xaxes(range=[float(ax.min()), float(ax.max())], showgrid=False)
        fig.update_yaxes(range=[float(ay.min()), float(ay.max())], showgrid=False)
    fig.update_layout(legend={"orientation": "h", "y": 1.02, "yanchor": "bottom", "x": 0})
    if compact:
        fig.update_layout(
            showlegend=False,
            margin={"l": 36, "r": 8, "t": 36, "b": 30},
            title={"font": {"size": 13}},
        )
        fig.update_xaxes(title_standoff=2)
        fig.update_yaxes(title_standoff=2)
    return fig
