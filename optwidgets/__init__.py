"""optwidgets: explore how neural networks are optimized, in Jupyter, with measured results.

Example
-------
>>> import optwidgets as ow
>>> cfg = ow.RunConfig(dataset="moons", model="mlp", hidden=(16,), epochs=2)
>>> ow.run(cfg, store=False).status
'done'

The engine (core, data, models, config, train, compress, runs, tune, export) never
imports ipywidgets or plotly. Every name here is imported on first use, so
``import optwidgets.viz`` loads neither torch nor the widgets.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from optwidgets.core.errors import ConfigError, DataError

if TYPE_CHECKING:  # editors and type checkers see the names; nothing is imported at run time
    from optwidgets.config import RunConfig
    from optwidgets.runs import RunResult, RunStore, default_store, run
    from optwidgets.runs.lr_find import lr_find
    from optwidgets.train.callbacks import Callback, RunState, StopRun
    from optwidgets.tune import SearchResult, search, sweep_knob

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
    "lr_find",
    "search",
    "SearchResult",
    "sweep_knob",
    "Explorer",
    "data",
    "models",
    "compress",
    "runs",
    "tune",
    "export",
    "viz",
    "ui",
    "__version__",
]

# name -> (module, attribute or None for the module itself); imported on first access
_LAZY = {
    "RunConfig": ("optwidgets.config", "RunConfig"),
    "Callback": ("optwidgets.train.callbacks", "Callback"),
    "RunState": ("optwidgets.train.callbacks", "RunState"),
    "StopRun": ("optwidgets.train.callbacks", "StopRun"),
    "run": ("optwidgets.runs", "run"),
    "RunResult": ("optwidgets.runs", "RunResult"),
    "RunStore": ("optwidgets.runs", "RunStore"),
    "default_store": ("optwidgets.runs", "default_store"),
    "lr_find": ("optwidgets.runs.lr_find", "lr_find"),
    "search": ("optwidgets.tune", "search"),
    "sweep_knob": ("optwidgets.tune", "sweep_knob"),
    "SearchResult": ("optwidgets.tune", "SearchResult"),
    "Explorer": ("optwidgets.ui", "Explorer"),
    "data": ("optwidgets.data", None),
    "models": ("optwidgets.models", None),
    "compress": ("optwidgets.compress", None),
    "runs": ("optwidgets.runs", None),
    "tune": ("optwidgets.tune", None),
    "export": ("optwidgets.export", None),
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
