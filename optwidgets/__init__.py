"""optwidgets: explore how neural networks are optimized, in Jupyter, with measured results.

Example
-------
>>> import optwidgets as ow
>>> cfg = ow.RunConfig(dataset="moons", model="mlp", hidden=(16,), epochs=2)
>>> ow.run(cfg, store=False).status
'done'

The engine (config, data, models, train, compress, experiment, results, search) never
imports ipywidgets or plotly; ``ow.Explorer`` and the ``viz`` / ``ui`` packages are
imported on first use.
"""

from __future__ import annotations

import importlib
from typing import Any

from optwidgets.config import RunConfig
from optwidgets.errors import ConfigError, DataError
from optwidgets.train.callbacks import Callback, RunState, StopRun

__version__ = "0.1.0"

__all__ = [
    "RunConfig",
    "ConfigError",
    "DataError",
    "Callback",
    "RunState",
    "StopRun",
    "run",
    "RunResult",
    "RunStore",
    "default_store",
    "search",
    "SearchResult",
    "sweep_knob",
    "Explorer",
    "data",
    "models",
    "compress",
    "viz",
    "ui",
    "__version__",
]

# name -> (module, attribute or None for the module itself); imported on first access
_LAZY = {
    "run": ("optwidgets.experiment", "run"),
    "RunResult": ("optwidgets.results", "RunResult"),
    "RunStore": ("optwidgets.results", "RunStore"),
    "default_store": ("optwidgets.results", "default_store"),
    "search": ("optwidgets.search", "search"),
    "sweep_knob": ("optwidgets.sweep", "sweep_knob"),
    "SearchResult": ("optwidgets.search", "SearchResult"),
    "Explorer": ("optwidgets.ui", "Explorer"),
    "data": ("optwidgets.data", None),
    "models": ("optwidgets.models", None),
    "compress": ("optwidgets.compress", None),
    "viz": ("optwidgets.viz", None),
    "ui": ("optwidgets.ui", None),
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        module_name, attr = _LAZY[name]
        module = importlib.import_module(module_name)
        value = module if attr is None else getattr(module, attr)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'optwidgets' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
