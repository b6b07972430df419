"""Hyperparameter search on Optuna: spaces, samplers, objectives, executors (local, Dask).

``ow.search(cfg, space=..., method=...)`` runs trials, each an ``ow.run`` of ``cfg`` with
some fields sampled, saved in the RunStore like any run (tagged ``search_trial`` and
``search_study``), and returns a :class:`SearchResult` (``trials_frame()``, ``best``,
``pareto_front()``, ``study``). This package never imports ipywidgets or plotly; Dask
only when ``executor="dask"``.

Example
-------
>>> import optwidgets as ow
>>> cfg = ow.RunConfig(dataset="moons", model="mlp", hidden=(16,), epochs=2)
>>> res = ow.search(cfg, space={"lr": "log:1e-3:1e-1"}, method="random", n_trials=3,
...                 store=False)  # doctest: +SKIP
>>> res.trials_frame()[["number", "state", "value", "params_lr"]]  # doctest: +SKIP
"""

import inspect as _inspect
import sys as _sys
import types as _types

from optwidgets.search._api import EXECUTORS, load_search, search
from optwidgets.search._executors import worker_pool
from optwidgets.search._objective import OBJECTIVES, TrialRunner, parse_objectives
from optwidgets.search._result import BestTrial, SearchResult
from optwidgets.search._samplers import METHODS, SAMPLERS, make_pruner, make_sampler
from optwidgets.search._space import Param, grid_size, parse_space, parse_space_item

__all__ = [
    "search",
    "load_search",
    "SearchResult",
    "BestTrial",
    "worker_pool",
    "parse_space",
    "parse_space_item",
    "grid_size",
    "Param",
    "parse_objectives",
    "TrialRunner",
    "make_sampler",
    "make_pruner",
    "METHODS",
    "SAMPLERS",
    "OBJECTIVES",
    "EXECUTORS",
]


class _CallableModule(_types.ModuleType):
    """``optwidgets.search`` is both this package and the function ``ow.search``.

    Importing the package binds the *module* to ``optwidgets.search`` (Python sets the
    attribute on the parent package), which shadows the lazily exported function; so
    calling the module calls :func:`search`.
    """

    def __call__(self, *args, **kwargs):
        return search(*args, **kwargs)


_sys.modules[__name__].__class__ = _CallableModule
__signature__ = _inspect.signature(search)
