"""Trade-off panel: every stored run as a point, Pareto front drawn, click loads a run."""

from __future__ import annotations

from collections.abc import Callable

import ipywidgets as W
import pandas as pd

from optwidgets import viz
from optwidgets.ui._figures import figure_widget, replace_figure

__all__ = ["TradeoffView", "X_OPTIONS", "Y_OPTIONS"]

X_OPTIONS = ("size_bytes", "latency_ms", "params", "train_seconds")
Y_OPTIONS = ("test_acc", "f1")


class TradeoffView:
    """A FigureWidget of ``viz.tradeoff`` with x / y dropdowns.

    ``on_select(run_id)`` is called when a point is clicked (each marker's
    ``customdata`` is its run id).
    """

    def __init__(self, on_select: Callable[[str], None], *, height: int = 380) -> None:
        self.on_select = on_select
        style = {"description_width": "60px"}
        self.x = W.Dropdown(
            options=[(viz.axis_label(c), c) for c in X_OPTIONS],
            value="size_bytes",
            description="x",
            style=style,
        )
        self.y = W.Dropdown(
            options=[(viz.axis_label(c), c) for c in Y_OPTIONS],
            value="test_acc",
            description="y",
            style=style,
        )
        self.figure = figure_widget(height=height)
        self.note = W.HTML('<span style="color:#555">Click a point to load its settings.</span>')
        self.frame = pd.DataFrame()
        self.x.observe(lambda _: self.refresh(self.frame), names="value")
        self.y.observe(lambda _: self.refresh(self.frame), names="value")
        self.widget = W.VBox([W.HBox([self.x, self.y, self.note]), self.figure])

    def refresh(self, frame: pd.DataFrame) -> None:
        """Redraw from a runs frame (``RunStore.to_frame()``)."""
        self.frame = frame
        fig = viz.tradeoff(
            frame,
            x=self.x.value,
            y=self.y.value,
            title=f"{len(frame)} runs" if len(frame) else "No runs yet",
        )
        replace_figure(self.figure, fig)
        for trace in self.figure.data:
            if trace.name != viz.TRACE_PARETO:
                trace.on_click(self._clicked)

    def _clicked(self, trace, points, state) -> None:
        if not points.point_inds or trace.customdata is None:
            return
        self.on_select(str(trace.customdata[points.point_inds[0]]))
