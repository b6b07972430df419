"""Live augmentation preview: originals above augmented samples, redrawn when a knob moves.

Thin by design: the arrays come from :func:`optwidgets.runs.preview.augmentation_preview`
(engine) and are put on one intensity scale by :func:`optwidgets.viz.to_rgb_uint8`, the
scaling :func:`optwidgets.viz.augmentation_grid` uses; this module tiles them into one
PNG shown in an ``ipywidgets.Image``. A PNG of a few kilobytes per redraw, rather than
a FigureWidget, keeps the Explorer light (a FigureWidget brings plotly's ~5 MB bundle)
and the redraw instant.

Example
-------
>>> import tempfile
>>> import optwidgets as ow
>>> ex = ow.Explorer(ow.RunConfig(dataset="digits"), store=tempfile.mkdtemp())
>>> ex.controls["augment.rotate"].value = 30
>>> ex.augment_preview.refreshes >= 1, ex.config.augment
(True, {'rotate': 30.0})
"""

from __future__ import annotations

import contextlib
import html
import struct
import zlib
from typing import Any

import ipywidgets as W
import numpy as np

from optwidgets.core.errors import ConfigError, DataError
from optwidgets.runs.preview import augmentation_preview
from optwidgets.ui._form import error_html, note_html
from optwidgets.viz import to_rgb_uint8

__all__ = ["AugmentPreview", "WATCHED", "png_bytes", "tile_grid", "preview_panel"]

# Controls whose change alters the preview (besides every "augment.*" control).
WATCHED = ("dataset", "seed", "preprocess", "classes", "labels_per_class", "train_fraction",
           "n_samples", "noise")
TILE_PX = 64  # an image is enlarged (nearest neighbour) to about this many pixels a side
GAP_PX = 2  # white gap between tiles


def png_bytes(rgb: np.ndarray) -> bytes:
    """An ``(H, W, 3)`` uint8 image as PNG bytes (no imaging library needed).

    Example
    -------
    >>> import numpy as np
    >>> png_bytes(np.zeros((2, 3, 3), dtype=np.uint8))[:8]
    b'\\x89PNG\\r\\n\\x1a\\n'
    """
    a = np.ascontiguousarray(rgb, dtype=np.uint8)
    h, w, _ = a.shape
    raw = b"".join(b"\x00" + a[row].tobytes() for row in range(h))  # filter 0 per row

    def chunk(tag: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + tag + data
                + struct.pack(">I", zlib.crc32(tag + data) & 0xFFFFFFFF))

    header = struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0)  # 8-bit RGB
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header)
            + chunk(b"IDAT", zlib.compress(raw, 6)) + chunk(b"IEND", b""))


def tile_grid(originals: np.ndarray, augmented: np.ndarray, n: int) -> np.ndarray:
    """Originals in the top row, augmented below, as one ``(H, W, 3)`` uint8 image.

    Example
    -------
    >>> import numpy as np
    >>> x = np.random.default_rng(0).random((4, 1, 8, 8)).astype(np.float32)
    >>> tile_grid(x, x, n=4).shape
    (130, 262, 3)
    """
    o, a = to_rgb_uint8(originals, augmented)
    cols = int(min(n, len(o), len(a)))
    h, w = o.shape[1:3]
    k = max(1, TILE_PX // max(h, w))
    th, tw = h * k, w * k
    out = np.full((2 * th + GAP_PX, cols * tw + (cols - 1) * GAP_PX, 3), 255, np.uint8)
    for row, batch in enumerate((o, a)):
        for c in range(cols):
            tile = batch[c].repeat(k, axis=0).repeat(k, axis=1)
            y, x = row * (th + GAP_PX), c * (tw + GAP_PX)
            out[y:y + th, x:x + tw] = tile
    return out


class AugmentPreview:
    """The preview grid of an Explorer (see module doc).

    Attributes (for code and tests): ``image`` (``ipywidgets.Image``, PNG), ``new_draw``
    (Button: another random draw), ``message`` (HTML), ``originals`` / ``augmented``
    (the arrays drawn last), ``refreshes`` (how many times it was redrawn), ``widget``.

    ``lazy=True`` draws nothing now (loading the data and the augmentation code takes a
    second or so): the dashboard calls :meth:`refresh` from its background thread.
    """

    def __init__(self, explorer: Any, *, n: int = 8, lazy: bool = False) -> None:
        self.explorer = explorer
        self.n = n
        self.draw = 0
        self.refreshes = 0
        self.originals: np.ndarray | None = None
        self.augmented: np.ndarray | None = None
        self.image = W.Image(format="png", layout=W.Layout(max_width="100%", height="auto"))
        self.message = W.HTML("", layout=W.Layout(width="auto", min_width="0"))
        self.new_draw = W.Button(description="New draw", icon="refresh",
                                 tooltip="the same augmentation, other random numbers")
        self.new_draw.on_click(lambda _: self.redraw())
        for name, w in explorer.controls.items():
            if name.startswith("augment.") or name in WATCHED:
                # Registered after the form's own observer: the config is already updated.
                w.observe(lambda _change: self.refresh(), names="value")
        self.widget = W.VBox([
            W.HTML("<b>Preview</b><div class='ow-help'>Training samples of the current dataset "
                   "(top) and the same samples as a training batch may see them (bottom)."
                   "</div>"),
            self.new_draw, self.image, self.message], layout=W.Layout(width="100%"))
        if not lazy:
            self.refresh()
        else:
            self.message.value = "preview: drawn in a moment …"

    def redraw(self) -> None:
        """Another random draw of the same augmentation."""
        self.draw += 1
        self.refresh()

    def refresh(self) -> None:
        """Recompute the samples from ``explorer.config`` and redraw the grid."""
        cfg = self.explorer.config
        progress = getattr(self.explorer, "progress", None)  # a first load downloads: shown
        shown = progress.downloads() if progress is not None else contextlib.nullcontext()
        try:
            with shown:
                originals, augmented = augmentation_preview(cfg, n=self.n, draw=self.draw)
        except (ConfigError, DataError) as exc:
            self.message.value = error_html(f"no preview: {exc}")
            return
        self.refreshes += 1
        self.originals, self.augmented = originals, augmented
        if originals.ndim != 4:
            self.image.layout.display = "none"
            self.message.value = note_html(
                f"{cfg.dataset!r} has feature vectors, not images: only 'noise' applies "
                "(rotate, translate, flip and cutout need images)")
            return
        self.image.layout.display = None
        self.image.value = png_bytes(tile_grid(originals, augmented, self.n))
        active = ", ".join(f"{k}={v:g}" if not isinstance(v, bool) else k
                           for k, v in cfg.augment.items()) or "none"
        self.message.value = html.escape(f"augmentation: {active} · draw {self.draw}")


def preview_panel(explorer: Any) -> W.Widget:
    """``Tab.extra`` of the Augmentation tab: builds the preview, keeps it on the Explorer."""
    preview = AugmentPreview(explorer, lazy=hasattr(explorer, "ready"))
    explorer.augment_preview = preview
    return preview.widget
