"""Widgets for notebooks: the Explorer dashboard and small lesson widgets.

Imports ipywidgets and plotly; the engine never imports this package.

- :class:`Explorer` — the dashboard on one screen: controls for every RunConfig field
  (tabs from :mod:`optwidgets.ui.tabs`), Train / Stop on a background thread, truthful
  progress, live curves, trade-off plot, runs grid (itables), decision boundary, confusion
  matrix, classroom mode (``show=``, ``lock=``, ``preset=``). An ``ipywidgets.VBox``.
- :class:`LearningRateExplorer`, :class:`OptimizerRace` — one setup, several runs overlaid.
- :class:`SearchPanel` — an Optuna search, drawn live.
- Parts to build more: :class:`LiveCurves` (throttled live-plot callback),
  :class:`ProgressView`, :class:`ConfigForm` (widgets from :class:`Control` specs),
  :class:`BackgroundRunner`, and the layout pieces of :mod:`optwidgets.ui._layout`
  (wrapping columns, fixed-height plot boxes, the action bar) with the page bridge of
  :mod:`optwidgets.ui._bridge` (clipboard, downloads, one plotly bundle per page).

Example
-------
>>> import tempfile
>>> import optwidgets as ow
>>> ex = ow.Explorer(show=["lr", "optimizer"], lock={"epochs": 2}, store=tempfile.mkdtemp())
>>> sorted(ex.controls)
['epochs', 'lr', 'optimizer']
>>> ex.controls["epochs"].disabled
True
"""

from optwidgets.ui._form import ConfigForm
from optwidgets.ui._live import LiveCurves, ProgressView, Recording
from optwidgets.ui._runner import BackgroundRunner, run_safely
from optwidgets.ui._spec import Control, Tab
from optwidgets.ui.explorer import Explorer
from optwidgets.ui.lessons import LearningRateExplorer, OptimizerRace
from optwidgets.ui.presets import PRESETS, Preset
from optwidgets.ui.search_panel import SearchPanel
from optwidgets.ui.tabs import register_tab, tabs, unregister_tab

__all__ = [
    "Explorer",
    "LearningRateExplorer",
    "OptimizerRace",
    "SearchPanel",
    "PRESETS",
    "Preset",
    "Control",
    "Tab",
    "tabs",
    "register_tab",
    "unregister_tab",
    "ConfigForm",
    "LiveCurves",
    "ProgressView",
    "Recording",
    "BackgroundRunner",
    "run_safely",
]
