"""Layout pieces and style shared by every optwidgets widget (Explorer, lessons, search).

One screen, without fixed widths that overflow: boxes are flex rows that *wrap*, so a
narrow output stacks the columns and a wide one puts them side by side; plots sit in
:class:`PlotSlot` boxes of fixed height whose width follows the container; control tabs
have one fixed height and scroll inside it, so switching tabs never moves the plots.
Everything here is plain ipywidgets ``Layout``; :data:`CSS` (loaded by the page bridge,
:mod:`optwidgets.ui._bridge`) adds only polish: wrapping tab titles, placeholders,
status colours, inactive controls.

Sizes (:data:`SIZES`) are chosen for a 1366×768 laptop in JupyterLab with the file
browser open (~930 px of output width, ~640 px of notebook height): the controls column
and the live plots fit side by side, and the loss and trade-off plots both fit under the
action bar.
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Sequence
from typing import Any

import ipywidgets as W

__all__ = [
    "SIZES",
    "PANE_HEIGHT",
    "CSS",
    "error_html",
    "note_html",
    "help_html",
    "saved_html",
    "control_row",
    "PlotSlot",
    "flow",
    "column",
    "columns",
    "action_bar",
    "status_html",
    "STATE_COLORS",
]

SIZES = {
    "left": "336px",  # the controls column (fixed)
    "right_min": "440px",  # the plots column wraps under the controls below this
    "pane": "372px",  # a tab's pane (scrolls inside)
    "loss": 244,  # px, the live curves
    "boundary": 244,  # px, the decision boundary (square-ish, beside the curves)
    "tradeoff": 266,  # px, the trade-off plot
    "grid": "236px",  # the runs grid's scrolling body
    "compare": 300,  # px, the overlay and confusion matrix under the grid
}
PANE_HEIGHT = SIZES["pane"]

STATE_COLORS = {
    "ready": "#555",
    "starting": "#555",
    "running": "#1565c0",
    "done": "#2e7d32",
    "stopped": "#b26a00",
    "diverged": "#c62828",
    "failed": "#c62828",
    "error": "#c62828",
    "invalid": "#c62828",
}

CSS = """
.ow-dash { --ow-muted: #666; --ow-line: #e0e0e0; --ow-left: 336px; }
.ow-dash .ow-title { font-weight: 600; white-space: nowrap; margin-right: 6px; }
.ow-dash .ow-help { color: var(--ow-muted); font-size: 12px; line-height: 1.35;
  margin: 2px 0 6px 0; white-space: normal; }
.ow-dash .ow-help code { font-size: 11px; }
.ow-dash .ow-note { color: var(--ow-muted); font-size: 12px; white-space: normal;
  overflow-wrap: anywhere; }
.ow-dash .ow-status { font-size: 12.5px; line-height: 1.4; white-space: normal;
  overflow-wrap: anywhere; }
.ow-dash .ow-progress-label { font-size: 12px; color: #333; white-space: normal;
  font-variant-numeric: tabular-nums; overflow-wrap: anywhere; }
.ow-dash .widget-html, .ow-dash .widget-html-content { min-width: 0; }
.ow-dash .widget-html-content { white-space: normal; }
/* tabs: titles wrap onto rows in the narrow controls column; panes scroll inside */
.ow-dash .ow-tabs > .lm-TabBar { min-height: 0; height: auto; }
.ow-dash .ow-tabs > .lm-TabBar .lm-TabBar-content { flex-wrap: wrap; }
.ow-dash .ow-tabs > .lm-TabBar .lm-TabBar-tab { flex: 0 0 auto; min-width: 0;
  padding: 0 9px; }
.ow-dash .ow-tabs > .lm-TabBar .lm-TabBar-tabLabel { overflow: visible; }
.ow-dash .ow-tabs .widget-tab-contents { padding: 6px 6px 2px 6px; overflow: hidden; }
.ow-dash .ow-pane { padding-right: 4px; box-sizing: border-box; }
.ow-dash .ow-pane > * { flex: 0 0 auto; }
.ow-dash .ow-row { width: 100%; }
.ow-dash .ow-row .widget-inline-hbox { min-width: 0; }
.ow-dash .ow-row .slider-container { padding-right: 8px; box-sizing: border-box; }
.ow-dash .ow-row.ow-inactive .widget-label { color: #9e9e9e; }
.ow-dash .ow-row .ow-msg { font-size: 12px; line-height: 1.3; margin: 0 0 4px 4px; }
/* plots: a fixed height, the width of the container */
.ow-dash .ow-slot { position: relative; min-width: 0; }
.ow-dash .ow-slot > * { flex: 1 1 auto; min-width: 0; width: 100%; max-width: 100%; }
.ow-dash .ow-placeholder { display: flex; align-items: center; justify-content: center;
  height: 100%; border: 1px dashed #cfcfcf; border-radius: 4px; color: #888;
  font-size: 13px; text-align: center; padding: 0 12px; box-sizing: border-box; }
.ow-dash .js-plotly-plot, .ow-dash .plot-container { max-width: 100%; }
/* the runs grid: never wider than the dashboard, scrolls inside */
.ow-dash .ow-grid { width: 100%; min-width: 0; max-width: 100%; }
.ow-dash .ow-grid .dt-container { width: 100%; max-width: 100%; font-size: 12px; }
.ow-dash .ow-grid table.dataTable td, .ow-dash .ow-grid table.dataTable th {
  white-space: nowrap; padding: 3px 8px; }
.ow-dash .ow-grid .dt-search input { width: 160px; }
.ow-dash .ow-dot { display: inline-block; width: 9px; height: 9px; border-radius: 50%;
  margin-right: 5px; vertical-align: baseline; }
.ow-dash .ow-badge { padding: 0 5px; border-radius: 3px; font-size: 11px; }
.ow-dash .ow-badge-failed, .ow-dash .ow-badge-diverged { background: #fdecea; color: #b71c1c; }
.ow-dash .ow-badge-stopped { background: #fff4e0; color: #8a5000; }
.ow-dash .ow-badge-running { background: #e3f2fd; color: #0d47a1; }
.ow-dash .ow-badge-interrupted { background: #eeeeee; color: #555; }
.ow-dash .ow-badge-done { color: #2e7d32; }
.ow-dash .ow-actions .widget-button { flex: 0 0 auto; }
.ow-dash .ow-copy button { width: auto; padding: 0 10px; }
/* wide outputs use the room: the runs grid beside the controls, under the plots */
.ow-explorer { container-type: inline-size; }
@container (min-width: 1160px) {
  .ow-explorer .ow-body { display: grid !important;
    grid-template-columns: var(--ow-left) minmax(0, 1fr); grid-template-rows: auto 1fr;
    column-gap: 12px; row-gap: 6px; align-items: start; }
  .ow-explorer .ow-body > .ow-left { grid-column: 1; grid-row: 1 / span 2; }
  .ow-explorer .ow-body > .ow-right { grid-column: 2; grid-row: 1; }
  .ow-explorer .ow-body > .ow-runs { grid-column: 2; grid-row: 2; }
  /* one screen: a shorter grid, its search box on the Runs line */
  .ow-explorer .ow-body > .ow-runs .dt-scroll-body { height: 150px !important;
    max-height: 150px !important; }
  .ow-explorer .ow-body > .ow-runs .ow-grid { position: relative; }
  .ow-explorer .ow-body > .ow-runs .dt-container > .dt-layout-row:first-child {
    position: absolute; top: -38px; right: 0; margin: 0; width: auto; }
  .ow-explorer .ow-body > .ow-runs .dt-info { display: none; }
  .ow-explorer .ow-body > .ow-runs .ow-runs-bar { padding-right: 200px; box-sizing: border-box; }
}
"""


def error_html(text: str) -> str:
    return f'<span style="color:#c62828">&#9888; {html.escape(text)}</span>'


def note_html(text: str) -> str:
    return f'<span style="color:#8a6d00">&#9432; {html.escape(text)}</span>'


def help_html(text: str) -> str:
    """A grey help line (``text`` is HTML: the caller escapes what it inserts)."""
    return f'<div class="ow-help">{text}</div>'


def saved_html(what: str, path: Any) -> str:
    """``what`` and where the file was saved on the server (the full path on hover)."""
    full = html.escape(str(path))
    name = html.escape(getattr(path, "name", str(path)))
    return f'{html.escape(what)}; saved on the server as <code title="{full}">{name}</code>'


def status_html(state: str, text: str) -> str:
    """The status line: the state's colour, wrapping (never cut off)."""
    color = STATE_COLORS.get(state, "#555")
    return f'<div style="color:{color}">{html.escape(text)}</div>'


def control_row(widget: W.Widget, box: W.Widget | None, message: W.HTML) -> W.VBox:
    """One control: the widget (and a slider's typed box) on a line, its message below
    (hidden while empty)."""
    message.add_class("ow-msg")
    line = W.HBox(
        [widget] if box is None else [widget, box],
        layout=W.Layout(width="100%", align_items="center", overflow="hidden"),
    )
    row = W.VBox([line, message], layout=W.Layout(width="100%", overflow="hidden", flex="0 0 auto"))
    row.add_class("ow-row")
    return row


def flow(
    children: Sequence[W.Widget],
    *,
    gap: str = "8px",
    align: str = "flex-start",
    classes: Iterable[str] = (),
    **layout: Any,
) -> W.Box:
    """A row that wraps: children side by side while they fit, stacked when not.

    Give each child a ``flex`` (``"1 1 420px"``: grow, shrink, and the width below which
    it moves to the next row) through its own ``layout``.
    """
    box = W.Box(
        list(children),
        layout=W.Layout(
            display="flex",
            flex_flow="row wrap",
            align_items=align,
            width="100%",
            grid_gap=gap,
            **layout,
        ),
    )
    for c in classes:
        box.add_class(c)
    return box


def column(children: Sequence[W.Widget], *, flex: str, width: str | None = None) -> W.VBox:
    """A column for :func:`flow`: ``flex`` says how it grows and when it wraps."""
    return W.VBox(
        list(children),
        layout=W.Layout(flex=flex, width=width, min_width="0", max_width="100%", overflow="hidden"),
    )


def columns(
    left: Sequence[W.Widget], right: Sequence[W.Widget], below: W.Widget | None = None
) -> W.Box:
    """The dashboard's two columns: controls (fixed width) and plots (the rest); the
    plots go under the controls when the output is narrower than both. ``below`` (the
    runs grid) takes the full width under them, or, in an output wide enough for the
    plots side by side (:data:`CSS`), the place under the plots, beside the controls."""
    left_col = column(left, flex=f"0 0 {SIZES['left']}", width=SIZES["left"])
    right_col = column(right, flex=f"1 1 {SIZES['right_min']}")
    left_col.add_class("ow-left")
    right_col.add_class("ow-right")
    children = [left_col, right_col]
    if below is not None:
        below.layout.flex = "1 1 100%"
        children.append(below)
    return flow(children, gap="12px", classes=("ow-body",))


def action_bar(children: Sequence[W.Widget]) -> W.Box:
    """Train / Stop, progress and the like on one line (wrapping if it must)."""
    box = flow(children, gap="6px", align="center")
    box.add_class("ow-actions")
    return box


class PlotSlot:
    """A fixed-height place for one plot: a placeholder text until a figure is put in.

    ``widget`` is the box to lay out (give it a ``flex`` for :func:`flow`);
    :meth:`show` puts a FigureWidget in (made elsewhere, e.g. in the background) and
    :meth:`placeholder` sets the text shown until then.
    """

    def __init__(self, height: int, text: str = "", *, flex: str = "1 1 320px") -> None:
        self.height = int(height)
        self.figure: Any = None
        self._text = W.HTML(self._placeholder(text), layout=W.Layout(height="100%", width="100%"))
        self.widget = W.Box(
            [self._text],
            layout=W.Layout(
                height=f"{self.height}px", flex=flex, min_width="0", width="auto",
                overflow="hidden", display="flex",
            ),
        )  # fmt: skip
        self.widget.add_class("ow-slot")

    @staticmethod
    def _placeholder(text: str) -> str:
        lines = "<br>".join(html.escape(t) for t in text.split("<br>"))  # plotly's line breaks
        return f'<div class="ow-placeholder">{lines}</div>'

    def placeholder(self, text: str) -> None:
        """The text shown while there is no figure."""
        self._text.value = self._placeholder(text)

    def show(self, figure: Any) -> Any:
        """Put ``figure`` (a FigureWidget, ``height`` px tall) in the slot; returns it."""
        figure.layout.height = self.height
        self.figure = figure
        self.widget.children = (figure,)
        return figure

    @property
    def visible(self) -> bool:
        return self.widget.layout.display != "none"

    @visible.setter
    def visible(self, on: bool) -> None:
        self.widget.layout.display = "flex" if on else "none"
