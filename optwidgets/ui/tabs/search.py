"""Search tab: a hyperparameter search (Optuna) over the Explorer's current settings.

The tab holds a :class:`~optwidgets.ui.search_panel.SearchPanel` bound to the Explorer:
Start searches the ticked knobs around the Explorer's config, on the Explorer's
background thread (Train waits; the Explorer's Stop stops the search too); every trial
is a run in the Explorer's store, so it joins the trade-off plot and the runs table as
it finishes. Clicking a point there loads that trial's settings into the controls.
The *preset* ``architecture`` ticks the shape knobs of the Explorer's model (depth, units,
activation, dropout; width for a cnn) and searches validation accuracy against saved size.

Example
-------
>>> import tempfile
>>> import optwidgets as ow
>>> ex = ow.Explorer(ow.RunConfig(dataset="xor", model="mlp", hidden=(8,), epochs=1),
...                  store=tempfile.mkdtemp())
>>> ex.search.method.value, ex.search.n_trials.value = "random", 2
>>> ex.search.start(block=True)
True
>>> len(ex.store)
2
"""

from __future__ import annotations

from typing import Any

from optwidgets.ui._spec import Tab
from optwidgets.ui.search_panel import SearchPanel

__all__ = ["TAB"]


def _search_panel(explorer: Any) -> Any:
    panel = SearchPanel(explorer=explorer)
    explorer.search = panel  # for code and tests: explorer.search.start()
    return panel.widget


TAB = Tab(
    "Search",
    order=70,
    help="Let Optuna choose the settings: grid, random, Bayesian or evolutionary search "
    "over the ticked knobs (the architecture preset ticks the model's shape knobs); every "
    "trial is a run on the trade-off plot.",
    extra=_search_panel,
)
