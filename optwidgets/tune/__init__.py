"""Tuning: Optuna searches (spaces, samplers, objectives, executors: local, Dask) and
one-knob sweeps (:func:`sweep_knob`).

``ow.search(cfg, space=..., method=...)`` runs trials, each an ``ow.run`` of ``cfg`` with
some fields sampled, saved in the RunStore like any run (tagged ``search_trial`` and
``search_study``), and returns a :class:`SearchResult` (``trials_frame()``, ``best``,
``pareto_front()``, ``study``). Each trial runs its effective settings (a sampled value
that has no effect with the trial's other settings goes back to its default, listed in
``inactive_params``); a study in a storage resumes exactly after a crash; the study is a
plain Optuna study (``optuna.load_study`` and ``optuna-dashboard`` open its storage).
``space="architecture"`` searches the model's shape (depth, units, activation, dropout;
width for a cnn) for validation accuracy and saved size (:mod:`.architecture`).
This package never imports ipywidgets or plotly; Dask only when ``executor="dask"``.

Example
-------
>>> import optwidgets as ow
>>> cfg = ow.RunConfig(dataset="moons", model="mlp", hidden=(16,), epochs=2)
>>> res = ow.search(cfg, space={"lr": "log:1e-3:1e-1"}, method="random", n_trials=3,
...                 store=False)  # doctest: +SKIP
>>> res.trials_frame()[["number", "state", "value", "params_lr"]]  # doctest: +SKIP
"""

from optwidgets.tune._api import EXECUTORS, load_search, search
from optwidgets.tune._executors import worker_pool
from optwidgets.tune._objective import OBJECTIVES, TrialRunner, parse_objectives
from optwidgets.tune._result import BestTrial, SearchResult
from optwidgets.tune._samplers import METHODS, SAMPLERS, make_pruner, make_sampler, method_of
from optwidgets.tune._space import Param, grid_size, parse_space, parse_space_item
from optwidgets.tune.architecture import (
    ARCHITECTURE_RANGES,
    PRESETS,
    architecture_space,
    config_changes,
    searched_value,
)
from optwidgets.tune.sweep import SWEEPABLE, sweep_configs, sweep_curve, sweep_knob

__all__ = [
    "search",
    "sweep_knob",
    "sweep_configs",
    "sweep_curve",
    "SWEEPABLE",
    "load_search",
    "SearchResult",
    "BestTrial",
    "worker_pool",
    "parse_space",
    "parse_space_item",
    "architecture_space",
    "config_changes",
    "searched_value",
    "ARCHITECTURE_RANGES",
    "PRESETS",
    "grid_size",
    "Param",
    "parse_objectives",
    "TrialRunner",
    "make_sampler",
    "make_pruner",
    "method_of",
    "METHODS",
    "SAMPLERS",
    "OBJECTIVES",
    "EXECUTORS",
]
