"""Decision boundary of the live model on a 2-D toy dataset, redrawn each epoch (throttled).

The grid of class probabilities is computed engine-side by
``optwidgets.runs.analysis.decision_grid(model, data, resolution=...)``; this view only draws
it with ``viz.decision_boundary``. The data points are sent once per run; each later
redraw sends only the probability surface (``resolution``² float32 values).
"""

from __future__ import annotations

import importlib.util
import time
from typing import Any

import ipywidgets as W
import numpy as np

from optwidgets import viz
from optwidgets.config import RunConfig
from optwidgets.train.callbacks import Callback, RunState
from optwidgets.ui._figures import LazyFigure, replace_figure

__all__ = ["BoundaryView", "analysis_available"]

_SURFACES = ("contour", "heatmap")


def analysis_available() -> bool:
    """Whether ``optwidgets.runs.analysis`` (the engine's ``decision_grid``) is installed."""
    return importlib.util.find_spec("optwidgets.runs.analysis") is not None


def _numpy(a: Any) -> np.ndarray:
    if hasattr(a, "detach"):
        a = a.detach().cpu().numpy()
    return np.asarray(a)


class BoundaryView(Callback):
    """A Callback that draws the model's decision regions for toy 2-D datasets.

    Call :meth:`prepare` with the run's config (on the worker thread) before the run:
    for other datasets the view hides itself and does nothing.
    """

    def __init__(
        self, *, resolution: int = 60, min_interval: float = 0.5, height: int = 340
    ) -> None:
        self.resolution = resolution
        self.min_interval = min_interval
        self._figure = LazyFigure(height=height)
        self.note = W.HTML("")
        self.widget = W.VBox([self.note, self._figure.widget], layout=W.Layout(display="none"))
        self.redraws = 0
        self.last_error: str | None = None
        self._data: Any = None
        self._fresh = True
        self._next = 0.0

    @property
    def figure(self):
        """The FigureWidget (made on first use: only toy datasets need it)."""
        return self._figure.get()

    def prepare(self, cfg: RunConfig) -> bool:
        """Load the run's data (same seed and preprocessing as the run) if it is a toy
        2-D set; returns whether the boundary will be drawn."""
        from optwidgets.data import TOY_DATASETS

        self._data = None
        if cfg.dataset not in TOY_DATASETS:
            self.widget.layout.display = "none"
            return False
        self.widget.layout.display = None
        if not analysis_available():
            self.note.value = (
                '<span style="color:#8a6d00">The decision boundary needs '
                "<code>optwidgets.runs.analysis.decision_grid</code>, not installed "
                "in this version.</span>"
            )
            return False
        from optwidgets.runs import prepare_data

        self._data = prepare_data(cfg)
        self._figure.get()  # made now, not on the training clock (it sends plotly's bundle)
        self._fresh, self._next, self.redraws, self.last_error = True, 0.0, 0, None
        self.note.value = ""
        return True

    def on_epoch_end(self, run: RunState, logs: dict[str, float]) -> None:
        if self._data is None or run.model is None:
            return
        if time.perf_counter() >= self._next or run.epoch == run.epochs:
            self.draw(run.model)

    def on_run_end(self, run: RunState, result: Any) -> None:
        model = getattr(result, "model", None) or run.model
        if self._data is not None and model is not None and result.status != "failed":
            self.draw(model)

    def draw(self, model: Any) -> None:
        """Compute the grid for ``model`` and redraw (surface only after the first time)."""
        t0 = time.perf_counter()
        try:
            from optwidgets.runs.analysis import decision_grid

            data = self._data
            xx, yy, proba = decision_grid(model, data, resolution=self.resolution)
            fig = viz.decision_boundary(
                _numpy(xx),
                _numpy(yy),
                _numpy(proba),
                _numpy(data.X_train),
                _numpy(data.y_train),
                class_names=list(data.class_names) or None,
                title=f"Decision boundary ({self.resolution}×{self.resolution} grid)",
            )
            if self._fresh:
                replace_figure(self.figure, fig)
                self._fresh = False
            else:
                with self.figure.batch_update():
                    for mine, new in zip(self.figure.data, fig.data):
                        if new.type in _SURFACES:
                            mine.z = np.asarray(new.z, dtype=np.float32)
        except Exception as exc:  # drawing must not end the run
            self.last_error = f"{type(exc).__name__}: {exc}"
            self.note.value = (
                f'<span style="color:#c62828">decision boundary: {self.last_error}</span>'
            )
        self.redraws += 1
        t1 = time.perf_counter()
        self._next = t0 + max(self.min_interval, 20 * (t1 - t0))
