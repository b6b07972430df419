"""Decision boundary of the live model on a 2-D toy dataset, redrawn each epoch (throttled);
on a 2-D toy regression set (``ripple``) the model's predicted surface instead
(``optwidgets.runs.analysis.prediction_grid``, drawn by ``viz.prediction_surface``).

The grid of class probabilities is computed engine-side by
``optwidgets.runs.analysis.decision_grid(model, data, resolution=...)``; this view only draws
it with ``viz.decision_boundary`` (compact: it sits beside the live curves). The data
points are sent once per run; each later redraw sends only the probability surface
(``resolution``² float32 values). The figure and the data are made before the run
(:meth:`BoundaryView.make_figure` from a dashboard's background thread,
:meth:`BoundaryView.preload` for the data), not on the training clock.
"""

from __future__ import annotations

import time
from typing import Any

import ipywidgets as W
import numpy as np
import plotly.graph_objects as go

from optwidgets import viz
from optwidgets.config import RunConfig
from optwidgets.data import REGRESSION_TOYS, TOY_DATASETS
from optwidgets.data.regression import REGRESSION_FEATURES
from optwidgets.runs import prepare_data
from optwidgets.runs.analysis import decision_grid, prediction_grid
from optwidgets.train.callbacks import Callback, RunState
from optwidgets.ui._figures import figure_widget, replace_figure
from optwidgets.ui._layout import SIZES, PlotSlot

__all__ = ["BoundaryView"]

_SURFACES = ("contour", "heatmap")


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
        self,
        *,
        resolution: int = 60,
        min_interval: float = 0.5,
        height: int = SIZES["boundary"],
        flex: str = f"0 0 {SIZES['boundary'] + 16}px",
    ) -> None:
        self.resolution = resolution
        self.min_interval = min_interval
        self.slot = PlotSlot(height, "The decision boundary of a 2-D toy set is drawn here",
                             flex=flex)  # fmt: skip
        self.note = W.HTML("", layout=W.Layout(display="none"))
        self.widget = W.VBox(
            [self.note, self.slot.widget],
            layout=W.Layout(display="none", flex=flex, min_width="0", overflow="hidden"),
        )
        self.slot.widget.layout.flex = "1 1 auto"
        self.slot.widget.add_class("ow-boundary")
        self.redraws = 0
        self.last_error: str | None = None
        self._data: Any = None
        self._data_key: Any = None
        self._fresh = True
        self._next = 0.0

    @property
    def figure(self):
        """The FigureWidget (made by :meth:`make_figure`, or now)."""
        if self.slot.figure is None:
            self.make_figure()
        return self.slot.figure

    def make_figure(self) -> Any:
        """Make the FigureWidget before the run (the first one in a process imports
        plotly's widget module); it says what it will show until the first drawing."""
        if self.slot.figure is None:
            empty = go.Figure(layout={"template": viz.TEMPLATE})
            text = "Press Train:<br>the model's decision<br>regions appear here"
            self.slot.show(figure_widget(viz.placeholder(empty, text), height=self.slot.height))
        return self.slot.figure

    @staticmethod
    def applies(dataset: str) -> bool:
        """Whether the view draws for ``dataset``: a toy 2-D classification set (decision
        regions) or a toy 2-D regression set (predicted surface).

        Example
        -------
        >>> [BoundaryView.applies(n) for n in ("moons", "ripple", "sine", "digits")]
        [True, True, False, False]
        """
        return dataset in TOY_DATASETS or (
            dataset in REGRESSION_TOYS and len(REGRESSION_FEATURES[dataset]) == 2)

    def preload(self, cfg: RunConfig) -> None:
        """Load the data a run of ``cfg`` will see (toy sets only), ahead of Train."""
        if self.applies(cfg.dataset):
            self._load(cfg)

    def _load(self, cfg: RunConfig) -> Any:
        key = (cfg.dataset, cfg.n_samples, cfg.noise, cfg.seed, cfg.preprocess,
               cfg.val_fraction, cfg.test_fraction)  # fmt: skip
        if self._data_key != key:
            self._data, self._data_key = prepare_data(cfg), key
        return self._data

    def prepare(self, cfg: RunConfig) -> bool:
        """Load the run's data (same seed and preprocessing as the run) if it is a toy
        2-D set; returns whether the boundary will be drawn."""
        if not self.applies(cfg.dataset):
            self.widget.layout.display = "none"
            self._active = False
            return False
        self.widget.layout.display = None
        self._load(cfg)
        self.make_figure()
        self._active = True
        self._fresh, self._next, self.redraws, self.last_error = True, 0.0, 0, None
        self.note.value = ""
        self.note.layout.display = "none"
        return True

    _active = False

    first_delay = 0.35  # s: the loss curve's first points go to the browser before the map

    def on_run_start(self, run: RunState) -> None:
        # the first map (a contour of the whole grid and every data point) is the heaviest
        # message of a run: sent after the live curves' first redraw, not before it
        self._next = time.perf_counter() + self.first_delay

    def on_epoch_end(self, run: RunState, logs: dict[str, float]) -> None:
        if not self._active or self._data is None or run.model is None:
            return
        if time.perf_counter() >= self._next or run.epoch == run.epochs:
            self.draw(run.model)

    def on_run_end(self, run: RunState, result: Any) -> None:
        model = getattr(result, "model", None) or run.model
        ready = self._active and self._data is not None and model is not None
        if ready and result.status != "failed":
            self.draw(model)

    def draw(self, model: Any) -> None:
        """Compute the grid for ``model`` and redraw (surface only after the first time)."""
        t0 = time.perf_counter()
        try:
            data = self._data
            if data.task == "regression":  # the predicted surface, in target units
                xx, yy, z = prediction_grid(model, data, resolution=self.resolution)
                mean, std = data.target_scale
                fig = viz.prediction_surface(
                    xx, yy, z, _numpy(data.X_train), _numpy(data.y_train) * std + mean,
                    target_name=data.class_names[0], compact=True, title="Predicted surface")
            else:
                xx, yy, proba = decision_grid(model, data, resolution=self.resolution)
                fig = viz.decision_boundary(
                    _numpy(xx),
                    _numpy(yy),
                    _numpy(proba),
                    _numpy(data.X_train),
                    _numpy(data.y_train),
                    class_names=list(data.class_names) or None,
                    compact=True,
                    title="Decision boundary",
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
            self.note.layout.display = None
        self.redraws += 1
        t1 = time.perf_counter()
        self._next = t0 + max(self.min_interval, 20 * (t1 - t0))
