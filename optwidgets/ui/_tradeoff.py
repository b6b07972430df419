"""Trade-off panel: every stored run as a point, Pareto front drawn, click loads a run.

x is any measure viz offers (saved size by default, non-zero parameters, parameters,
latency at batch 1 and 256, training time, dense / sparse / packed sizes), y accuracy,
F1, precision or recall, or R² for regression runs (y follows the task of the latest run,
:meth:`TradeoffView.use_task`). Colours are the technique families of the runs grid; the
latest run is ringed; the feedback of a click appears on the panel's own line, next to
the plot. ``on_redraw`` hooks (a sweep's line) are drawn after every redraw.
"""

from __future__ import annotations

import html
import threading
from collections.abc import Callable
from typing import Any

import ipywidgets as W
import pandas as pd

from optwidgets import viz
from optwidgets.ui._figures import figure_widget, replace_figure
from optwidgets.ui._layout import SIZES, PlotSlot, flow

__all__ = ["TradeoffView", "X_OPTIONS", "Y_OPTIONS"]

X_OPTIONS = viz.X_CHOICES
Y_OPTIONS = viz.Y_CHOICES
_HINT = "Click a point to load its settings."


def _short_label(column: str) -> str:
    return (
        viz.axis_label(column).split(" (")[0]
        if column in viz.AXIS_UNITS
        else viz.axis_label(column)
    )


class TradeoffView:
    """A FigureWidget of ``viz.tradeoff`` with x / y dropdowns.

    ``on_select(run_id)`` is called when a point is clicked (each marker's
    ``customdata`` is its run id); it returns the text to show beside the plot.
    The figure is made by :meth:`make_figure` (a dashboard calls it in the background);
    until then the plot's place shows a placeholder and :meth:`refresh` only keeps the
    frame.
    """

    def __init__(
        self, on_select: Callable[[str], str | None], *, height: int = SIZES["tradeoff"]
    ) -> None:
        self.on_select = on_select
        style = {"description_width": "14px"}
        self.x = W.Dropdown(
            options=[(_short_label(c), c) for c in X_OPTIONS],
            value="size_bytes",
            description="x",
            style=style,
            layout=W.Layout(width="190px", flex="0 0 190px"),
            tooltip="what each run costs (lower is better)",
        )
        self.y = W.Dropdown(
            options=[(_short_label(c), c) for c in Y_OPTIONS],
            value="test_acc",
            description="y",
            style=style,
            layout=W.Layout(width="150px", flex="0 0 150px"),
            tooltip="how good each run is (higher is better)",
        )
        self.note = W.HTML(
            f'<span class="ow-note">{_HINT}</span>',
            layout=W.Layout(flex="1 1 160px", min_width="0"),
        )
        self.note.add_class("ow-note")
        self.slot = PlotSlot(height, "No finished runs yet: press Train", flex="1 1 auto")
        self.slot.widget.add_class("ow-tradeoff")
        self.frame = pd.DataFrame()
        self.latest: str | None = None
        self.on_redraw: list[Callable[[Any, pd.DataFrame], None]] = []
        self.redraws = 0
        self._lock = threading.RLock()
        self.x.observe(lambda _: self.redraw(), names="value")
        self.y.observe(lambda _: self.redraw(), names="value")
        bar = flow([self.x, self.y, self.note], gap="0", align="center")
        self.widget = W.VBox([bar, self.slot.widget], layout=W.Layout(width="100%", min_width="0"))

    @property
    def figure(self) -> Any:
        """The FigureWidget (None until :meth:`make_figure`)."""
        return self.slot.figure

    def make_figure(self) -> Any:
        """Make the FigureWidget and draw what :meth:`refresh` was given so far."""
        if self.slot.figure is None:
            self.slot.show(figure_widget(height=self.slot.height))
            self.redraw()
        return self.slot.figure

    def use_task(self, task: str) -> None:
        """Show the quality ``task`` is judged by (test accuracy, or test R² for a
        regression) unless y already shows one that task measures."""
        regression_y = self.y.value in ("test_r2",)
        if (task == "regression") != regression_y:
            self.y.value = viz.TASK_Y.get(task, "test_acc")

    def refresh(self, frame: pd.DataFrame, *, latest: str | None = None) -> None:
        """Redraw from a runs frame (``RunStore.to_frame()``); ``latest`` is ringed (the
        last latest is kept when None) and its task picks y (:meth:`use_task`)."""
        self.frame = frame
        if latest is not None:
            self.latest = latest
            if "task" in frame.columns and "run_id" in frame.columns:
                row = frame[frame["run_id"].astype(str) == str(latest)]
                if len(row) and isinstance(row["task"].iloc[0], str):
                    self.use_task(row["task"].iloc[0])
        n = len(frame)
        self.slot.placeholder(f"{n} stored runs: drawing …" if n else "No finished runs yet: "
                              "press Train")  # fmt: skip
        self.redraw()

    def redraw(self) -> None:
        with self._lock:  # the store watcher, a run's end and the dropdowns may all redraw
            self._redraw()

    def _redraw(self) -> None:
        fig_widget = self.slot.figure
        if fig_widget is None:
            return
        frame = self.frame
        fig = viz.tradeoff(frame, x=self.x.value, y=self.y.value, latest=self.latest,
                           empty_text=self._empty_text(frame))  # fmt: skip
        fig.update_layout(
            margin={"l": 56, "r": 10, "t": 10, "b": 40},
            legend={"orientation": "h", "y": 1.0, "yanchor": "bottom", "x": 0, "font": {"size": 11}},
            uirevision=f"{self.x.value}-{self.y.value}",
        )  # fmt: skip
        with fig_widget.batch_update():
            replace_figure(fig_widget, fig)
            for hook in self.on_redraw:
                hook(fig_widget, frame)
        for trace in fig_widget.data:
            if trace.name != viz.TRACE_PARETO and trace.customdata is not None:
                trace.on_click(self._clicked)
        self.redraws += 1

    def _empty_text(self, frame: pd.DataFrame) -> str:
        if not len(frame):
            return "No finished runs yet:<br>press Train"
        col = self.x.value
        if col not in frame.columns or frame[col].isna().all():
            return f"No run has {_short_label(col).lower()} measured:<br>pick another x"
        return "No finished run to draw yet"

    def _clicked(self, trace: Any, points: Any, state: Any) -> None:
        if not points.point_inds or trace.customdata is None:
            return
        run_id = str(trace.customdata[points.point_inds[0]])
        text = self.on_select(run_id)
        if text:
            self.note.value = text

    def reset_note(self) -> None:
        self.note.value = f'<span class="ow-note">{html.escape(_HINT)}</span>'
