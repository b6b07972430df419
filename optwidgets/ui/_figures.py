"""FigureWidget helpers: make a widget once, refill it from a pure ``viz`` figure.

A FigureWidget costs: the first one in a process imports plotly's widget module (~1 s:
it pulls nbformat and jsonschema in), and each one sends plotly's JavaScript bundle
(~5 MB) that the browser evaluates. Dashboards therefore make their figures with
:class:`FigureMaker`, on a background thread after they are drawn (see
:mod:`optwidgets.ui.explorer`), not while the user waits.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

import pandas as pd
import plotly.graph_objects as go

from optwidgets import viz
from optwidgets.runs import HISTORY_COLUMNS
from optwidgets.ui._plotly import host_open, light_figure_class

__all__ = ["figure_widget", "replace_figure", "loss_figure", "LOSS_PLACEHOLDER", "FigureMaker"]

LOSS_PLACEHOLDER = "Press Train: the loss and accuracy<br>curves are drawn here as it runs"


# plotly.js fits a responsive figure to its box on window resizes (plotly's widget itself
# never refits: the dashboard's page bridge sends a resize when a plot's box changes).
PLOT_CONFIG = {"responsive": True, "displaylogo": False, "displayModeBar": "hover"}


def figure_widget(
    fig: go.Figure | None = None, *, height: int = 340, shared: bool = True
) -> go.FigureWidget:
    """A ``go.FigureWidget`` holding ``fig`` (or empty), ``height`` pixels tall, as wide
    as its box (``responsive``). ``shared``: it uses the plotly bundle of the page
    bridge of the widget it goes in (:mod:`optwidgets.ui._plotly`) rather than sending
    its own, once such a bridge exists (make the bridge first); pass False for a figure
    shown on its own."""
    cls = light_figure_class() if shared and host_open() else go.FigureWidget
    w = cls(fig if fig is not None else go.Figure(layout={"template": viz.TEMPLATE}))
    w._config = dict(PLOT_CONFIG)
    w.layout.height = height
    w.layout.autosize = True
    return w


def _paths(d: dict[str, Any], prefix: str = "", depth: int = 2) -> set[str]:
    """Dotted paths of a layout dict, down to ``depth`` levels (lists are leaves)."""
    out = set()
    for k, v in d.items():
        path = f"{prefix}{k}"
        out.add(path)
        if isinstance(v, dict) and depth > 1:
            out |= _paths(v, f"{path}.", depth - 1)
    return out


def replace_figure(widget: go.FigureWidget, fig: go.Figure) -> go.FigureWidget:
    """Swap every trace and the layout of ``widget`` for those of ``fig`` (same widget,
    same height). Click handlers must be attached again to the new traces.

    Assigning a layout to a FigureWidget *merges* it into the browser's copy, so
    settings the new layout does not have (a placeholder's annotation, hidden axes, a
    fixed range) would linger there: they are removed explicitly first.
    """
    height = widget.layout.height
    old = widget.layout.to_plotly_json()
    new = fig.layout.to_plotly_json()
    gone = sorted(_paths(old) - _paths(new) - {"height", "template"})
    gone = [p for p in gone if not any(p.startswith(q + ".") for q in gone)]  # outermost
    if gone:
        widget.plotly_relayout({p: None for p in gone})
    with widget.batch_update():
        widget.data = ()
        widget.add_traces(list(fig.data))
        widget.layout = fig.layout
        widget.layout.height = height
        widget.layout.autosize = True
    return widget


def loss_figure(
    *,
    height: int = 340,
    title: str | None = None,
    empty_text: str | None = None,
    shared: bool = True,
) -> go.FigureWidget:
    """A FigureWidget with the four empty traces of :func:`optwidgets.viz.loss_curves`
    (a placeholder text until points arrive when ``empty_text`` is given)."""
    return figure_widget(
        viz.loss_curves(pd.DataFrame(columns=HISTORY_COLUMNS), title=title, empty_text=empty_text),
        height=height,
        shared=shared,
    )


class FigureMaker:
    """Runs ``jobs`` (callables) one after another on a daemon thread; :meth:`wait`
    joins it. For code that needs a figure the maker owns, ``wait()`` first.

    Example
    -------
    >>> made = []
    >>> maker = FigureMaker([lambda: made.append(1)], start=True)
    >>> maker.wait(10), made
    (True, [1])
    """

    def __init__(self, jobs: list[Callable[[], Any]], *, start: bool = False) -> None:
        self.jobs = list(jobs)
        self.errors: list[str] = []
        self.timings: list[tuple[str, float]] = []  # (job, seconds), for benchmarks
        self._done = threading.Event()
        self._thread: threading.Thread | None = None
        if start:
            self.start()

    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._main, name="optwidgets-figures",
                                            daemon=True)  # fmt: skip
            self._thread.start()

    def _main(self) -> None:
        try:
            for job in self.jobs:
                t0 = time.perf_counter()
                try:
                    job()
                except Exception as exc:  # one failed figure must not stop the others
                    self.errors.append(f"{type(exc).__name__}: {exc}")
                name = getattr(job, "__qualname__", repr(job))
                self.timings.append((name, time.perf_counter() - t0))
        finally:
            self._done.set()

    @property
    def done(self) -> bool:
        return self._done.is_set()

    def wait(self, timeout: float | None = 120) -> bool:
        """Start (if needed) and wait for the jobs; True when they have all run."""
        if threading.current_thread() is self._thread:
            return False  # a job asking for its own maker: do not wait on yourself
        self.start()
        return self._done.wait(timeout)
