"""Gradients: the per-layer gradient norm (or update ratio) of the live run, as a heatmap.

The numbers are the engine's (:mod:`optwidgets.train.gradients`, every
``RunConfig.grad_every`` steps); this view only draws them with
``viz.gradient_heatmap`` (layers x steps, log colour). During a run it reads the run's
records at epoch ends, throttled as :class:`~optwidgets.ui._live.LiveCurves` is (at least
``min_interval`` seconds apart, and never more than ``max_share`` of the training
thread's time); at the run's end it draws ``result.gradients``.

The panel starts folded: its button (put it on the action bar) shows it under the live
curves, so the one-screen layout is unchanged until it is asked for. While folded the
records are kept and nothing is sent to the browser; unfolding draws them.

Example
-------
>>> import optwidgets as ow
>>> from optwidgets.ui._gradients import GradientView
>>> view = GradientView()
>>> res = ow.run(dataset="xor", model="mlp", hidden=(8, 8), epochs=2, grad_every=2,
...              callbacks=[view], store=False)
>>> view.layers()
['1 (Linear)', '3 (Linear)', '5 (Linear)']
"""

from __future__ import annotations

import time
from typing import Any, cast

import ipywidgets as W
import pandas as pd
import plotly.graph_objects as go

from optwidgets import viz
from optwidgets.train.callbacks import Callback, RunState
from optwidgets.train.gradients import empty_gradients, live_recorder
from optwidgets.ui._figures import figure_widget, replace_figure
from optwidgets.ui._layout import SIZES, PlotSlot

__all__ = ["GradientView"]

_MEASURES = (("gradient norm", "grad_norm"), ("update / weight", "update_ratio"))
_EMPTY_TEXT = "Press Train: each layer's gradient norm<br>appears here, every few steps"


class GradientView(Callback):
    """A Callback that draws the live run's per-layer gradient health.

    Attributes
    ----------
    widget : the panel (hidden until :attr:`toggle` is pressed); ``toggle`` : its button;
    ``measure`` : ToggleButtons, gradient norm or update ratio; ``frame`` : the records
    drawn last (``res.gradients``' columns); ``redraws``; ``last_error``.
    """

    first_delay = 0.35  # s: the loss curve's first points go to the browser first

    def __init__(self, *, min_interval: float = 0.5, max_share: float = 0.05,
                 max_steps: int = 120, height: int = cast(int, SIZES["loss"])) -> None:
        self.min_interval = float(min_interval)
        self.max_share = float(max_share)
        self.max_steps = int(max_steps)  # columns sent at most (a long run is strided)
        self.slot = PlotSlot(height, _EMPTY_TEXT, flex="1 1 auto")
        self.slot.widget.add_class("ow-gradients")
        self.measure = W.ToggleButtons(
            options=_MEASURES, value="grad_norm",
            tooltips=["L2 norm of each layer's gradient (before clipping)",
                      "‖Δw‖ / ‖w‖: how much one optimizer step changes the layer"],
            style={"button_width": "120px"}, layout=W.Layout(width="auto"))  # fmt: skip
        self.note = W.HTML("", layout=W.Layout(min_width="0"))
        self.note.add_class("ow-note")
        self.widget = W.VBox([W.HBox([self.measure, self.note],
                                     layout=W.Layout(align_items="center", grid_gap="8px")),
                              self.slot.widget],
                             layout=W.Layout(display="none", width="100%", min_width="0"))
        self.toggle = W.ToggleButton(value=False, description="Gradients", icon="bar-chart",
                                     tooltip="per-layer gradient norms of the run, under the "
                                             "curves", layout=W.Layout(width="auto",
                                                                       flex="0 0 auto"))
        self.toggle.observe(lambda ch: self.show(ch["new"]), names="value")
        self.measure.observe(lambda _: self.draw(), names="value")
        self.frame: pd.DataFrame = empty_gradients()
        self.redraws = 0
        self.last_error: str | None = None
        self._run_id = ""
        self._next = 0.0

    # -- showing ---------------------------------------------------------------------
    @property
    def visible(self) -> bool:
        return self.widget.layout.display != "none"

    def show(self, on: bool = True) -> None:
        """Unfold (draw what was recorded) or fold the panel."""
        self.widget.layout.display = None if on else "none"
        if self.toggle.value != on:
            self.toggle.value = on
        if on:
            self.draw()

    @property
    def figure(self) -> go.FigureWidget:
        """The FigureWidget (made on first use)."""
        if self.slot.figure is None:
            empty = viz.placeholder(go.Figure(layout={"template": viz.TEMPLATE}),
                                    _EMPTY_TEXT)
            self.slot.show(figure_widget(empty, height=self.slot.height))
        return self.slot.figure

    def layers(self) -> list[str]:
        """The layers in the records, in the model's order."""
        return list(dict.fromkeys(self.frame["layer"].tolist()))

    # -- hooks (training thread) -----------------------------------------------------
    def on_run_start(self, run: RunState) -> None:
        self._run_id = run.run_id
        self.frame, self.redraws, self.last_error = empty_gradients(), 0, None
        self._next = time.perf_counter() + self.first_delay
        every = getattr(run.config, "grad_every", 0)
        self.note.value = (f"every {every} steps" if every else
                           "recording is off (grad_every = 0)")

    def on_epoch_end(self, run: RunState, logs: dict[str, float]) -> None:
        if time.perf_counter() < self._next:
            return
        recorder = live_recorder(run.run_id)
        if recorder is not None:
            self.update(recorder.frame())

    def on_run_end(self, run: RunState, result: Any) -> None:
        frame = getattr(result, "gradients", None)
        if isinstance(frame, pd.DataFrame):
            self.update(frame)

    # -- drawing ---------------------------------------------------------------------
    def update(self, frame: pd.DataFrame) -> None:
        """Keep ``frame`` (the run's records so far) and redraw if the panel is shown."""
        self.frame = frame
        t0 = time.perf_counter()
        if self.visible:
            self.draw()
        self._next = t0 + max(self.min_interval, (time.perf_counter() - t0) / self.max_share)

    def _strided(self) -> pd.DataFrame:
        steps = self.frame["step"].unique()
        if len(steps) <= self.max_steps:
            return self.frame
        keep = steps[:: -(-len(steps) // self.max_steps)]  # every k-th recorded step
        return self.frame[self.frame["step"].isin(keep)]

    def draw(self) -> None:
        """Redraw the figure from :attr:`frame` (nothing to draw: the placeholder stays)."""
        if not self.visible or self.frame.empty:
            return
        try:
            fig = viz.gradient_heatmap(self._strided(), value=self.measure.value)
            fig.update_layout(margin={"l": 110, "r": 20, "t": 26, "b": 36})
            replace_figure(self.figure, fig)
            self.redraws += 1
        except Exception as exc:  # drawing must not end the run
            self.last_error = f"{type(exc).__name__}: {exc}"
            self.note.value = f'<span style="color:#c62828">gradients: {self.last_error}</span>'
