"""The objective: one Optuna trial = one ``ow.run`` of the base config with sampled fields.

:class:`TrialRunner` is plain data (picklable), so the same object runs a trial in this
process, in a local worker process or on a Dask worker. It

- asks the trial for each searched field and builds the RunConfig (a value RunConfig
  refuses fails the trial, naming the field);
- runs it with ``ow.run`` into the RunStore, the run tagged with ``search_trial`` and
  ``search_study`` in its extras (so it shows on the Explorer's trade-off plot);
- feeds each training epoch's ``val_acc`` to the pruner (one objective) and stops a
  weak run with :class:`~optwidgets.train.callbacks.StopRun`: the trial is PRUNED;
- writes what the run measured into the trial's user attribute ``"ow"`` and returns
  the objective values. A run that fails (or is cancelled) fails the trial: Optuna
  records FAIL and the search goes on.
"""

from __future__ import annotations

import os
import socket
import threading
from dataclasses import dataclass, field
from typing import Any, Literal

from optwidgets.config import RunConfig
from optwidgets.core.errors import ConfigError, unknown_name
from optwidgets.runs import MEASURE_KEYS, METRIC_KEYS
from optwidgets.train.callbacks import Callback, StopRun
from optwidgets.tune._space import Param

__all__ = ["OBJECTIVES", "TrialRunner", "TrialFailed", "parse_objectives", "ATTR"]

ATTR = "ow"  # the trial user attribute holding the run's id, status, metrics and measures

# objective -> direction; values come from RunResult.metrics, its measures or its extras
OBJECTIVES: dict[str, Literal["minimize", "maximize"]] = {
    "test_acc": "maximize",
    "val_acc": "maximize",
    "f1": "maximize",
    "precision": "maximize",
    "recall": "maximize",
    "test_loss": "minimize",
    "val_loss": "minimize",
    "train_loss": "minimize",
    "size_bytes": "minimize",
    "params": "minimize",
    "nonzero_params": "minimize",
    "latency_ms": "minimize",
    "latency_ms_b256": "minimize",
    "train_seconds": "minimize",
    "sparse_bytes": "minimize",
    "packed_bytes": "minimize",
}


class TrialFailed(RuntimeError):
    """The trial's run did not finish (failed, diverged without metrics, or cancelled)."""


def parse_objectives(objectives: Any) -> tuple[str, ...]:
    """``"test_acc,size_bytes"`` or a sequence -> a checked tuple of objective names."""
    if isinstance(objectives, str):
        objectives = [o.strip() for o in objectives.split(",") if o.strip()]
    try:
        names = tuple(objectives)
    except TypeError:
        raise ConfigError("objectives", objectives, "a sequence of objective names") from None
    if not names:
        raise ConfigError("objectives", objectives, "at least one of " + ", ".join(OBJECTIVES))
    for name in names:
        if name not in OBJECTIVES:
            raise unknown_name("objectives", name, OBJECTIVES)
    if len(set(names)) != len(names):
        raise ConfigError("objectives", objectives, "each objective once")
    return names


def last_val_acc(result: Any) -> float | None:
    """Validation accuracy of the run's last epoch (of its last phase that logged one)."""
    h = result.history
    if h is None or not len(h):
        return None
    rows = h[(h["split"] == "val") & (h["metric"] == "acc")]
    return float(rows["value"].iloc[-1]) if len(rows) else None


def objective_value(result: Any, name: str) -> float | None:
    if name == "val_acc":
        return last_val_acc(result)
    if name in result.metrics:
        return result.metrics.get(name)
    if name in (*MEASURE_KEYS, "train_seconds"):
        return getattr(result, name)
    value = result.extras.get(name)
    return value if isinstance(value, (int, float)) else None


def result_attrs(result: Any) -> dict[str, Any]:
    """JSON-safe summary of a run for the trial's user attribute."""
    out: dict[str, Any] = {
        "run_id": result.run_id,
        "status": result.status,
        "technique": result.technique,
        "error": result.error,
        "train_seconds": result.train_seconds,
    }
    for k in (*METRIC_KEYS, "test_loss"):
        out[k] = result.metrics.get(k)
    out["val_acc"] = last_val_acc(result)
    for k in MEASURE_KEYS:
        out[k] = getattr(result, k)
    for k, v in result.extras.items():
        if isinstance(v, (int, float)) and not isinstance(v, bool) and k not in out:
            out[k] = v
    return {k: (None if isinstance(v, float) and v != v else v) for k, v in out.items()}


class _Tag(Callback):
    """Puts the trial number and study name into the run's extras (saved with the run)."""

    def __init__(self, number: int, study: str) -> None:
        self.number, self.study = number, study

    def on_run_start(self, run: Any) -> None:
        run.extra["search_trial"] = self.number
        run.extra["search_study"] = self.study


class _Pruning(Callback):
    """Reports each training epoch's val_acc; stops the run when the pruner says so."""

    def __init__(self, trial: Any) -> None:
        self.trial = trial
        self.pruned_at: int | None = None

    def on_epoch_end(self, run: Any, logs: dict[str, float]) -> None:
        if run.phase not in ("train", "distill"):
            return
        self.trial.report(float(logs["val_acc"]), run.epoch)
        if self.trial.should_prune():
            self.pruned_at = run.epoch
            run.extra["pruned_at_epoch"] = run.epoch
            raise StopRun("pruned by the search")


@dataclass
class TrialRunner:
    """Callable objective for ``study.optimize`` (see the module doc).

    ``store`` is a RunStore folder, None for the default store or False for none;
    ``run_callbacks`` are :class:`~optwidgets.Callback` objects given to every run (they
    must pickle when trials run in other processes).
    """

    base: dict[str, Any]
    params: list[Param]
    objectives: tuple[str, ...]
    study_name: str
    store: str | bool | None = None
    prune: bool = False
    run_callbacks: list[Callback] = field(default_factory=list)
    task: str = ""
    cancel: threading.Event | None = field(default=None, compare=False)

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        state["cancel"] = None  # an Event does not cross processes
        return state

    def config_for(self, values: dict[str, Any]) -> RunConfig:
        return RunConfig.from_dict(self.base).replace(**values)

    def __call__(self, trial: Any) -> float | list[float]:
        import optuna

        from optwidgets.runs import run

        info: dict[str, Any] = {"task": self.task, "pid": os.getpid(), "host": socket.gethostname()}
        trial.set_user_attr(ATTR, info)
        try:
            values = {p.name: p.suggest(trial) for p in self.params}
            cfg = self.config_for(values)
            pruning = _Pruning(trial) if self.prune else None
            cbs = [*self.run_callbacks, _Tag(trial.number, self.study_name)]
            if pruning is not None:
                cbs.append(pruning)
            result = run(cfg, callbacks=cbs, store=self.store, cancel=self.cancel)
        except Exception as exc:  # ConfigError of a sampled combination, or a broken run
            trial.set_user_attr(
                ATTR, {**info, "status": "failed", "error": f"{type(exc).__name__}: {exc}"}
            )
            raise
        info.update(result_attrs(result))
        if pruning is not None and pruning.pruned_at is not None:
            info["status"] = "pruned"
            trial.set_user_attr(ATTR, info)
            raise optuna.TrialPruned(f"pruned after epoch {pruning.pruned_at}")
        trial.set_user_attr(ATTR, info)
        if result.status == "failed" or result.status == "stopped":
            raise TrialFailed(result.error or f"the run was {result.status}")
        out = []
        for name in self.objectives:
            v = objective_value(result, name)
            if v is None:
                raise TrialFailed(f"the run measured no {name} (status {result.status})")
            out.append(float(v))
        return out[0] if len(out) == 1 else out
