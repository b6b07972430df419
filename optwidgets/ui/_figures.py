"""FigureWidget helpers: make a widget once, refill it from a pure ``viz`` figure."""

from __future__ import annotations

import ipywidgets as W
import pandas as pd
import plotly.graph_objects as go

from optwidgets import viz
from optwidgets.runs import HISTORY_COLUMNS

__all__ = ["figure_widget", "replace_figure", "loss_figure", "LazyFigure"]


def figure_widget(fig: go.Figure | None = None, *, height: int = 340) -> go.FigureWidget:
    """A ``go.FigureWidget`` holding ``fig`` (or empty), ``height`` pixels tall."""
    w = go.FigureWidget(fig if fig is not None else go.Figure(layout={"template": viz.TEMPLATE}))
    w.layout.height = height
    return w


def replace_figure(widget: go.FigureWidget, fig: go.Figure) -> go.FigureWidget:
    """Swap every trace and the layout of ``widget`` for those of ``fig`` (same widget,
    same height). Click handlers must be attached again to the new traces."""
    height = widget.layout.height
    with widget.batch_update():
        widget.data = ()
        widget.add_traces(list(fig.data))
        widget.layout = fig.layout
        widget.layout.height = height
    return widget


def loss_figure(*, height: int = 340, title: str | None = None) -> go.FigureWidget:
    """A FigureWidget with the four empty traces of :func:`optwidgets.viz.loss_curves`."""
    return figure_widget(
        viz.loss_curves(pd.DataFrame(columns=HISTORY_COLUMNS), title=title), height=height
    )


class LazyFigure:
    """A FigureWidget made on first use, shown inside ``widget`` (a Box, empty until then).

    Each FigureWidget sends plotly's JavaScript bundle (~5 MB) when it opens, so figures
    that may never be needed (decision boundary for image data, overlay before any
    selection) are not made up front.
    """

    def __init__(self, *, height: int = 340) -> None:
        self.height = height
        self.widget = W.Box([])
        self._figure: go.FigureWidget | None = None

    @property
    def created(self) -> bool:
        return self._figure is not None

    def get(self) -> go.FigureWidget:
        """The FigureWidget, made (and put in ``widget``) on the first call."""
        if self._figure is None:
            self._figure = figure_widget(height=self.height)
            self.widget.children = (self._figure,)
        return self._figure
