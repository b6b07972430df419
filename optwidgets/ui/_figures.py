"""FigureWidget helpers: make a widget once, refill it from a pure ``viz`` figure."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from optwidgets import viz
from optwidgets.results import HISTORY_COLUMNS

__all__ = ["figure_widget", "replace_figure", "loss_figure"]


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
