"""Runs: ``run(config) -> RunResult`` as named phases, the RunStore, transfer sources.

Example
-------
>>> import optwidgets as ow
>>> res = ow.runs.run(ow.RunConfig(dataset="moons", model="mlp", hidden=(8,), epochs=1),
...                   store=False)
>>> res.status
'done'
"""

from optwidgets.runs.lr_find import LRFinderResult, lr_find
from optwidgets.runs.prepare import build_model_for, new_run_id, prepare_data, seed_everything
from optwidgets.runs.result import (
    HISTORY_COLUMNS,
    MEASURE_KEYS,
    METRIC_KEYS,
    REGRESSION_KEYS,
    STATUSES,
    RunResult,
)
from optwidgets.runs.run import run
from optwidgets.runs.store import RunStore, as_store, default_store

__all__ = [
    "run",
    "lr_find",
    "LRFinderResult",
    "RunResult",
    "RunStore",
    "as_store",
    "default_store",
    "prepare_data",
    "build_model_for",
    "new_run_id",
    "seed_everything",
    "STATUSES",
    "METRIC_KEYS",
    "REGRESSION_KEYS",
    "MEASURE_KEYS",
    "HISTORY_COLUMNS",
]
