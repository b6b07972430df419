"""Search methods -> Optuna samplers and pruners.

==============  =====================================================================
method          sampler
==============  =====================================================================
``grid``        ``GridSampler`` over each parameter's grid values
``random``      ``RandomSampler``
``bayes``       ``TPESampler`` (multivariate; ``sampler="gp"``: ``GPSampler``)
``evolution``   ``CmaEsSampler`` for one objective, ``NSGAIISampler`` for several
==============  =====================================================================

Start-up sizes are scaled to the budget so a small search still leaves the model-based
phase some trials: TPE/GP start with ``max(3, min(10, n_trials // 3))`` random trials,
NSGA-II uses a population of ``max(4, min(50, n_trials // 3))``. CMA-ES needs the
``cmaes`` package; without it ``evolution`` uses NSGA-II (a genetic algorithm) for one
objective too, and :attr:`SearchResult.sampler_name` says so.

A search records the method its sampler really is (:func:`method_of`): a
``sampler=optuna.samplers.RandomSampler()`` makes a ``random`` search whatever
``method`` says, and its study is named ``random-…``.
"""

from __future__ import annotations

import importlib.util
import warnings
from collections.abc import Sequence
from typing import Any

from optwidgets.core.errors import ConfigError, unknown_name
from optwidgets.tune._space import Param

__all__ = [
    "METHODS",
    "SAMPLERS",
    "make_sampler",
    "make_pruner",
    "sampler_name",
    "method_of",
    "resume_seed",
]

METHODS = ("grid", "random", "bayes", "evolution")
# sampler= overrides: a name, or an optuna sampler instance
SAMPLERS = ("tpe", "gp", "cmaes", "nsga2", "random", "grid")


# Optuna sampler class -> the search method it is; another class is named as it is
_METHOD_OF_CLASS = {
    "GridSampler": "grid",
    "RandomSampler": "random",
    "TPESampler": "bayes",
    "GPSampler": "bayes",
    "CmaEsSampler": "evolution",
    "NSGAIISampler": "evolution",
}
_CLASS_OF_NAME = {
    "tpe": "TPESampler",
    "gp": "GPSampler",
    "cmaes": "CmaEsSampler",
    "nsga2": "NSGAIISampler",
    "random": "RandomSampler",
    "grid": "GridSampler",
}


def method_of(method: str, sampler: Any = None) -> str:
    """The search method a sampler really is: ``method`` itself without ``sampler``, else
    what the sampler's class (or name) is.

    Example
    -------
    >>> import optuna
    >>> method_of("bayes"), method_of("bayes", "cmaes")
    ('bayes', 'evolution')
    >>> method_of("bayes", optuna.samplers.RandomSampler())
    'random'
    >>> class MySampler(optuna.samplers.RandomSampler): ...
    >>> method_of("bayes", MySampler())
    'MySampler'
    """
    if sampler is None:
        return method
    cls = _CLASS_OF_NAME[sampler] if isinstance(sampler, str) else type(sampler).__name__
    return _METHOD_OF_CLASS.get(cls, cls)


def resume_seed(seed: int | None, n_existing: int) -> int | None:
    """The sampler seed of a search that finds ``n_existing`` trials in its study.

    A resumed study must continue, not restart: reseeded with the same seed, a sampler
    would draw its first values again. ``seed + n_existing`` is new for every run that
    added at least one trial (and worker slots use the seeds after it).

    Example
    -------
    >>> resume_seed(0, 0), resume_seed(0, 3), resume_seed(None, 3) is None
    (0, 3, True)
    """
    return None if seed is None else seed + n_existing


def _startup(n_trials: int | None, default: int = 10) -> int:
    return default if n_trials is None else max(3, min(default, n_trials // 3))


def sampler_name(method: str, n_objectives: int, sampler: Any = None) -> str:
    """The Optuna sampler class a method will use (without building it)."""
    if sampler is not None and not isinstance(sampler, str):
        return type(sampler).__name__
    key = sampler or {"grid": "grid", "random": "random", "bayes": "tpe"}.get(method)
    if key is None:  # evolution
        key = "cmaes" if n_objectives == 1 and _has_cmaes() else "nsga2"
    if key == "cmaes" and not _has_cmaes():
        key = "nsga2"
    return _CLASS_OF_NAME[key]


def _has_cmaes() -> bool:
    return importlib.util.find_spec("cmaes") is not None


def check_method(method: str, sampler: Any, n_objectives: int) -> None:
    if method not in METHODS:
        raise unknown_name("method", method, METHODS)
    if isinstance(sampler, str):
        if sampler not in SAMPLERS:
            raise unknown_name("sampler", sampler, SAMPLERS)
        if sampler == "cmaes" and n_objectives > 1:
            raise ConfigError(
                "sampler",
                sampler,
                "'nsga2', 'tpe', 'gp' or 'random' for several objectives",
                "CMA-ES optimizes one objective",
            )
    elif sampler is not None:
        import optuna  # heavy: Optuna loads when a search runs, not with import optwidgets.tune

        if not isinstance(sampler, optuna.samplers.BaseSampler):
            raise ConfigError(
                "sampler",
                sampler,
                "a name (" + ", ".join(SAMPLERS) + ") or an optuna sampler instance",
            )


def make_sampler(
    method: str,
    params: Sequence[Param],
    n_objectives: int,
    *,
    seed: int | None,
    n_trials: int | None = None,
    parallel: bool = False,
    sampler: Any = None,
) -> Any:
    """Build the Optuna sampler of a search method (see the table in the module doc)."""
    import optuna  # heavy: Optuna loads when a search runs, not with import optwidgets.tune

    if sampler is not None and not isinstance(sampler, str):
        return sampler
    name = sampler_name(method, n_objectives, sampler)
    s = optuna.samplers
    with warnings.catch_warnings():  # multivariate/constant_liar/GP are "experimental"
        warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
        if name == "GridSampler":
            return s.GridSampler({p.name: p.grid_values() for p in params}, seed=seed)
        if name == "RandomSampler":
            return s.RandomSampler(seed=seed)
        if name == "TPESampler":
            return s.TPESampler(
                seed=seed,
                n_startup_trials=_startup(n_trials),
                multivariate=True,
                constant_liar=parallel,
            )
        if name == "GPSampler":
            return s.GPSampler(seed=seed, n_startup_trials=_startup(n_trials))
        if name == "CmaEsSampler":
            return s.CmaEsSampler(seed=seed, warn_independent_sampling=False, n_startup_trials=1)
        pop = 50 if n_trials is None else max(4, min(50, n_trials // 3))
        return s.NSGAIISampler(seed=seed, population_size=pop)


def make_pruner(pruner: Any, n_objectives: int) -> Any:
    """True -> ``MedianPruner(n_startup_trials=4)`` (one objective only); False/None ->
    no pruning; an optuna pruner passes through."""
    import optuna  # heavy: Optuna loads when a search runs, not with import optwidgets.tune

    if pruner is None or pruner is False or n_objectives > 1:
        if pruner not in (None, False, True) and n_objectives > 1:
            raise ConfigError(
                "pruner",
                pruner,
                "False for a multi-objective search",
                "Optuna prunes single-objective studies only",
            )
        return optuna.pruners.NopPruner()
    if pruner is True:
        return optuna.pruners.MedianPruner(n_startup_trials=4, n_warmup_steps=0)
    if isinstance(pruner, optuna.pruners.BasePruner):
        return pruner
    raise ConfigError("pruner", pruner, "True, False or an optuna pruner instance")
