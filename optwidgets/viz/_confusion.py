"""Confusion matrix heatmap with counts or row percentages written in the cells."""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

import numpy as np
import plotly.graph_objects as go

from optwidgets.viz.style import finish

__all__ = ["ConfusionData", "confusion_data", "confusion_matrix"]


class ConfusionData(NamedTuple):
    """What the heatmap shows: colour values, cell text and class names."""

    z: np.ndarray  # counts, or row fractions in [0, 1] when normalized
    text: np.ndarray  # str per cell: "12" or "12.5%"
    class_names: list[str]


def confusion_data(
    matrix: Sequence[Sequence[float]] | np.ndarray,
    class_names: Sequence[str] | None = None,
    *,
    normalize: bool = False,
) -> ConfusionData:
    """Cell values and labels for a confusion matrix (rows = true class, columns = predicted).

    With ``normalize`` each row is divided by its total (recall per class); an empty row
    stays at 0 rather than NaN.

    Example
    -------
    >>> d = confusion_data([[3, 1], [0, 0]], ["cat", "dog"], normalize=True)
    >>> d.z.tolist(), d.text.tolist()
    ([[0.75, 0.25], [0.0, 0.0]], [['75.0%', '25.0%'], ['0.0%', '0.0%']])
    """
    m = np.asarray(matrix, dtype=np.float64)
    if m.size == 0:
        m = m.reshape(0, 0)
    if m.ndim != 2 or m.shape[0] != m.shape[1]:
        raise ValueError(f"matrix must be square (classes x classes), got shape {m.shape}")
    k = m.shape[0]
    names = [str(c) for c in class_names] if class_names is not None else [str(i) for i in range(k)]
    if len(names) != k:
        raise ValueError(f"class_names has {len(names)} names for a {k}x{k} matrix")
    if normalize:
        totals = m.sum(axis=1, keepdims=True)
        z = np.divide(m, totals, out=np.zeros_like(m), where=totals > 0)
        text = np.array([[f"{100 * v:.1f}%" for v in row] for row in z], dtype=object)
    else:
        z = m
        text = np.array([[f"{v:.0f}" for v in row] for row in m], dtype=object)
    return ConfusionData(z, text.reshape(k, k), names)


def confusion_matrix(
    matrix: Sequence[Sequence[float]] | np.ndarray,
    class_names: Sequence[str] | None = None,
    *,
    normalize: bool = False,
    title: str | None = None,
) -> go.Figure:
    """Heatmap of a confusion matrix: true class down, predicted class across, cells annotated.

    Parameters
    ----------
    matrix : (K, K) array-like
        ``matrix[i, j]`` = test examples of class i predicted as class j.
    class_names : sequence of K str, optional
        Defaults to ``"0" .. "K-1"``.
    normalize : bool
        Show each row as percentages of its class (the diagonal is per-class recall).
    title : str, optional

    Returns
    -------
    plotly.graph_objects.Figure
        One Heatmap trace; counts on hover in both modes.

    Example
    -------
    >>> fig = confusion_matrix([[5, 1], [2, 7]], ["cat", "dog"], normalize=True)
    >>> fig.data[0].type, fig.layout.xaxis.title.text
    ('heatmap', 'Predicted class')
    """
    data = confusion_data(matrix, class_names, normalize=normalize)
    counts = np.asarray(matrix, dtype=np.float64).reshape(data.z.shape)
    fig = go.Figure(
        go.Heatmap(
            z=data.z,
            x=data.class_names,
            y=data.class_names,
            text=data.text,
            texttemplate="%{text}",
            customdata=counts,
            colorscale="Blues",
            zmin=0,
            zmax=1 if normalize else None,
            colorbar={"title": {"text": "share of row" if normalize else "count"}},
            hovertemplate="true %{y}<br>predicted %{x}<br>count %{customdata:.0f}"
            "<br>%{text}<extra></extra>",
        )
    )
    finish(fig, title=title, x_title="Predicted class", y_title="True class")
    fig.update_xaxes(type="category", side="bottom")
    fig.update_yaxes(type="category", autorange="reversed")
    return fig
