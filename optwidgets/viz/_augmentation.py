"""Originals above their augmented versions, as an image grid."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from optwidgets.viz.style import finish

__all__ = ["to_rgb_uint8", "augmentation_grid"]


def _as_nhwc(images: np.ndarray, name: str) -> np.ndarray:
    a = np.asarray(images)
    if a.ndim == 3:  # (N, H, W) grey
        a = a[..., None]
    elif a.ndim == 4 and a.shape[1] in (1, 3):  # (N, C, H, W)
        a = np.moveaxis(a, 1, -1)
    else:
        raise ValueError(f"{name} must be (N, H, W) or (N, C, H, W) with C = 1 or 3, got {a.shape}")
    return np.repeat(a, 3, axis=-1) if a.shape[-1] == 1 else a


def to_rgb_uint8(originals: np.ndarray, augmented: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Both image batches as (N, H, W, 3) uint8, on one shared intensity scale.

    uint8 input is kept (and sets a 0..255 scale for the other batch); floats in [0, 1] are multiplied by 255; anything else (normalized
    tensors) is min-max scaled over *both* batches together, so an augmentation that
    changes brightness or adds noise stays visible. NaN becomes 0.

    Example
    -------
    >>> import numpy as np
    >>> o, a = to_rgb_uint8(np.array([[[0.0, 1.0]]]), np.array([[[0.5, 0.25]]]))
    >>> o.shape, o[0, 0, :, 0].tolist(), a[0, 0, :, 0].tolist()
    ((1, 1, 2, 3), [0, 255], [128, 64])
    """
    o, a = _as_nhwc(originals, "originals"), _as_nhwc(augmented, "augmented")
    if o.dtype == np.uint8 and a.dtype == np.uint8:
        return o, a
    of, af = o.astype(np.float64), a.astype(np.float64)
    both = np.concatenate([of.ravel(), af.ravel()])
    both = both[np.isfinite(both)]
    lo, hi = (float(both.min()), float(both.max())) if both.size else (0.0, 1.0)
    if lo >= 0.0 and hi <= 1.0:
        lo, hi = 0.0, 1.0
    elif (o.dtype == np.uint8 or a.dtype == np.uint8) and lo >= 0.0 and hi <= 255.0:
        lo, hi = 0.0, 255.0
    scale = 255.0 / (hi - lo) if hi > lo else 0.0

    def convert(x: np.ndarray) -> np.ndarray:
        y = np.nan_to_num((x - lo) * scale, nan=0.0, posinf=255.0, neginf=0.0)
        return np.clip(np.round(y), 0, 255).astype(np.uint8)

    return convert(of), convert(af)


def augmentation_grid(
    originals: np.ndarray,
    augmented: np.ndarray,
    *,
    n: int = 8,
    title: str | None = None,
) -> go.Figure:
    """The first ``n`` originals in the top row, their augmented versions below.

    Parameters
    ----------
    originals, augmented : array
        (N, H, W) grey or (N, C, H, W) with C = 1 or 3; same image size. CPU tensors work
        too (anything ``np.asarray`` accepts).
    n : int
        Columns shown (at most the number of images given).
    title : str, optional

    Returns
    -------
    plotly.graph_objects.Figure
        ``2 * n`` Image traces, row by row (originals first); an empty figure when there
        are no images.

    Example
    -------
    >>> import numpy as np
    >>> x = np.random.default_rng(0).random((4, 8, 8))
    >>> fig = augmentation_grid(x, 1 - x, n=3)
    >>> len(fig.data), fig.data[0].type
    (6, 'image')
    """
    o, a = to_rgb_uint8(originals, augmented)
    cols = int(min(n, len(o), len(a)))
    if cols <= 0:
        return finish(go.Figure(), title=title)
    fig = make_subplots(rows=2, cols=cols, horizontal_spacing=0.01, vertical_spacing=0.04)
    for row, batch, label in ((1, o, "original"), (2, a, "augmented")):
        for col in range(cols):
            fig.add_trace(
                go.Image(z=batch[col], name=f"{label} {col}", hoverinfo="skip"),
                row=row,
                col=col + 1,
            )
        fig.update_yaxes(title_text=label, row=row, col=1)
    finish(fig, title=title)
    fig.update_xaxes(showticklabels=False, showgrid=False, zeroline=False)
    fig.update_yaxes(showticklabels=False, showgrid=False, zeroline=False)
    fig.update_layout(height=2 * max(90, 700 // cols) + 80, margin={"l": 70, "r": 10})
    return fig
