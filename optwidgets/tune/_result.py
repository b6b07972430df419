"""SearchResult: a finished (or stopped) search, read from its Optuna study."""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from optwidgets.config import RunConfig
from optwidgets.core.io import json_safe
from optwidgets.runs import MEASURE_KEYS, METRIC_KEYS, REGRESSION_KEYS
from optwidgets.tune._objective import ATTR, OBJECTIVES
from optwidgets.tune._space import Param
from optwidgets.tune.architecture import config_changes, searched_value

__all__ = ["SearchResult", "BestTrial", "STUDY_ATTR"]

STUDY_ATTR = "optwidgets"  # study user attribute: method, objectives, space, base config
_RUN_COLUMNS = (
    "run_id",
    "status",
    *METRIC_KEYS,
    *REGRESSION_KEYS,  # regression runs: R², RMSE, MAE
    "test_loss",
    "val_acc",
    *MEASURE_KEYS,
    "train_seconds",
    "size_encoding",
    "technique",
    "pruned_at_epoch",
    "error",
)


def _default(name: str) -> Any:
    """RunConfig's default of field ``name``."""
    f = RunConfig.__dataclass_fields__[name]
    return f.default if f.default_factory is dataclasses.MISSING else f.default_factory()


def inactive_params(trial: Any) -> dict[str, Any]:
    """Sampled fields that had no effect in ``trial`` -> the value sampled for each."""
    return dict((trial.user_attrs.get(ATTR) or {}).get("inactive_params") or {})


@dataclass(frozen=True)
class BestTrial:
    """One best (or Pareto-optimal) trial: its objective values, the searched values as
    the run used them, the whole RunConfig it ran and what its run measured."""

    number: int
    values: dict[str, float]
    params: dict[str, Any]
    config: RunConfig
    metrics: dict[str, Any]
    run_id: str | None

    def to_dict(self) -> dict[str, Any]:
        return {
            "number": self.number,
            "values": self.values,
            "params": self.params,
            "config": self.config.to_dict(),
            "metrics": self.metrics,
            "run_id": self.run_id,
        }


@dataclass
class SearchResult:
    """What a search found. ``study`` is the Optuna study (storage included).

    Example
    -------
    >>> res = ow.search(cfg, space={"lr": ("log", 1e-3, 1e-1)}, n_trials=4)  # doctest: +SKIP
    >>> res.trials_frame()[["number", "state", "value", "params_lr", "run_id"]]  # doctest: +SKIP
    >>> res.best.config.lr, res.best.values["val_acc"]  # doctest: +SKIP
    """

    study: Any
    base: RunConfig
    params: list[Param]
    objectives: tuple[str, ...]
    method: str
    sampler_name: str = ""
    executor: str = "local"
    n_workers: int = 1
    wall_seconds: float = 0.0
    store: str | None = None
    extras: dict[str, Any] = field(default_factory=dict)

    @property
    def study_name(self) -> str:
        return self.study.study_name

    @property
    def directions(self) -> tuple[str, ...]:
        return tuple(OBJECTIVES[o] for o in self.objectives)

    def __repr__(self) -> str:
        counts = self.trials_frame()["state"].value_counts().to_dict() if self.study.trials else {}
        return (
            f"SearchResult(study={self.study_name!r}, method={self.method!r}, "
            f"objectives={self.objectives}, trials={counts})"
        )

    # -- tables ----------------------------------------------------------------------------
    def value_columns(self) -> list[str]:
        """Optuna's objective column names: ``["value"]`` or ``["values_0", ...]``."""
        if len(self.objectives) == 1:
            return ["value"]
        return [f"values_{i}" for i in range(len(self.objectives))]

    def trials_frame(self) -> pd.DataFrame:
        """One row per trial, Optuna's columns plus what each run measured.

        Columns: ``number``, ``state`` (COMPLETE, PRUNED, FAIL, RUNNING), ``value`` (one
        objective) or ``values_0..`` (several, in the order of ``objectives``),
        ``params_<field>`` for each searched field: the value the run used, then
        ``inactive_params`` (the searched fields whose sampled value had no effect with
        the trial's other settings, comma-separated: their ``params_`` column shows the
        default the run kept, e.g. ``prune_ratio`` 0.0 when ``prune_method`` is
        ``"none"``; the sampled values stay in ``study.trials[i].params``), ``run_id``
        (the run in the RunStore), ``status`` (``interrupted``: its process died, or it
        was stopped), metrics (``test_acc``, ``f1``, ...), measures (``size_bytes``,
        ``size_encoding``, ``params``, ``latency_ms``, ...), ``train_seconds``,
        ``technique``, ``pruned_at_epoch``, ``error``, ``duration`` (seconds the trial
        took), ``datetime_start``, ``datetime_complete``.
        """
        rows = []
        for t in self.study.get_trials(deepcopy=False):
            row: dict[str, Any] = {"number": t.number, "state": t.state.name}
            vals = t.values or [None] * len(self.objectives)
            for col, v in zip(self.value_columns(), vals):
                row[col] = v
            inactive = inactive_params(t)
            for p in self.params:
                row[f"params_{p.name}"] = (
                    _default(p.name) if p.name in inactive else t.params.get(p.name)
                )
            row["inactive_params"] = ",".join(p.name for p in self.params if p.name in inactive)
            info = t.user_attrs.get(ATTR) or {}
            for k in _RUN_COLUMNS:
                row[k] = info.get(k)
            start, end = t.datetime_start, t.datetime_complete
            row["duration"] = (end - start).total_seconds() if start and end else None
            row["datetime_start"], row["datetime_complete"] = start, end
            rows.append(row)
        columns = [
            "number",
            "state",
            *self.value_columns(),
            *[f"params_{p.name}" for p in self.params],
            "inactive_params",
            *_RUN_COLUMNS,
            "duration",
            "datetime_start",
            "datetime_complete",
        ]
        frame = pd.DataFrame(rows, columns=columns)
        for col in (
            *self.value_columns(),
            *METRIC_KEYS,
            *REGRESSION_KEYS,
            "test_loss",
            "val_acc",
            *MEASURE_KEYS,
            "train_seconds",
            "duration",
            "pruned_at_epoch",
        ):
            frame[col] = pd.to_numeric(frame[col], errors="coerce")
        return frame

    # -- best ------------------------------------------------------------------------------
    def _best(self, t: Any) -> BestTrial:
        values = {o: float(v) for o, v in zip(self.objectives, t.values)}
        sampled = {p.name: p.decode(t.params[p.name]) for p in self.params if p.name in t.params}
        # what the run ran (depth and units build hidden)
        config = self.base.replace(**config_changes(sampled, self.base)).without_unused()
        params = {name: searched_value(config, name) for name in sampled}
        info = t.user_attrs.get(ATTR) or {}
        metrics = {k: info.get(k) for k in _RUN_COLUMNS if k not in ("run_id", "error")}
        return BestTrial(t.number, values, params, config, metrics, info.get("run_id"))

    def _best_trials(self) -> list[Any]:
        import optuna  # heavy: Optuna loads when a search runs, not with import optwidgets.tune

        done = self.study.get_trials(deepcopy=False, states=(optuna.trial.TrialState.COMPLETE,))
        if not done:
            return []
        if len(self.objectives) == 1:
            return [self.study.best_trial]
        front = self.study.best_trials
        order = [(i, d) for i, d in enumerate(self.directions) if d == "minimize"] or [(0, "")]
        i = order[0][0]
        return sorted(front, key=lambda t: (t.values[i], t.number))

    @property
    def best(self) -> BestTrial | list[BestTrial] | None:
        """The best trial (one objective), or the Pareto-optimal trials (several), sorted
        by the first objective to minimize. None / [] before any trial completed."""
        trials = [self._best(t) for t in self._best_trials()]
        if len(self.objectives) == 1:
            return trials[0] if trials else None
        return trials

    def pareto_front(self) -> pd.DataFrame:
        """Rows of :meth:`trials_frame` that no other completed trial beats on every
        objective (the best row for one objective), in the order of :attr:`best`."""
        numbers = [t.number for t in self._best_trials()]
        frame = self.trials_frame()
        front = frame.set_index("number").loc[numbers].reset_index() if numbers else frame.iloc[:0]
        return front[frame.columns]

    # -- export ----------------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        """JSON-safe: ``{"study", "method", "objectives", "trials": [...], "best": ...}``."""
        frame = self.trials_frame()
        for col in ("datetime_start", "datetime_complete"):
            frame[col] = frame[col].map(
                lambda d: (
                    d.isoformat() if isinstance(d, object) and hasattr(d, "isoformat") else None
                )
            )
        trials = [
            {k: (None if isinstance(v, float) and math.isnan(v) else v) for k, v in r.items()}
            for r in frame.to_dict(orient="records")
        ]
        best = self.best
        best_out = (
            [b.to_dict() for b in best]
            if isinstance(best, list)
            else best.to_dict()
            if best is not None
            else None
        )
        return json_safe(
            {
                "study": self.study_name,
                "method": self.method,
                "sampler": self.sampler_name,
                "objectives": list(self.objectives),
                "directions": list(self.directions),
                "executor": self.executor,
                "n_workers": self.n_workers,
                "wall_seconds": self.wall_seconds,
                "trials": trials,
                "best": best_out,
            }
        )
